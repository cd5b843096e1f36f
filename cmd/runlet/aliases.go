package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/runlet/runlet/command"
)

// alias is one definition of an aliases file.
type alias struct{ name, text string }

// loadAliases defines in reg the aliases of file name: one a line,
// `name = "pipeline"` with the pipeline a Go double-quoted string; blank
// lines and lines starting with # are skipped. A later definition of a name
// replaces an earlier one. An error names the file and the line: a line
// that is not a definition, a pipeline that does not parse, an alias that
// would make a cycle, a name taken by a built-in command.
func loadAliases(reg *command.Registry, name string) ([]alias, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("aliases: %w", err)
	}
	defer f.Close()
	var out []alias
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		a, err := parseAlias(line)
		if err == nil {
			err = reg.Alias(a.name, a.text)
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("aliases: %s: %w", name, err)
	}
	return out, nil
}

func parseAlias(line string) (alias, error) {
	name, quoted, ok := strings.Cut(line, "=")
	name, quoted = strings.TrimSpace(name), strings.TrimSpace(quoted)
	if !ok || name == "" || strings.ContainsAny(name, " \t\"") {
		return alias{}, fmt.Errorf(`expected name = "pipeline", got %q`, line)
	}
	text, err := strconv.Unquote(quoted)
	if err != nil || !strings.HasPrefix(quoted, `"`) {
		return alias{}, fmt.Errorf(`alias %s: expected the pipeline as a double-quoted string, got %s`, name, quoted)
	}
	return alias{name: name, text: text}, nil
}
