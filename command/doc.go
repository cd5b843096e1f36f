// Package command runs pipelines of named commands written as text,
//
//	lines access.log | where status >= 500 | count-by path | top 10
//
// on runlet: a [Registry] of commands and aliases, a parser ([Parse]), an
// [Executor] that checks a pipeline and runs it as frames, and a
// [Coordinator] that renders the result (text/template, JSON lines) and
// writes it to a file or an io.Writer. The design follows Cog's executor
// refactor: the pipeline executor walks the invocations and builds frames,
// the command executor validates and runs one invocation, and
// post-processing is the coordinator's, after the run.
//
// # Values
//
// Commands written in Go are typed: [Register] takes the In and Out types
// of a stage, and the executor refuses a pipeline whose neighbours' types
// differ ("type error: where takes command.Record, but len before it gives
// int"), before anything runs. The text form has one value type, [Record],
// a map of named fields: what a JSON line decodes into and an access-log
// line splits into. Every built-in command and every alias takes and
// gives Records; a pipeline may end in any type (the coordinator renders
// it through its template or as JSON).
//
// # Text
//
// A pipeline is invocations separated by "|". An invocation is a command
// name, the executor's options, then arguments: words separated by spaces,
// 'single-quoted' as is, "double-quoted" with \" and \\. The options, which
// come before the arguments (so "-5" after them is an argument):
//
//	-parallel N   run N copies of a stateless command (ParallelMap)
//	-ordered      with -parallel, keep input order (OrderedMap)
//	-timeout D    run the invocation in a frame of its own with a deadline
//
// Every mistake in the text is a [*PipelineError] matching [ErrPipeline]
// (a command line maps it to exit code 2): it names the text (the pipeline,
// or the alias and the frames that led to it), the column, and what was
// expected: an unterminated quote, a missing command, an unknown command
// with the nearest name when one is a likely typo (`unknown command "wehre"
// (did you mean "where"?)`), a missing, extra or mistyped argument (with
// the usage), an option the command cannot take, or commands whose types
// do not meet. [Executor.Check] finds them all without running anything
// except what only a constructor can tell (a bad regular expression, a bad
// template), which [Executor.Start] reports the same way.
//
// A file that does not open or cannot be created (lines nosuchfile, write
// to a missing directory) is not a mistake in the text but a failure of
// the run, as a file that cannot be read is: [Executor.Start] returns a
// [*FrameError] for the main frame naming the invocation and its column
// ("frame main: lines (column 1): open nosuchfile: ..."), which does not
// match [ErrPipeline] and wraps the file system's error (errors.Is
// fs.ErrNotExist); a command line maps it to exit code 1.
//
// # Frames
//
// The main pipeline runs in one runlet, the main frame, with a pool of its
// own. An alias ([Registry.Alias]), a flow ([RegisterFlow]: a pipeline made
// from its arguments at run time) and an invocation with -timeout are not
// pasted into their caller: each runs as a nested frame, a
// [runlet.SubRunlet] chip in the caller's runlet whose sub-runlet the
// executor builds when the first Record reaches it, from the alias's text
// as the registry holds it then. Each frame has a pool of its own of
// [Config.PoolSize] packs (default 1024): a sub-runlet cannot share its
// caller's pool (runlet's rule: the caller's stop waits for the sub under
// the pool's lock), and a budget per frame bounds each frame's memory
// without one frame starving another. The cost is a lock of the sub-runlet
// and a run of its scheduler per pack on each side (see SubRunlet) and two
// counting chips: the benchmark in bench/ measures it.
//
// Frames nest as a call stack, and the executor tracks it:
//
//   - An alias that would expand into itself through other aliases is
//     refused when it is defined, with the cycle spelled out (a → b → a:
//     [*CycleError], [ErrCycle]); the registry is left as it was.
//   - A flow's text is known only at run time (and a flow may define
//     aliases as it runs), so a cycle through one cannot be refused at
//     definition: the depth limit ([Config.MaxDepth], default 16) stops it
//     when a frame would be deeper, with a [*FrameError] matching
//     [ErrDepth] whose Stack prints the frames (main → boot → deep → ...).
//   - A timeout ([Config.Timeout] for main, -timeout D for one invocation)
//     runs from the frame's start (its first input) and aborts that frame
//     when it passes; the error, matching [ErrTimeout] and
//     context.DeadlineExceeded, names the stack down to the frame that had
//     the deadline. The frames inside it stop with it; the ones outside see
//     its error, as they see any chip's. A frame that ended in time is not
//     touched by its deadline passing later.
//   - Any other error of a nested chip comes out of [Run.Wait] as a
//     [*FrameError] naming the frames it went through and wrapping the
//     [*runlet.ChipError] of the chip that failed.
//
// # Timings
//
// [Run.Snapshot] returns [FrameStats]: per frame its wall time, the data
// packs that crossed it in and out, its timeout and whether it failed,
// nested as the frames are, as data (JSON) and as text
// ([FrameStats.String]). It reads atomic counters and never waits for the
// run, and, with Config.Stats on, how long the frame's chips were busy
// (Busy: the sum of their busy times from the runlet's statistics, which
// time bursts, not packs; runlet's -stats and -describe turn it on).
//
// # Adding commands
//
// A command is a [Spec] (name, arguments with their [Kind], a summary) and
// a constructor, registered by one of three calls:
//
//   - [Register][In, Out]: the constructor gets a [Stage] (its pends, its
//     checked [Args], the frame's pool, [Stage.Open] for files) and returns
//     the stage's chips, any chips of package chip or your own. A source
//     has In struct{}. Stateful commands (count-by, top) are these.
//   - [RegisterMap][In, Out]: the constructor returns a [MapFunc], a
//     function of one value that may drop it; the command executor runs it
//     as one sync chip or, with -parallel N, as N workers. where and map
//     are these.
//   - [RegisterFlow]: the constructor returns pipeline text, run as a
//     nested frame.
//
// [Builtins] holds the commands for lines of text and JSON lines: lines,
// gunzip, json, fields (with presets for the common and combined access-log
// formats), grep, where, map, split-words, count, count-by, unique, top,
// head, write and gzip ([RegisterBuiltins] says what each does); the
// runlet command (cmd/runlet) uses them, and a program adds its own with
// the same calls. Arguments are checked before a constructor runs, so
// it reads them with [Args.String] and [Args.Int] without checks; an error
// it returns is reported at the invocation's column, as a [*PipelineError]
// unless it is a file that did not open ([Stage.Open]'s error, or one
// wrapping an *fs.PathError): that is a failure of the run.
//
// A Record is a map a line, so what a pipeline costs is mostly the
// records it builds. fields builds only the fields that the commands after
// it read, when the executor knows them: the rest of the pipeline must
// reach a built-in that does not pass its records on (count-by, count)
// through built-ins that pass them on unchanged (where, grep, head, top,
// unique). `lines | fields ws host | count-by host` builds a record of one
// field a line, not of twelve; before a map, a write, an alias, a Go
// command or the end of the pipeline, every field is built. What comes
// out is the same either way.
//
// # Goroutines
//
// A [Registry] and an [Executor] are safe for concurrent use; commands may
// be registered while pipelines run. A [Run]'s methods may be called from
// any goroutine; once [Run.Wait] returns, no goroutine of the run is left
// and the files its sources opened are closed.
package command
