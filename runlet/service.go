package runlet

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runlet/runlet/internal/engine"
)

// Service runs a flow as a service of a supervisor tree: its method set,
// Serve(ctx) error and String() string, is github.com/thejerf/suture/v4's
// Service (and that of similar supervisors), without this package importing
// one. A supervisor restarts a service by calling Serve again, and a runlet
// runs once, so a Service is built from a function that makes a fresh runlet
// (fresh chips' state, fresh pools) for each Serve.
//
// Each Serve makes a runlet and runs it until its flow ends, it fails or
// ctx ends:
//
//   - the flow fails (or build does, or panics): Serve returns the error,
//     naming the service and the run; the supervisor restarts it, as its
//     policy says (suture: at once, or after its backoff once failures pass
//     its threshold);
//   - the flow ends cleanly: Serve returns ServiceConfig.Ended, nil by
//     default, which suture takes for a failure and restarts (right for a
//     flow meant to run for good); set it to suture.ErrDoNotRestart for a
//     flow that is done once it ends;
//   - ctx ends (the supervisor stops): with ServiceConfig.Drain set, the
//     runlet drains (inputs send END, the work in flight finishes, outputs
//     end: see [Runlet.Drain]) for at most that long, then aborts; without
//     it, the runlet stops at once, as Run does when its ctx ends. Serve
//     returns nil after a clean drain, else the error (suture ignores it
//     once it has cancelled ctx). Give the drain less than the supervisor's
//     stop timeout (suture's Spec.Timeout, 10 s by default).
//
// When Serve returns, every goroutine of its runlet has ended. A Service is
// safe for concurrent use; Serve calls that overlap run separate runlets.
// The zero value is not usable: make one with [NewService].
type Service struct {
	name  string
	build func() (*Runlet, error)
	cfg   ServiceConfig
	runs  atomic.Int64
	cur   atomic.Pointer[Runlet]
}

// ServiceConfig holds a [Service]'s optional settings; the zero value of
// each field means its documented default. It is copied by [NewService].
type ServiceConfig struct {
	// Ended is what Serve returns when the flow ends cleanly (its ctx not
	// ended). Default nil, which a suture supervisor restarts.
	Ended error
	// Drain, if positive, makes Serve drain the runlet when ctx ends, for
	// at most this long before it aborts. Default 0: stop at once.
	Drain time.Duration
}

// NewService returns a Service named name whose Serve runs the runlet that
// build makes, a fresh one each call. build runs on Serve's goroutine; its
// error (or panic) is that run's error.
func NewService(name string, build func() (*Runlet, error), cfg ServiceConfig) *Service {
	return &Service{name: name, build: build, cfg: cfg}
}

// String returns the service's name, as suture's logs and events show it.
func (s *Service) String() string { return s.name }

// Runs returns how many times Serve has been called, each a run (counting
// those whose build failed).
func (s *Service) Runs() int { return int(s.runs.Load()) }

// Runlet returns the runlet of the latest Serve (running or ended), or nil
// before the first: to observe it (Snapshot) or reach its chips ([Cast],
// [Call]). A restart replaces it.
func (s *Service) Runlet() *Runlet { return s.cur.Load() }

// Serve builds a fresh runlet and runs it: see [Service].
func (s *Service) Serve(ctx context.Context) error {
	run := s.runs.Add(1)
	r, err := s.make()
	if err != nil {
		return fmt.Errorf("runlet: service %q, run %d: build: %w", s.name, run, err)
	}
	s.cur.Store(r)
	if s.cfg.Drain > 0 {
		err = s.runDraining(ctx, r)
	} else {
		err = r.Run(ctx)
	}
	switch {
	case err != nil:
		return fmt.Errorf("runlet: service %q, run %d: %w", s.name, run, err)
	case ctx.Err() == nil:
		return s.cfg.Ended
	}
	return nil // drained as ctx ended
}

// make calls build; a panic there is its error.
func (s *Service) make() (r *Runlet, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = engine.NewPanicError(v)
		}
	}()
	r, err = s.build()
	if err == nil && r == nil {
		err = fmt.Errorf("build returned a nil runlet")
	}
	return r, err
}

// runDraining runs r with a ctx that does not end with ctx, and drains r
// (for at most cfg.Drain) when ctx ends.
func (s *Service) runDraining(ctx context.Context, r *Runlet) error {
	ran := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Drain)
			defer cancel()
			_ = r.Drain(dctx) // its result is Run's
		case <-ran:
		}
	})
	err := r.Run(context.WithoutCancel(ctx))
	close(ran)
	wg.Wait()
	return err
}
