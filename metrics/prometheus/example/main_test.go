package main

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The example serves /metrics while its endless flow runs: the parse
// chip's out counter grows from one scrape to a later one, the slow async
// stage is the one marked as the bottleneck once it has been busy, and
// cancelling the context ends the flow and the server without error.
func TestExampleServesGrowingCounters(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln) }()
	url := "http://" + ln.Addr().String() + "/metrics"

	first := scrape(t, url)[`runlet_chip_packs_out_total{chip="parse",runlet="example"}`]
	var last map[string]float64
	for range 10000 { // count scrapes, not time: the flow moves between two
		last = scrape(t, url)
		if last[`runlet_chip_packs_out_total{chip="parse",runlet="example"}`] > first+100 &&
			last[`runlet_chip_bottleneck{chip="parse",runlet="example"}`] == 1 {
			break
		}
	}
	assert.Greater(t, last[`runlet_chip_packs_out_total{chip="parse",runlet="example"}`], first+100)
	assert.Equal(t, 1.0, last[`runlet_chip_bottleneck{chip="parse",runlet="example"}`])
	assert.Equal(t, 0.0, last[`runlet_chip_bottleneck{chip="gen",runlet="example"}`])
	assert.Equal(t, 1.0, last[`runlet_state{runlet="example",state="running"}`])
	cancel()
	require.NoError(t, <-done)
}

// scrape gets url and returns its samples by series.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, line)
		out[line[:i]] = v
	}
	require.NoError(t, sc.Err())
	return out
}
