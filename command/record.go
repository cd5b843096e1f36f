package command

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strconv"
)

// Record is the one value type of the text form: a set of named fields, as
// a line of JSON decodes into (map[string]any) and as an access-log line
// splits into. Commands written for pipelines in text take and give
// Records; a field holds a string, a number (int, int64, float64 or
// json.Number) or whatever a Go command put there.
//
// A Record is a map: it is not safe for concurrent writes, and a command
// that changes one must own it. The built-in commands never change a record
// they were given; map makes a copy. The zero value (nil) is an empty
// record that must not be written.
type Record map[string]any

// Text returns field name as text: a string as is, any other value as fmt
// prints it, "" when the field is missing.
func (r Record) Text(name string) string {
	switch v := r[name].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// String returns the record as one line of JSON, its keys sorted.
func (r Record) String() string {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Sprintf("%v", map[string]any(r))
	}
	return string(b)
}

// number returns v as a float64 when it is a number or text that parses as
// one.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// compareValue orders a field's value against a literal from the text:
// as numbers when both are numbers, else as text.
func compareValue(v any, lit string) int {
	if a, ok := number(v); ok {
		if b, err := strconv.ParseFloat(lit, 64); err == nil {
			return cmp.Compare(a, b)
		}
	}
	var s string
	switch x := v.(type) {
	case nil:
	case string:
		s = x
	default:
		s = fmt.Sprint(x)
	}
	return cmp.Compare(s, lit)
}
