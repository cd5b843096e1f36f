// Command runlet runs pipelines of named commands (package command) from
// the shell, over files or standard input:
//
//	runlet run 'lines README.md | split-words | count-by word | top 5'
//	runlet -template '{{.host}} {{.count}}' run 'lines | fields | count-by host' access.log
//	runlet commands
//
// The directory cmd/ exists for the programs of the module, as Go projects
// keep them: the library's packages stay importable without pulling in a
// main, and `go install github.com/runlet/runlet/cmd/runlet@latest`
// installs the command. runlet is a thin layer over [command.Coordinator]:
// it parses flags, loads aliases, and maps errors to exit codes; every
// command it knows is registered in package command, so a Go program gets
// the same pipelines.
//
// Usage:
//
//	runlet [flags] run PIPELINE [FILE...]
//	runlet [flags] commands
//
// run runs PIPELINE; FILEs, when given, are read one after the other as
// standard input (what `lines` with no file or "-" reads). The result,
// every value that comes out of the last command, is written to standard
// output (or -o FILE) once the run has ended: one JSON line a value, or
// through -template. commands lists every command and alias with its
// arguments and one line of help.
//
// Flags (before or after run):
//
//	-aliases FILE   define aliases, one a line: name = "pipeline" (a Go
//	                double-quoted string); blank lines and # comments are
//	                skipped; an error names FILE and the line
//	-template TEXT  render each value with text/template (a newline is
//	                added if TEXT does not end in one)
//	-o FILE         write the result to FILE instead of standard output
//	-stats          print each frame's wall time and records in and out
//	                to standard error after the run
//	-describe       print the final state of the run's frames as JSON to
//	                standard error after the run
//	-timeout D      abort the run after D (a Go duration)
//
// Exit status: 0 on success; 1 when the run fails (a command's error, a
// file that does not open or cannot be read, whether an input FILE or one
// a command names as in `lines nosuchfile`, a file write cannot create, a
// timeout); 2 for a bad command line or a bad pipeline (an unknown
// command, a missing or mistyped argument, a bad regular expression, an
// unterminated quote, a bad template, a bad aliases file, a missing one
// included), found before anything runs. Errors are printed to standard error, prefixed "runlet: ".
// An interrupt (Ctrl-C) stops the run and exits 1.
package main
