package command_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/template"

	"github.com/runlet/runlet/command"
)

// An alias runs as a nested frame; the coordinator renders the result.
func Example() {
	log := "GET /a 200\nGET /b 500\nGET /a 503\nGET /a 500\n"
	reg := command.Builtins()
	if err := reg.Alias("errors", "where line ~ ' 5[0-9][0-9]$' | map path '{{slice .line 4 6}}' | count-by path"); err != nil {
		fmt.Println(err)
		return
	}
	x := command.NewExecutor(reg, command.Config{
		Open: func(string) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(log)), nil },
	})
	c := &command.Coordinator{Executor: x, Out: os.Stdout,
		Template: template.Must(template.New("").Parse("{{.path}} {{.count}}\n"))}
	stats, err := c.Run(context.Background(), "lines access.log | errors | top 10")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(stats.Frames[0].Name, "in:", stats.Frames[0].In, "out:", stats.Frames[0].Out)
	// Output:
	// /a 2
	// /b 1
	// errors in: 4 out: 2
}

// A mistake in the text names the column and what was expected.
func ExampleExecutor_Check() {
	x := command.NewExecutor(command.Builtins(), command.Config{})
	fmt.Println(x.Check("lines access.log | wehre status >= 500 | count-by path"))
	fmt.Println(x.Check("lines access.log | head ten"))
	// Output:
	// command: pipeline, column 20: unknown command "wehre" (did you mean "where"?)
	// command: pipeline, column 25: head: argument N: expected an integer >= 0, got "ten"
}
