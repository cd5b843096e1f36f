// Command genlog writes the benchmark's access log: genlog FILE MB.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/runlet/runlet/cmd/runlet/internal/accesslog"
)

func main() {
	mb, err := strconv.Atoi(os.Args[2])
	if err == nil {
		var f *os.File
		if f, err = os.Create(os.Args[1]); err == nil {
			_, err = accesslog.Write(f, int64(mb)<<20, 1)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genlog:", err)
		os.Exit(1)
	}
}
