package bench

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/logicalpool"
	runletpool "github.com/runlet/runlet/pool"
)

// accessLog is issue 12's first program: parse access-log lines, keep the
// successful GETs, count them per path with a parallel stage, and report the
// 10 most requested paths (by count, then path, so ties are deterministic).
// Items are log lines, made in memory (logLines) from a skewed (Zipf)
// distribution of paths. The checksum hashes the top 10 as "path count"
// lines, so a wrong count or order anywhere in it fails.
//
// Plain is the program as one loop (the limit); FusedCalls the same loop
// calling the runlet's user functions (the parse, the filter and the key
// of RunletKeyed) through function values. Channels is hand-written: a reader goroutine sends lines on a channel,
// accessLogParts workers each parse, filter and count into their own map,
// and the maps are merged. Runlet is the program as it is wired by hand
// today: a ParallelMap parse, a Filter, LoadBalanceByKey into one Fold per
// partition, a Merge of their maps into a last Fold, and a sort. RunletKeyed
// is the same parse and filter followed by logicalpool.CountBy and
// chip.TopK. Rill's MapReduce is left out: the module proxy refused
// github.com/destel/rill (403) when this was written.
var accessLog = workload{
	name: "AccessLog",
	want: func(n int) uint64 { return topChecksum(plainTop(logLines(n))) },
	systems: []system{
		{"Plain", func(n int) (uint64, error) { return topChecksum(plainTop(logLines(n))), nil }},
		{"FusedCalls", func(n int) (uint64, error) { return topChecksum(fusedCallsTop(logLines(n))), nil }},
		{"Channels", func(n int) (uint64, error) { return topChecksum(channelsTop(logLines(n))), nil }},
		{"Runlet", func(n int) (uint64, error) {
			top, err := handWiredTop(logLines(n))
			return topChecksum(top), err
		}},
		{"RunletKeyed", func(n int) (uint64, error) {
			top, err := keyedTop(logLines(n))
			return topChecksum(top), err
		}},
	},
}

// accessLogParts is how many counting partitions (or workers) every
// parallel system uses; accessLogTop how many paths it reports.
const (
	accessLogParts = 4
	accessLogTop   = 10
)

// pathCount is one line of the report.
type pathCount = logicalpool.KV[string, int]

// byCount orders path counts for the top 10: more requests first, then by
// path. As a less function for TopK it reads "a ranks below b".
func byCount(a, b pathCount) bool {
	return a.Value < b.Value || (a.Value == b.Value && a.Key > b.Key)
}

// entry is a parsed log line.
type entry struct {
	method, path string
	status, size int
}

// parseLine parses a line of the combined log format's first fields:
//
//	10.1.2.3 - - [22/Nov/2026:10:00:00 +0000] "GET /api/items/17 HTTP/1.1" 200 5123
func parseLine(line string) (entry, error) {
	_, req, ok := strings.Cut(line, `"`)
	if !ok {
		return entry{}, fmt.Errorf("no request in %q", line)
	}
	req, rest, ok := strings.Cut(req, `" `)
	method, req, ok2 := strings.Cut(req, " ")
	path, _, ok3 := strings.Cut(req, " ")
	status, size, ok4 := strings.Cut(rest, " ")
	if !ok || !ok2 || !ok3 || !ok4 {
		return entry{}, fmt.Errorf("malformed line %q", line)
	}
	st, err := strconv.Atoi(status)
	if err != nil {
		return entry{}, fmt.Errorf("status in %q: %w", line, err)
	}
	sz, err := strconv.Atoi(size)
	if err != nil {
		return entry{}, fmt.Errorf("size in %q: %w", line, err)
	}
	return entry{method: method, path: path, status: st, size: sz}, nil
}

// counted reports whether a request counts toward the report.
func counted(e entry) bool { return e.method == "GET" && e.status == 200 }

var (
	logMu    sync.Mutex
	logCache []string
	logRand  = rand.New(rand.NewPCG(12, 12))
	logZipf  = rand.NewZipf(logRand, 1.2, 1, 4999)
)

// logLines returns the first n lines of one fixed, made-up access log.
func logLines(n int) []string {
	logMu.Lock()
	defer logMu.Unlock()
	methods := []string{"GET", "GET", "GET", "GET", "POST", "PUT", "DELETE"}
	statuses := []int{200, 200, 200, 200, 200, 200, 304, 404, 500}
	for len(logCache) < n {
		i := len(logCache)
		path := fmt.Sprintf("/api/items/%d", logZipf.Uint64())
		if logRand.IntN(4) == 0 {
			path = fmt.Sprintf("/static/%d.css", logZipf.Uint64()%50)
		}
		logCache = append(logCache, fmt.Sprintf(`10.%d.%d.%d - - [22/Nov/2026:10:%02d:%02d +0000] "%s %s HTTP/1.1" %d %d`,
			i%256, i/256%256, i/65536%256, i/60%60, i%60,
			methods[logRand.IntN(len(methods))], path, statuses[logRand.IntN(len(statuses))], logRand.IntN(50_000)))
	}
	return logCache[:n:n]
}

// topOf returns the top 10 of counts, in order.
func topOf(counts map[string]int) []pathCount {
	all := make([]pathCount, 0, len(counts))
	for p, c := range counts {
		all = append(all, pathCount{Key: p, Value: c})
	}
	slices.SortFunc(all, func(a, b pathCount) int {
		return cmp.Or(cmp.Compare(b.Value, a.Value), strings.Compare(a.Key, b.Key))
	})
	return all[:min(len(all), accessLogTop)]
}

// topChecksum hashes a report.
func topChecksum(top []pathCount) uint64 {
	h := fnv.New64a()
	for _, pc := range top {
		fmt.Fprintf(h, "%s %d\n", pc.Key, pc.Value)
	}
	return h.Sum64()
}

// plainTop is the answer, computed in one loop.
func plainTop(lines []string) []pathCount {
	counts := map[string]int{}
	for _, l := range lines {
		if e, err := parseLine(l); err == nil && counted(e) {
			counts[e.path]++
		}
	}
	return topOf(counts)
}

// fusedCallsTop is plainTop calling keyedTop's user functions through
// function values.
func fusedCallsTop(lines []string) []pathCount {
	parse := opaque(func(_ context.Context, l string) (entry, error) { return parseLine(l) })
	keep := opaque(func(e entry) (bool, error) { return counted(e), nil })
	key := opaque(func(e entry) (string, error) { return e.path, nil })
	ctx, counts := context.Background(), map[string]int{}
	for _, l := range lines {
		e, err := parse(ctx, l)
		if err != nil {
			continue
		}
		if ok, _ := keep(e); ok {
			p, _ := key(e)
			counts[p]++
		}
	}
	return topOf(counts)
}

// channelsTop is the hand-written goroutines-and-channels version.
func channelsTop(lines []string) []pathCount {
	ch := make(chan string, 1024)
	go func() {
		for _, l := range lines {
			ch <- l
		}
		close(ch)
	}()
	maps := make([]map[string]int, accessLogParts)
	var wg sync.WaitGroup
	for k := range maps {
		maps[k] = map[string]int{}
		wg.Go(func() {
			for l := range ch {
				if e, err := parseLine(l); err == nil && counted(e) {
					maps[k][e.path]++
				}
			}
		})
	}
	wg.Wait()
	for _, m := range maps[1:] {
		for p, c := range m {
			maps[0][p] += c
		}
	}
	return topOf(maps[0])
}

// handWiredTop is the runlet program as it is wired today, without keyed
// operators.
func handWiredTop(lines []string) ([]pathCount, error) {
	store := runletpool.New("default", 1024)
	lp := logicalpool.New("lp", store)
	parts, outs := make([]*runletpool.Pend[entry], accessLogParts), make([]*runletpool.Pend[map[string]int], accessLogParts)
	for i := range parts {
		parts[i] = runletpool.NewPend[entry](lp, fmt.Sprint("part", i))
		outs[i] = runletpool.NewPend[map[string]int](lp, fmt.Sprint("counts", i))
	}
	hash := func(e entry) uint64 { h := fnv.New64a(); h.Write([]byte(e.path)); return h.Sum64() }
	split, err := logicalpool.LoadBalanceByKey(lp, "split", parts, hash)
	if err != nil {
		return nil, err
	}
	merged, err := logicalpool.Merge(lp, "merged", outs)
	if err != nil {
		return nil, err
	}
	tally := func(m map[string]int, e entry) (map[string]int, error) {
		if m == nil {
			m = map[string]int{}
		}
		m[e.path]++
		return m, nil
	}
	merge := func(all, m map[string]int) (map[string]int, error) {
		if all == nil {
			return m, nil
		}
		for p, c := range m {
			all[p] += c
		}
		return all, nil
	}
	var total map[string]int
	lns, entries, tot := at[string](store, "lines"), at[entry](store, "entries"), at[map[string]int](store, "total")
	chips := []chip.Chip{
		chip.FromSlice("read", lns, lines),
		chip.ParallelMap("parse", lns, entries, accessLogParts, func(_ context.Context, l string) (entry, error) { return parseLine(l) }),
		chip.Filter("get200", entries, split, func(e entry) (bool, error) { return counted(e), nil }),
		chip.Fold("total", merged, tot, nil, merge),
		chip.ForEach("keep", tot, func(m map[string]int) error { total = m; return nil }),
	}
	for i := range parts {
		chips = append(chips, chip.Fold(fmt.Sprint("count", i), parts[i], outs[i], nil, tally))
	}
	err = runRunlet(chips...)
	return topOf(total), err
}

// keyedTop is the runlet program with the keyed operators.
func keyedTop(lines []string) ([]pathCount, error) {
	store := runletpool.New("default", 1024)
	lp := logicalpool.New("lp", store)
	path := func(e entry) (string, error) { return e.path, nil }
	lns, entries, hits := at[string](store, "lines"), at[entry](store, "entries"), at[entry](store, "hits")
	counts, tops := at[pathCount](store, "counts"), at[pathCount](store, "top")
	// Each partition's input and output pend get the private size at() gives
	// the other pends, so partitions take long batches.
	count, err := logicalpool.CountBy(lp, "count", hits, counts, logicalpool.Partitions{N: accessLogParts, Private: 256}, path)
	if err != nil {
		return nil, err
	}
	var top []pathCount
	chips := append(count,
		chip.FromSlice("read", lns, lines),
		chip.ParallelMap("parse", lns, entries, accessLogParts, func(_ context.Context, l string) (entry, error) { return parseLine(l) }),
		chip.Filter("get200", entries, hits, func(e entry) (bool, error) { return counted(e), nil }),
		chip.TopK("top", counts, tops, accessLogTop, byCount),
		chip.Collect("keep", tops, &top),
	)
	err = runRunlet(chips...)
	return top, err
}

func TestAccessLog(t *testing.T) {
	checkWorkload(t, accessLog, 0, 1, 7, 1001, 20_000)
	// The made-up log is skewed, as the workload says: the most requested
	// path gets at least twice the requests of the 10th.
	top := plainTop(logLines(20_000))
	if len(top) != accessLogTop || top[0].Value < 2*top[accessLogTop-1].Value {
		t.Fatalf("the made-up log's top 10 is not skewed: %v", top)
	}
}

// accessLogLines is the log size of one benchmark op.
const accessLogLines = 200_000

// BenchmarkAccessLog runs every system over the same log of accessLogLines
// lines per op (not b.N lines: a few ops are enough for a stable figure, so
// -benchtime 3x is meaningful), checking each op's result, and reports
// ns/line.
func BenchmarkAccessLog(b *testing.B) {
	lines := logLines(accessLogLines)
	var size int64
	for _, l := range lines {
		size += int64(len(l)) + 1
	}
	want := accessLog.want(accessLogLines)
	for _, s := range accessLog.systems {
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				got, err := s.run(accessLogLines)
				if err != nil {
					b.Fatal(err)
				}
				if got != want {
					b.Fatalf("%s: checksum %d, want %d", s.name, got, want)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*accessLogLines), "ns/line")
		})
	}
}
