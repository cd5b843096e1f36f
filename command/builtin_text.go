package command

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
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
