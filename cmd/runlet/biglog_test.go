package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/runlet/runlet/cmd/runlet/internal/accesslog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// counts parses "key count" lines (either order of the two is allowed by
// keyFirst) into a map.
func counts(t *testing.T, text string, keyFirst bool) map[string]int {
	t.Helper()
	m := map[string]int{}
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		require.Len(t, f, 2, "line %q", line)
		k, v := f[0], f[1]
		if !keyFirst {
			k, v = v, k
		}
		n, err := strconv.Atoi(v)
		require.NoError(t, err, line)
		m[k] = n
	}
	return m
}

// plainCount is the plain Go program: the count of each value of the
// space-separated field i (from 0) of each line of name.
func plainCount(t *testing.T, name string, i int) map[string]int {
	t.Helper()
	f, err := os.Open(name)
	require.NoError(t, err)
	defer f.Close()
	m := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m[strings.Split(sc.Text(), " ")[i]]++
	}
	require.NoError(t, sc.Err())
	return m
}

// The command line on a generated 50 MB access log gives the counts a
// plain Go program gives and, where they are installed, awk and
// cut | sort | uniq -c.
func TestBigLogCountsAgree(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("50 MB: not under -short or -race")
	}
	log := filepath.Join(t.TempDir(), "access.log")
	f, err := os.Create(log)
	require.NoError(t, err)
	lines, err := accesslog.Write(f, 50<<20, 1)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	code, out, stderr := runCLI(t, "", "-template", "{{.host}} {{.count}}", "run", "lines | fields ws host | count-by host", log)
	require.Equal(t, 0, code, stderr)
	hosts := counts(t, out, true)
	assert.Equal(t, plainCount(t, log, 0), hosts)
	total := 0
	for _, n := range hosts {
		total += n
	}
	assert.Equal(t, lines, total, "every line counted once")

	// The access-log preset (a regular expression) on the status.
	code, out, stderr = runCLI(t, "", "-template", "{{.status}} {{.count}}", "run", "lines "+log+" | fields combined | count-by status")
	require.Equal(t, 0, code, stderr)
	statuses := counts(t, out, true)
	assert.Equal(t, plainCount(t, log, 8), statuses)

	if _, err := exec.LookPath("awk"); err == nil {
		b, err := exec.Command("awk", `{c[$1]++} END {for (k in c) print k, c[k]}`, log).Output()
		require.NoError(t, err)
		assert.Equal(t, hosts, counts(t, string(b), true), "awk")
	}
	if _, err := exec.LookPath("sh"); err == nil {
		b, err := exec.Command("sh", "-c", `cut -d' ' -f9 "$1" | sort | uniq -c`, "sh", log).Output()
		if err == nil { // cut, sort and uniq may be missing
			assert.Equal(t, statuses, counts(t, string(b), false), "cut | sort | uniq -c")
		}
		b, err = exec.Command("sh", "-c", `grep -c '" 404 ' "$1"`, "sh", log).Output()
		if err == nil {
			code, out, stderr = runCLI(t, "", "-template", "{{.count}}", "run", `lines | grep '" 404 ' | count`, log)
			require.Equal(t, 0, code, stderr)
			assert.Equal(t, strings.TrimSpace(string(b)), strings.TrimSpace(out), "grep -c")
			assert.Equal(t, strconv.Itoa(statuses["404"]), strings.TrimSpace(out))
		}
	}
}
