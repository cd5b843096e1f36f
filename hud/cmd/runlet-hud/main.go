// Runlet-hud watches a flow from elsewhere: it reads a stream of JSON
// snapshots (one runlet.Snapshot after another, as hud.Publish writes them)
// from a file, a named pipe or standard input, and shows it in the terminal
// view. The flow cannot be paused or drained from here; q quits.
//
//	mkfifo /tmp/flow.json
//	go run ./examples/wordcount -json /tmp/flow.json &
//	go run ./cmd/runlet-hud -in /tmp/flow.json
//	ssh host 'some-flow -json /dev/stdout' | go run ./cmd/runlet-hud -in -
//
// When the stream is standard input, the keys are read from /dev/tty.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	tea "charm.land/bubbletea/v2"

	"github.com/runlet/runlet/hud"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "runlet-hud:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fl := flag.NewFlagSet("runlet-hud", flag.ContinueOnError)
	in := fl.String("in", "-", `the snapshot stream: a file or named pipe, "-" for standard input`)
	title := fl.String("title", "runlet (stream)", "the title of the screen")
	quitOnEnd := fl.Bool("quit-on-end", false, "quit once the flow has settled")
	if err := fl.Parse(args); err != nil {
		return err
	}
	var r io.Reader = os.Stdin
	var opts []tea.ProgramOption
	if *in == "-" {
		tty, err := os.Open("/dev/tty")
		if err != nil {
			return fmt.Errorf("the keys need a terminal: %w", err)
		}
		defer tty.Close()
		opts = append(opts, tea.WithInput(tty))
	} else {
		f, err := os.Open(*in)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	m := hud.New(hud.Stream(r), hud.Config{Title: *title, QuitOnEnd: *quitOnEnd})
	_, err := hud.Run(context.Background(), m, opts...)
	return err
}
