package prometheus_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/runlet/runlet/chip"
	runletprom "github.com/runlet/runlet/metrics/prometheus"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

// A runlet registered in a Collector, served on /metrics: a scrape reads a
// snapshot, so it can come at any moment, during the run or after it.
func Example() {
	p := pool.New("default", 64)
	nums, squares := pool.NewPend[int](p, "nums"), pool.NewPend[int](p, "squares")
	var got []int
	r := runlet.New([]chip.Chip{
		chip.FromSlice("read", nums, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}),
		chip.Map("square", nums, squares, func(v int) (int, error) { return v * v, nil }),
		chip.Collect("write", squares, &got),
	}, runlet.Config{Stats: true}) // chip metrics need Stats

	metrics := runletprom.New()
	if err := metrics.Register("squares", r); err != nil {
		panic(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := httptest.NewServer(mux) // in a program: http.ListenAndServe(":2112", mux)
	defer srv.Close()

	if err := r.Run(context.Background()); err != nil {
		panic(err)
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "runlet_chip_packs_out_total") ||
			strings.HasPrefix(line, `runlet_state{runlet="squares",state="ended"}`) {
			fmt.Println(line)
		}
	}
	// Output:
	// runlet_chip_packs_out_total{chip="read",runlet="squares"} 10
	// runlet_chip_packs_out_total{chip="square",runlet="squares"} 10
	// runlet_chip_packs_out_total{chip="write",runlet="squares"} 0
	// runlet_state{runlet="squares",state="ended"} 1
}
