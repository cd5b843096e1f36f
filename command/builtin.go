package command

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/pool"
)

// Builtins returns a registry holding the built-in commands (see
// [RegisterBuiltins]).
func Builtins() *Registry {
	r := NewRegistry()
	if err := RegisterBuiltins(r); err != nil {
		panic(err) // the built-ins' specs are fixed: a bug here
	}
	return r
}

// RegisterBuiltins adds the built-in commands to r:
//
//	lines [FILE]            source: one Record {"line": text} a line of FILE ("-" or none: stdin)
//	where FIELD OP VALUE    keep records whose FIELD compares to VALUE (== != < <= > >= ~ regexp)
//	map FIELD TEMPLATE      set FIELD to TEMPLATE (text/template) run on the record; stateless
//	count-by FIELD          at END, {FIELD: v, "count": n} for each value v, by v
//	top N [FIELD]           the N records with the largest FIELD (default "count"), largest first
//	head N                  the first N records, then END
//	json [FIELD]            parse FIELD (default line) as a JSON object into a record (numbers as json.Number)
//	fields [SPLIT] [NAME...] split line into fields: combined/common access logs (default), ws, /REGEXP/ or a separator
//	grep PATTERN [FIELD]    keep records whose FIELD (default line) matches the regular expression
//	split-words [FIELD]     one record {"word": w} per run of letters and digits of FIELD (default line), lower-cased
//	count                   at END, one record {"count": n}
//	unique FIELD [N]        the first record of each value of FIELD, remembering the N most recent values (default 1e6)
//	gunzip [FILE]           source: like lines, of a gzip-compressed FILE
//	write FILE [FIELD]      write FIELD (default: the record as JSON) a line to FILE; at END {"file", "records": n}
//	gzip FILE [FIELD]       write, gzip-compressed
//
// where, map, json, fields and grep are stateless (-parallel N); count-by
// and top hold what they count (a count a distinct value, N records) until
// END, unique its N values, write and gzip a 64 KiB buffer. A line that
// fields' SPLIT does not match (a regular expression) goes on unchanged. A
// line json cannot decode fails the run, naming the chip and the line. The
// files write and gzip create are created when the run starts (a file that
// cannot be created fails the run there, as a missing input file does, not
// as an error in the pipeline) and flushed and closed at END, or when the
// run ends.
func RegisterBuiltins(r *Registry) error {
	for _, reg := range []func(*Registry) error{registerLines, registerWhere, registerMap, registerCountBy, registerTop, registerHead,
		registerText, registerCount, registerFiles} {
		if err := reg(r); err != nil {
			return err
		}
	}
	registerReads(r)
	return nil
}

func registerLines(r *Registry) error {
	return Register(r, Spec{Name: "lines", Summary: "one record {line} a line of FILE (- or none: standard input)",
		Args: []Arg{{Name: "FILE", Optional: true}}},
		func(s Stage[struct{}, Record]) ([]chip.Chip, error) {
			src, err := s.Open(s.Args.String("FILE"))
			if err != nil {
				return nil, err
			}
			text := pool.NewPend[string](s.Pool, s.Key+".text")
			return []chip.Chip{
				chip.Lines(s.Key, text, src),
				chip.Map(s.Key+".record", text, s.Next, func(l string) (Record, error) { return Record{"line": l}, nil }),
			}, nil
		})
}

// compareOps are where's operators on the result of compareValue.
var compareOps = map[string]func(int) bool{
	"==": func(c int) bool { return c == 0 }, "!=": func(c int) bool { return c != 0 },
	"<": func(c int) bool { return c < 0 }, "<=": func(c int) bool { return c <= 0 },
	">": func(c int) bool { return c > 0 }, ">=": func(c int) bool { return c >= 0 },
}

func registerWhere(r *Registry) error {
	return RegisterMap(r, Spec{Name: "where", Summary: "keep records whose FIELD compares to VALUE (== != < <= > >= ~): as numbers when both are",
		Args: []Arg{{Name: "FIELD"}, {Name: "OP"}, {Name: "VALUE"}}},
		func(a Args) (MapFunc[Record, Record], error) {
			field, op, lit := a.String("FIELD"), a.String("OP"), a.String("VALUE")
			if op == "~" {
				re, err := regexp.Compile(lit)
				if err != nil {
					return nil, fmt.Errorf("argument VALUE: %w", err)
				}
				return func(_ context.Context, v Record) (Record, bool, error) { return v, re.MatchString(v.Text(field)), nil }, nil
			}
			test, ok := compareOps[op]
			if !ok {
				return nil, fmt.Errorf("argument OP: expected one of == != < <= > >= ~, got %q", op)
			}
			return func(_ context.Context, v Record) (Record, bool, error) {
				return v, test(compareValue(v[field], lit)), nil
			}, nil
		})
}

func registerMap(r *Registry) error {
	return RegisterMap(r, Spec{Name: "map", Summary: "set FIELD to TEMPLATE (text/template, the record as dot)",
		Args: []Arg{{Name: "FIELD"}, {Name: "TEMPLATE"}}},
		func(a Args) (MapFunc[Record, Record], error) {
			field := a.String("FIELD")
			t, err := template.New(field).Option("missingkey=zero").Parse(a.String("TEMPLATE"))
			if err != nil {
				return nil, fmt.Errorf("argument TEMPLATE: %w", err)
			}
			return func(_ context.Context, v Record) (Record, bool, error) {
				var b strings.Builder
				if err := t.Execute(&b, v); err != nil {
					return nil, false, err
				}
				out := maps.Clone(v) // the input may be held elsewhere (a view)
				if out == nil {
					out = Record{}
				}
				out[field] = b.String()
				return out, true, nil
			}, nil
		})
}

// countState is a count-by chip's state: the counts, then at END the
// records being handed out.
type countState struct {
	counts map[string]int64
	out    []Record
	next   int
	ending bool
}

func registerCountBy(r *Registry) error {
	return Register(r, Spec{Name: "count-by", Summary: "at END, one record {FIELD, count} per value of FIELD, sorted by value",
		Args: []Arg{{Name: "FIELD"}}},
		func(s Stage[Record, Record]) ([]chip.Chip, error) {
			field := s.Args.String("FIELD")
			return []chip.Chip{chip.New(chip.Config[Record, Record, countState]{Key: s.Key, Prev: s.Prev, Next: s.Next,
				State: func() countState { return countState{counts: map[string]int64{}} },
				Process: func(_ context.Context, pk hints.Pack[Record], st *countState) (hints.Pack[Record], error) {
					if pk.Hint != hints.End {
						st.counts[pk.Value.Text(field)]++
						return hints.SkipOf[Record](), nil
					}
					if !st.ending {
						st.ending = true
						for _, k := range slices.Sorted(maps.Keys(st.counts)) {
							st.out = append(st.out, Record{field: k, "count": st.counts[k]})
						}
					}
					if st.next < len(st.out) {
						st.next++
						return hints.Again(st.out[st.next-1]), nil
					}
					return hints.EndOf[Record](1), nil
				}})}, nil
		})
}

func registerTop(r *Registry) error {
	return Register(r, Spec{Name: "top", Summary: "the N records with the largest FIELD (default count), largest first",
		Args: []Arg{{Name: "N", Kind: Int}, {Name: "FIELD", Optional: true}}},
		func(s Stage[Record, Record]) ([]chip.Chip, error) {
			field := cmp.Or(s.Args.String("FIELD"), "count")
			less := func(a, b Record) bool {
				x, xok := number(a[field])
				y, yok := number(b[field])
				if xok && yok {
					return x < y
				}
				return a.Text(field) < b.Text(field)
			}
			return []chip.Chip{chip.TopK(s.Key, s.Prev, s.Next, s.Args.Int("N", 0), less)}, nil
		})
}

func registerHead(r *Registry) error {
	return Register(r, Spec{Name: "head", Summary: "the first N records",
		Args: []Arg{{Name: "N", Kind: Int}}},
		func(s Stage[Record, Record]) ([]chip.Chip, error) {
			return []chip.Chip{chip.Take(s.Key, s.Prev, s.Next, s.Args.Int("N", 0))}, nil
		})
}
