package hints_test

import (
	"fmt"

	"github.com/runlet/runlet/hints"
)

// A chip returns packs; the hint says what the scheduler does next.
func Example() {
	for _, p := range []hints.Pack[string]{
		hints.Data("row"),
		hints.Again("part"),
		hints.SkipOf[string](),
		hints.EndOf[string](3),
	} {
		fmt.Printf("%s value=%q ends=%d\n", p.Hint, p.Value, p.Ends())
	}
	// Output:
	// DATA value="row" ends=0
	// REDO value="part" ends=0
	// SKIP value="" ends=0
	// END value="" ends=3
}

// String prints a pack as "value|hint", the form Describe shows for queued
// and held packs: zero values as themselves, others quoted and cut to 16
// characters, "-" for data.
func ExamplePack_String() {
	fmt.Println(hints.Data(0), hints.Data("a long string that is cut"), hints.EndOf[int](2), hints.SkipOf[string]())
	// Output: 0|- "a long string th"|- 0|END |SKIP
}
