package command

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/pool"
)

// registerText adds the commands for lines of text and JSON lines: json,
// fields, grep, split-words (see [RegisterBuiltins]).
func registerText(r *Registry) error {
	for _, reg := range []func(*Registry) error{registerJSON, registerFields, registerGrep, registerSplitWords} {
		if err := reg(r); err != nil {
			return err
		}
	}
	return nil
}

// json [FIELD]: 1:1 (an empty line is dropped). Decoding allocates the new
// record and its values; numbers stay json.Number, so they are written back
// as they came and compare as numbers.
func registerJSON(r *Registry) error {
	return RegisterMap(r, Spec{Name: "json", Summary: "parse FIELD (default line) as a JSON object into the record's fields; empty lines are dropped",
		Args: []Arg{{Name: "FIELD", Optional: true}}},
		func(a Args) (MapFunc[Record, Record], error) {
			field := a.String("FIELD")
			if field == "" {
				field = "line"
			}
			return func(_ context.Context, v Record) (Record, bool, error) {
				text := strings.TrimSpace(v.Text(field))
				if text == "" {
					return nil, false, nil
				}
				d := json.NewDecoder(strings.NewReader(text))
				d.UseNumber()
				var out Record
				if err := d.Decode(&out); err != nil || d.More() || out == nil {
					if err == nil {
						err = fmt.Errorf("not one JSON object")
					}
					return nil, false, fmt.Errorf("json: field %s %q: %w", field, clip(text), err)
				}
				return out, true, nil
			}, nil
		})
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// accessLogRE matches a line of the common log format and, with the two
// quoted fields at the end, of the combined one.
var accessLogRE = regexp.MustCompile(`^(?P<host>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]*)\] "(?P<request>(?P<method>\S+)? ?(?P<path>\S+)? ?(?P<proto>[^"]*)?)" (?P<status>\d{3}|-) (?P<bytes>\d+|-)(?: "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")?`)

// splitter turns a line into field values by position, or reports no match.
type splitter func(line string) ([]string, bool)

// newSplitter returns the splitter for fields' SPLIT argument and the names
// it gives its fields (nil: by position only).
func newSplitter(split string) (splitter, []string, error) {
	switch {
	case split == "" || split == "combined" || split == "common":
		names := accessLogRE.SubexpNames()[1:]
		return func(l string) ([]string, bool) {
			m := accessLogRE.FindStringSubmatch(l)
			if m == nil {
				return nil, false
			}
			return m[1:], true
		}, names, nil
	case split == "ws":
		return func(l string) ([]string, bool) { return strings.Fields(l), true }, nil, nil
	case len(split) >= 2 && strings.HasPrefix(split, "/") && strings.HasSuffix(split, "/"):
		re, err := regexp.Compile(split[1 : len(split)-1])
		if err != nil {
			return nil, nil, fmt.Errorf("argument SPLIT: %w", err)
		}
		return func(l string) ([]string, bool) {
			m := re.FindStringSubmatch(l)
			if m == nil {
				return nil, false
			}
			return m[1:], true
		}, re.SubexpNames()[1:], nil
	default:
		sep := strings.NewReplacer(`\t`, "\t", `\s`, " ").Replace(split)
		return func(l string) ([]string, bool) { return strings.Split(l, sep), true }, nil, nil
	}
}

// fields SPLIT NAME...: 1:1. It allocates the new record and, for a regular
// expression, the match's slice; the values are substrings of the line.
func registerFields(r *Registry) error {
	return RegisterMap(r, Spec{Name: "fields",
		Summary: "split line into fields: SPLIT is combined or common (access logs, the default), ws, /REGEXP/ or a separator (\\t: tab, \\s: space); NAMEs name them in order (else their group names, else f1, f2...)",
		Args:    []Arg{{Name: "SPLIT", Optional: true}, {Name: "NAME", Optional: true, Rest: true}}},
		func(a Args) (MapFunc[Record, Record], error) {
			split, own, err := newSplitter(a.String("SPLIT"))
			if err != nil {
				return nil, err
			}
			names := fieldNames(own, a.Rest())
			return func(_ context.Context, v Record) (Record, bool, error) {
				vals, ok := split(v.Text("line"))
				if !ok {
					return v, true, nil // not matched: passed on as it is
				}
				out := make(Record, len(vals))
				for i, s := range vals {
					if i < len(names) {
						out[names[i]] = s
					} else {
						out["f"+strconv.Itoa(i+1)] = s
					}
				}
				return out, true, nil
			}, nil
		})
}

// fieldNames is the names given in the text over the splitter's own, and
// f1, f2... for the positions up to 32 that have neither (made once, not
// per line).
func fieldNames(own, given []string) []string {
	names := append([]string(nil), own...)
	for i, n := range given {
		if i < len(names) {
			names[i] = n
		} else {
			names = append(names, n)
		}
	}
	for len(names) < 32 {
		names = append(names, "")
	}
	for i, n := range names {
		if n == "" {
			names[i] = "f" + strconv.Itoa(i+1)
		}
	}
	return names
}

func registerGrep(r *Registry) error {
	return RegisterMap(r, Spec{Name: "grep", Summary: "keep records whose FIELD (default line) matches the regular expression PATTERN",
		Args: []Arg{{Name: "PATTERN"}, {Name: "FIELD", Optional: true}}},
		func(a Args) (MapFunc[Record, Record], error) {
			re, err := regexp.Compile(a.String("PATTERN"))
			if err != nil {
				return nil, fmt.Errorf("argument PATTERN: %w", err)
			}
			field := a.String("FIELD")
			if field == "" {
				field = "line"
			}
			return func(_ context.Context, v Record) (Record, bool, error) {
				return v, re.MatchString(v.Text(field)), nil
			}, nil
		})
}

// split-words [FIELD]: 1:N through chip.FlatMap with one buffer reused per
// line; it allocates a record and a lower-cased string per word.
func registerSplitWords(r *Registry) error {
	return Register(r, Spec{Name: "split-words", Summary: "one record {word} per word of FIELD (default line): runs of letters and digits, lower-cased",
		Args: []Arg{{Name: "FIELD", Optional: true}}},
		func(s Stage[Record, Record]) ([]chip.Chip, error) {
			field := s.Args.String("FIELD")
			if field == "" {
				field = "line"
			}
			var buf []Record
			return []chip.Chip{chip.FlatMap(s.Key, s.Prev, s.Next, func(v Record) ([]Record, error) {
				buf = buf[:0]
				for _, w := range strings.FieldsFunc(v.Text(field), notWord) {
					buf = append(buf, Record{"word": strings.ToLower(w)})
				}
				return buf, nil
			})}, nil
		})
}

func notWord(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// registerCount adds count and unique.
func registerCount(r *Registry) error {
	err := Register(r, Spec{Name: "count", Summary: "at END, one record {count} holding the number of records"},
		func(s Stage[Record, Record]) ([]chip.Chip, error) {
			n := pool.NewPend[int](s.Pool, s.Key+".n")
			return []chip.Chip{
				chip.Count(s.Key, s.Prev, n),
				chip.Map(s.Key+".record", n, s.Next, func(c int) (Record, error) { return Record{"count": c}, nil }),
			}, nil
		})
	if err != nil {
		return err
	}
	return Register(r, Spec{Name: "unique", Summary: "the first record of each value of FIELD, remembering the last N values (default 1000000)",
		Args: []Arg{{Name: "FIELD"}, {Name: "N", Kind: Int, Optional: true}}},
		func(s Stage[Record, Record]) ([]chip.Chip, error) {
			field := s.Args.String("FIELD")
			n := s.Args.Int("N", 1_000_000)
			if n < 1 {
				return nil, fmt.Errorf("argument N: must be at least 1, got %d", n)
			}
			mem := chip.LRU(n)
			return []chip.Chip{chip.DistinctBy(s.Key, s.Prev, s.Next, mem, func(v Record) (string, error) { return v.Text(field), nil })}, nil
		})
}
