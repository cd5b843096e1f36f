package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/runlet/runlet/command"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := runMain(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // the run failed
	exitBadLine = 2 // a bad command line or pipeline
)

// usageError is a mistake on the command line, before anything runs.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// options are the command line's flags.
type options struct {
	aliases, template, out string
	stats, describe        bool
	timeout                time.Duration
}

func newFlags(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("runlet", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.aliases, "aliases", "", "define aliases from `FILE` (one a line: name = \"pipeline\")")
	fs.StringVar(&o.template, "template", "", "render each value with text/template `TEXT`")
	fs.StringVar(&o.out, "o", "", "write the result to `FILE`")
	fs.BoolVar(&o.stats, "stats", false, "print the frames' timings and counts to stderr")
	fs.BoolVar(&o.describe, "describe", false, "print the run's final state as JSON to stderr")
	fs.DurationVar(&o.timeout, "timeout", 0, "abort the run after `D`")
	return fs
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, "usage: runlet [flags] run PIPELINE [FILE...]\n       runlet [flags] commands\nflags:\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// runMain is the command: it returns the exit code.
func runMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var o options
	fs := newFlags(&o)
	rest, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		usage(stdout, fs)
		return exitOK
	}
	if err == nil {
		err = dispatch(ctx, o, rest, stdin, stdout, stderr)
	}
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "runlet: %v\n", err)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		if ue.err != nil && strings.HasPrefix(ue.err.Error(), "usage") || errors.Is(err, errFlag) {
			usage(stderr, fs)
		}
		return exitBadLine
	case errors.Is(err, command.ErrPipeline):
		return exitBadLine
	}
	return exitFailed
}

var errFlag = errors.New("bad flag")

// parseFlags parses flags before the subcommand and after it (runlet run
// -stats 'P' as well as runlet -stats run 'P').
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		return nil, flagError(err)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return nil, usageError{errors.New("usage: no subcommand (run or commands)")}
	}
	if err := fs.Parse(rest[1:]); err != nil {
		return nil, flagError(err)
	}
	return append([]string{rest[0]}, fs.Args()...), nil
}

func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usageError{fmt.Errorf("%w: %v", errFlag, err)}
}

func dispatch(ctx context.Context, o options, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	reg := command.Builtins()
	var aliases []alias
	if o.aliases != "" {
		var err error
		if aliases, err = loadAliases(reg, o.aliases); err != nil {
			return usageError{err}
		}
	}
	switch args[0] {
	case "commands":
		if len(args) > 1 {
			return usageError{fmt.Errorf("usage: commands takes no argument, got %q", args[1])}
		}
		return listCommands(stdout, reg, aliases)
	case "run":
		if len(args) < 2 {
			return usageError{errors.New("usage: run needs a PIPELINE")}
		}
		return runPipeline(ctx, o, reg, args[1], args[2:], stdin, stdout, stderr)
	}
	return usageError{fmt.Errorf("usage: unknown subcommand %q (run or commands)", args[0])}
}

// runPipeline runs text through a Coordinator, with files (else stdin) as
// standard input.
func runPipeline(ctx context.Context, o options, reg *command.Registry, text string, files []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &command.Coordinator{Out: stdout, Redirect: o.out}
	if o.template != "" {
		tt := o.template
		if !strings.HasSuffix(tt, "\n") {
			tt += "\n"
		}
		t, err := template.New("-template").Option("missingkey=zero").Parse(tt)
		if err != nil {
			return usageError{err}
		}
		c.Template = t
	}
	in, closeIn, err := openInputs(files, stdin)
	if err != nil {
		return err
	}
	defer closeIn()
	c.Executor = command.NewExecutor(reg, command.Config{Timeout: o.timeout, Stdin: in, Stats: o.stats || o.describe})
	stats, err := c.Run(ctx, text)
	if o.stats {
		fmt.Fprint(stderr, stats.String())
	}
	if o.describe {
		b, jerr := json.MarshalIndent(stats, "", "  ")
		if jerr == nil {
			fmt.Fprintf(stderr, "%s\n", b)
		}
	}
	return err
}

// openInputs opens files, read one after the other; none: stdin.
func openInputs(files []string, stdin io.Reader) (io.Reader, func(), error) {
	if len(files) == 0 {
		return stdin, func() {}, nil
	}
	var rs []io.Reader
	var fs []*os.File
	closeAll := func() {
		for _, f := range fs {
			f.Close()
		}
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		fs = append(fs, f)
		rs = append(rs, f)
	}
	return io.MultiReader(rs...), closeAll, nil
}

// listCommands prints every command with its usage and help, then the
// aliases with their text.
func listCommands(w io.Writer, reg *command.Registry, aliases []alias) error {
	isAlias := map[string]string{}
	for _, a := range aliases {
		isAlias[a.name] = a.text
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, name := range reg.Names() {
		if _, ok := isAlias[name]; ok {
			continue
		}
		spec, _ := reg.Lookup(name)
		fmt.Fprintf(tw, "%s\t%s\n", spec.Usage(), spec.Summary)
	}
	for _, a := range aliases {
		fmt.Fprintf(tw, "%s\talias: %s\n", a.name, a.text)
	}
	return tw.Flush()
}
