// Command compare runs bench's workloads for every system, each system in a
// process of its own (so its peak RSS is its own), and prints a markdown
// table of medians: ns/item, the ratio to the fused loop and to the best
// peer, allocs/item, B/item and peak RSS. The raw `go test -bench` output,
// which benchstat reads, is written to -raw.
//
// Run it from the bench directory:
//
//	go run ./cmd/compare                       # every workload, -count 6
//	go run ./cmd/compare -bench 'Chain4|CPUMap' -count 10
//	go run ./cmd/compare -scaling -cpu 1,2,4,8,16   # CPUMap speedup and efficiency
//
// Without -bin it builds the test binary with `go test -c`; with -bin it runs
// a binary built before (for a machine without a Go toolchain:
// `CGO_ENABLED=0 go test -c -o bench.test .` and
// `CGO_ENABLED=0 go build -o compare ./cmd/compare`).
//
// Systems named Fused are the limit (a plain loop; Bufio in Lines, a bare
// bufio.Scanner loop, is the limit there and is reported as such); Serial and FusedCalls
// are reference loops; names starting with Runlet are runlet's; every other
// system (hand-written channels and the libraries) is a peer, and "best
// peer" is the fastest of them in the same workload.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	var (
		bin       = flag.String("bin", "", "a test binary of bench built before; empty: build one with go test -c")
		count     = flag.Int("count", 6, "runs of each benchmark (medians are reported)")
		benchtime = flag.String("benchtime", "500ms", "-test.benchtime for each run")
		filter    = flag.String("bench", ".", "regexp on workload/system names (e.g. 'Chain4|CPUMap/Runlet')")
		raw       = flag.String("raw", "", "file for the raw benchmark output (benchstat format); empty: none")
		cpu       = flag.String("cpu", "", "-test.cpu list (with -scaling, the GOMAXPROCS values to scale over)")
		scaling   = flag.Bool("scaling", false, "report CPUMap's speedup and efficiency over -cpu instead of the comparison")
		from      = flag.String("from", "", "render the tables from a raw output file written by -raw before, running nothing (peak RSS is then unknown: 0)")
	)
	flag.Parse()
	var err error
	if *from != "" {
		err = render(*from, *scaling)
	} else {
		err = run(*bin, *count, *benchtime, *filter, *raw, *cpu, *scaling)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(bin string, count int, benchtime, filter, rawPath, cpu string, scaling bool) error {
	re, err := regexp.Compile(filter)
	if err != nil {
		return err
	}
	if bin == "" {
		dir, err := os.MkdirTemp("", "compare")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if bin, err = buildBinary(dir); err != nil {
			return err
		}
	}
	names, err := benchNames(bin, re, scaling)
	if err != nil {
		return err
	}
	if scaling && cpu == "" {
		cpu = "1,2,4,8,16"
	}

	var rawOut io.Writer = io.Discard
	if rawPath != "" {
		f, err := os.Create(rawPath)
		if err != nil {
			return err
		}
		defer f.Close()
		rawOut = f
	}

	results := map[string]*result{} // by benchmark name with the -cpu suffix
	var order []string
	var header string
	for _, name := range names {
		wl, sys, _ := strings.Cut(name, "/")
		args := []string{"-test.run", "^$", "-test.bench", "^Benchmark" + regexp.QuoteMeta(wl) + "$/^" + regexp.QuoteMeta(sys) + "$",
			"-test.count", strconv.Itoa(count), "-test.benchtime", benchtime}
		if cpu != "" {
			args = append(args, "-test.cpu", cpu)
		}
		fmt.Fprintf(os.Stderr, "%s ...", name)
		start := time.Now()
		cmd := exec.Command(bin, args...)
		var stdout bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			os.Stderr.Write(stdout.Bytes())
			return fmt.Errorf("%s: %w", name, err)
		}
		rss := 0.0
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = float64(ru.Maxrss) / 1024 // KiB on Linux
		}
		fmt.Fprintf(os.Stderr, " %.1fs, peak RSS %.1f MiB\n", time.Since(start).Seconds(), rss)
		rawOut.Write(stdout.Bytes())
		sc := bufio.NewScanner(&stdout)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "cpu:") && header == "" {
				header = strings.TrimSpace(strings.TrimPrefix(line, "cpu:"))
			}
			bname, metrics, ok := parseLine(line)
			if !ok {
				continue
			}
			r := results[bname]
			if r == nil {
				r = &result{workload: wl, system: sys, procs: procsOf(bname), metrics: map[string][]float64{}}
				results[bname] = r
				order = append(order, bname)
			}
			for unit, v := range metrics {
				r.metrics[unit] = append(r.metrics[unit], v)
			}
			r.rss = rss
		}
	}

	fmt.Printf("Machine: %s, %d cores (NumCPU), %s/%s, %s; %s; -count %d -benchtime %s; medians.\n\n",
		header, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, goVersion(bin), time.Now().Format("2006-01-02"), count, benchtime)
	if scaling {
		printScaling(results, order)
	} else {
		printCompare(results, order)
	}
	return nil
}

// buildBinary builds the bench test binary into dir and returns its path.
func buildBinary(dir string) (string, error) {
	bin := filepath.Join(dir, "bench.test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("building the test binary (run compare from the bench directory): %w", err)
	}
	return bin, nil
}

// benchNames lists the workload/system names of bin that re matches (only
// CPUMap's for a scaling run).
func benchNames(bin string, re *regexp.Regexp, scaling bool) ([]string, error) {
	out, err := exec.Command(bin, "-list-systems").Output()
	if err != nil {
		return nil, fmt.Errorf("listing systems: %w", err)
	}
	var names []string
	for _, line := range strings.Fields(string(out)) {
		name := strings.TrimPrefix(line, "Benchmark")
		if scaling && !strings.HasPrefix(name, "CPUMap/") {
			continue
		}
		if re.MatchString(name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no benchmark matches %q", re)
	}
	return names, nil
}

// render prints the tables of a raw output file.
func render(path string, scaling bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	results := map[string]*result{}
	var order []string
	header := ""
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "cpu:") && header == "" {
			header = strings.TrimSpace(strings.TrimPrefix(line, "cpu:"))
		}
		bname, metrics, ok := parseLine(line)
		if !ok {
			continue
		}
		r := results[bname]
		if r == nil {
			name := bname
			if i := strings.LastIndexByte(name, '-'); i >= 0 {
				name = name[:i]
			}
			wl, sys, _ := strings.Cut(name, "/")
			r = &result{workload: wl, system: sys, procs: procsOf(bname), metrics: map[string][]float64{}}
			results[bname] = r
			order = append(order, bname)
		}
		for unit, v := range metrics {
			r.metrics[unit] = append(r.metrics[unit], v)
		}
	}
	fmt.Printf("Machine: %s; rendered from %s; medians.\n\n", header, filepath.Base(path))
	if scaling {
		printScaling(results, order)
	} else {
		printCompare(results, order)
	}
	return nil
}

// result is one benchmark's runs.
type result struct {
	workload, system string
	procs            int // the -N suffix: GOMAXPROCS
	metrics          map[string][]float64
	rss              float64 // MiB, the peak of the benchmark's process
}

func (r *result) median(unit string) (float64, bool) {
	v := slices.Clone(r.metrics[unit])
	if len(v) == 0 {
		return 0, false
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

// parseLine reads a benchmark result line: name, iterations, then value
// unit pairs.
func parseLine(line string) (name string, metrics map[string]float64, ok bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
		return "", nil, false
	}
	if _, err := strconv.Atoi(f[1]); err != nil {
		return "", nil, false
	}
	metrics = map[string]float64{}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return "", nil, false
		}
		metrics[f[i+1]] = v
	}
	return strings.TrimPrefix(f[0], "Benchmark"), metrics, true
}

// procsOf returns the -N suffix of a benchmark name (1 when there is none:
// go test omits it at GOMAXPROCS 1).
func procsOf(name string) int {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return 1
	}
	n, err := strconv.Atoi(name[i+1:])
	if err != nil {
		return 1
	}
	return n
}

func goVersion(bin string) string {
	out, err := exec.Command("go", "version", bin).Output()
	if err != nil {
		return runtime.Version() + " (compare's)"
	}
	f := strings.Fields(string(out))
	return f[len(f)-1]
}

func isPeer(system string) bool {
	return !isLimit(system) && system != "FusedCalls" && system != "Serial" && !strings.HasPrefix(system, "Runlet")
}

// isLimit reports whether system is its workload's limit, the "fused"
// column's reference.
func isLimit(system string) bool {
	return system == "Fused" || system == "Bufio"
}

func printCompare(results map[string]*result, order []string) {
	byWorkload := map[string][]*result{}
	var workloads []string
	for _, name := range order {
		r := results[name]
		if _, ok := byWorkload[r.workload]; !ok {
			workloads = append(workloads, r.workload)
		}
		byWorkload[r.workload] = append(byWorkload[r.workload], r)
	}
	for _, wl := range workloads {
		rs := byWorkload[wl]
		var fused, best float64
		bestName := ""
		for _, r := range rs {
			ns, _ := r.median("ns/item")
			if isLimit(r.system) {
				fused = ns
			}
			if isPeer(r.system) && (best == 0 || ns < best) {
				best, bestName = ns, r.system
			}
		}
		extra := ""
		switch {
		case hasUnit(rs, "%limit"):
			extra = " % of limit |"
		case hasUnit(rs, "MB/s"):
			extra = " MB/s |"
		}
		fmt.Printf("**%s** (best peer: %s)\n\n", wl, orDash(bestName))
		fmt.Printf("| system | ns/item | x fused | x best peer | allocs/item | B/item | peak RSS MiB |%s\n", extra)
		fmt.Printf("|---|---:|---:|---:|---:|---:|---:|%s\n", strings.Repeat("---:|", strings.Count(extra, "|")))
		for _, r := range rs {
			ns, _ := r.median("ns/item")
			allocs, _ := r.median("allocs/item")
			bytes, _ := r.median("B/item")
			fmt.Printf("| %s | %s | %s | %s | %s | %s | %.1f |", r.system, num(ns), ratio(ns, fused), ratio(ns, best), num(allocs), num(bytes), r.rss)
			switch {
			case strings.Contains(extra, "limit"):
				v, _ := r.median("%limit")
				fmt.Printf(" %.1f |", v)
			case strings.Contains(extra, "MB/s"):
				v, _ := r.median("MB/s")
				fmt.Printf(" %.2f |", v)
			}
			fmt.Println()
		}
		fmt.Println()
	}
}

func printScaling(results map[string]*result, order []string) {
	var serial1 float64
	var procs []int
	var systems []string
	ns := map[string]map[int]float64{}
	for _, name := range order {
		r := results[name]
		v, _ := r.median("ns/item")
		if r.system == "Serial" && r.procs == 1 {
			serial1 = v
		}
		if !slices.Contains(procs, r.procs) {
			procs = append(procs, r.procs)
		}
		if ns[r.system] == nil {
			ns[r.system] = map[int]float64{}
			systems = append(systems, r.system)
		}
		ns[r.system][r.procs] = v
	}
	sort.Ints(procs)
	fmt.Printf("CPUMap (SHA-256 of 1 KiB per item): ns/item, speedup over Serial at GOMAXPROCS 1 (%s ns/item), and efficiency (speedup / GOMAXPROCS).\n\n", num(serial1))
	fmt.Print("| system |")
	for _, p := range procs {
		fmt.Printf(" P=%d |", p)
	}
	fmt.Print("\n|---|")
	fmt.Print(strings.Repeat("---:|", len(procs)))
	fmt.Println()
	for _, s := range systems {
		fmt.Printf("| %s |", s)
		for _, p := range procs {
			v, ok := ns[s][p]
			if !ok || v == 0 {
				fmt.Print(" – |")
				continue
			}
			sp := serial1 / v
			fmt.Printf(" %s ns, %.2fx, %.0f%% |", num(v), sp, 100*sp/float64(p))
		}
		fmt.Println()
	}
	fmt.Println()
}

func hasUnit(rs []*result, unit string) bool {
	for _, r := range rs {
		if _, ok := r.median(unit); ok {
			return true
		}
	}
	return false
}

func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 0.01:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
}

func ratio(v, base float64) string {
	if base == 0 {
		return "–"
	}
	r := v / base
	if r >= 100 {
		return strconv.FormatFloat(r, 'f', 0, 64) + "x"
	}
	return strconv.FormatFloat(r, 'f', 2, 64) + "x"
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
