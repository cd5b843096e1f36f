// Command countfirst is the benchmark's plain Go baseline: it counts the
// first space-separated field of each line of FILE and prints "field count"
// lines, sorted by field (what runlet's count-by gives).
package main

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "countfirst:", err)
		os.Exit(1)
	}
	defer f.Close()
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		first, _, _ := strings.Cut(sc.Text(), " ")
		counts[first]++
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "countfirst:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		fmt.Fprintln(w, k, counts[k])
	}
	w.Flush()
}
