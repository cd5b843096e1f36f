package command

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// accessLogRE matches a line of the common log format and, with the two
// quoted fields at the end, of the combined one.
var accessLogRE = regexp.MustCompile(`^(?P<host>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]*)\] "(?P<request>(?P<method>\S+)? ?(?P<path>\S+)? ?(?P<proto>[^"]*)?)" (?P<status>\d{3}|-) (?P<bytes>\d+|-)(?: "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")?`)

// splitter turns a line into field values by position: by white space
// (ws), by a separator (sep), or by a regular expression's groups (re).
// It is a struct, not a func, so that the buffer a caller passes to split
// stays on the caller's stack.
type splitter struct {
	ws  bool
	re  *regexp.Regexp
	sep string
}

// newSplitter returns the splitter for fields' SPLIT argument and the names
// it gives its fields (nil: by position only).
func newSplitter(split string) (*splitter, []string, error) {
	switch {
	case split == "" || split == "combined" || split == "common":
		return &splitter{re: accessLogRE}, accessLogRE.SubexpNames()[1:], nil
	case split == "ws":
		return &splitter{ws: true}, nil, nil
	case len(split) >= 2 && strings.HasPrefix(split, "/") && strings.HasSuffix(split, "/"):
		re, err := regexp.Compile(split[1 : len(split)-1])
		if err != nil {
			return nil, nil, fmt.Errorf("argument SPLIT: %w", err)
		}
		return &splitter{re: re}, re.SubexpNames()[1:], nil
	default:
		return &splitter{sep: strings.NewReplacer(`\t`, "\t", `\s`, " ").Replace(split)}, nil, nil
	}
}

// split appends the values of line's fields to dst, the first limit of
// them when limit > 0 (for ws and a separator; a regular expression gives
// all its groups), or reports that the regular expression did not match.
// The values are those of strings.Fields, strings.Split or the match's
// groups.
func (sp *splitter) split(dst []string, line string, limit int) ([]string, bool) {
	switch {
	case sp.re != nil:
		m := sp.re.FindStringSubmatch(line)
		if m == nil {
			return nil, false
		}
		return m[1:], true
	case sp.ws:
		for f := range strings.FieldsSeq(line) {
			if dst = append(dst, f); len(dst) == limit {
				break
			}
		}
	default:
		for f := range strings.SplitSeq(line, sp.sep) {
			if dst = append(dst, f); len(dst) == limit {
				break
			}
		}
	}
	return dst, true
}

// fields SPLIT NAME...: 1:1. It allocates the new record and a boxed
// string a field, and for a regular expression the match's slice (ws and
// a separator split into a buffer on the stack, up to 16 fields); the
// values are substrings of the line. When the executor knows which fields
// the rest of the pipeline reads (Args.only, see project), the record
// holds only those and the line is split no further than the last of
// them: what comes out of the pipeline is the same.
func registerFields(r *Registry) error {
	return RegisterMap(r, Spec{Name: "fields",
		Summary: "split line into fields: SPLIT is combined or common (access logs, the default), ws, /REGEXP/ or a separator (\\t: tab, \\s: space); NAMEs name them in order (else their group names, else f1, f2...)",
		Args:    []Arg{{Name: "SPLIT", Optional: true}, {Name: "NAME", Optional: true, Rest: true}}},
		func(a Args) (MapFunc[Record, Record], error) {
			sp, own, err := newSplitter(a.String("SPLIT"))
			if err != nil {
				return nil, err
			}
			names := fieldNames(own, a.Rest())
			only, limit := a.only, fieldsLimit(names, a.only)
			return func(_ context.Context, v Record) (Record, bool, error) {
				var buf [16]string
				vals, ok := sp.split(buf[:0], v.Text("line"), limit)
				if !ok {
					return v, true, nil // not matched: passed on as it is
				}
				n := len(vals)
				if only != nil {
					n = min(n, len(only))
				}
				out := make(Record, n)
				for i, s := range vals {
					var name string
					if i < len(names) {
						name = names[i]
					} else {
						name = "f" + strconv.Itoa(i+1)
					}
					if only == nil || only[name] {
						out[name] = s
					}
				}
				return out, true, nil
			}, nil
		})
}

// fieldsLimit is how many leading fields must be split to give the fields
// in only: all (0) when only is nil or names one past the names made.
func fieldsLimit(names []string, only map[string]bool) int {
	if only == nil {
		return 0
	}
	limit, found := 0, 0
	for i, n := range names {
		if only[n] {
			limit = i + 1
		}
	}
	for n := range only {
		for _, m := range names {
			if m == n {
				found++
				break
			}
		}
	}
	if found < len(only) {
		return 0
	}
	return limit
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
