// Command example runs a small flow for ever and serves its metrics on
// /metrics, for a Prometheus server (or curl) to scrape:
//
//	go run ./example -addr :2112 &
//	curl -s localhost:2112/metrics | grep '^runlet_chip'
//
// The flow is gen >> parse (async, 4 workers, 2 ms a pack: the bottleneck)
// >> sum; it stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/runlet/runlet/chip"
	"github.com/runlet/runlet/hints"
	runletprom "github.com/runlet/runlet/metrics/prometheus"
	"github.com/runlet/runlet/pool"
	"github.com/runlet/runlet/runlet"
)

func main() {
	addr := flag.String("addr", ":2112", "address to serve /metrics on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "serving http://%s/metrics\n", ln.Addr())
	if err := run(ctx, ln); err != nil {
		log.Fatal(err)
	}
}

// flow builds gen >> parse >> sum over one pool of 64 packs.
func flow() *runlet.Runlet {
	p := pool.New("default", 64)
	nums, parsed := pool.NewPend[int](p, "nums"), pool.NewPend[int](p, "parsed")
	var sum int
	return runlet.New([]chip.Chip{
		chip.Generate("gen", nums, func(ctx context.Context, yield func(int) bool) error {
			for i := 0; yield(i); i++ {
			}
			return nil
		}),
		chip.New(chip.Config[int, int, struct{}]{
			Key: "parse", Prev: nums, Next: parsed, Async: true, Concurrency: 4,
			Process: func(ctx context.Context, in hints.Pack[int], _ *struct{}) (hints.Pack[int], error) {
				if in.Hint == hints.End {
					return in, nil
				}
				time.Sleep(2 * time.Millisecond) // the slow stage
				return in, nil
			},
		}),
		chip.ForEach("sum", parsed, func(v int) error { sum += v; return nil }),
	}, runlet.Config{Stats: true, Name: "example"})
}

// run serves /metrics on ln while the flow runs, until ctx is done.
func run(ctx context.Context, ln net.Listener) error {
	r := flow()
	metrics := runletprom.New()
	if err := metrics.Register("example", r); err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics, collectors.NewGoCollector())
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	err := r.Run(ctx)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(err, srv.Shutdown(shut), ignoreClosed(<-served))
}

func ignoreClosed(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
