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
