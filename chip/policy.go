package chip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/runlet/runlet/hints"
	"github.com/runlet/runlet/internal/engine"
	"github.com/runlet/runlet/pool"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/time/rate"
)

// DeadLetter is what a chip's [Policy] pushes to its dead-letter pend
// ([Policy.Dead]) for a pack it gives up on: the pack's Value, the last
// error Err, the Chip's key and the Attempts made for it (calls, the first
// included; a call the open circuit breaker refused counts as one).
// A DeadLetter is a plain value, safe to copy and read from any goroutine;
// the zero value names no chip.
type DeadLetter[T any] = engine.DeadLetter[T]

// ErrCircuitOpen is matched (errors.Is) by the error of a call that an open
// circuit breaker ([Breaker]) refused without calling Process.
var ErrCircuitOpen = errors.New("chip: circuit breaker open")

// ErrTimeout is matched (errors.Is) by the error of a process call that
// returned an error after its [Policy.Timeout] passed; the call's own error
// is wrapped too (usually context.DeadlineExceeded).
var ErrTimeout = engine.ErrTimeout

// Policy is a chip's error policy ([Config.Policy]): what happens to one
// input pack whose process call fails, and what every call goes through
// first. Its parts compose in one fixed order, each optional:
//
//	Rate     waits for the rate limit (never on the scheduler: see below)
//	Breaker  refuses the call while open: ErrCircuitOpen
//	Timeout  gives the call's ctx a deadline
//	Process  the chip's work
//	Retry    calls again after a backoff, while the error is retryable
//	Dead     pushes the pack to the dead-letter pend, and the chip runs on
//	(none)   the error fails the runlet, as without a policy
//
// A pack is retried until Retry gives up (attempts, elapsed time, or an
// error it does not retry), then dead-lettered if Dead is set, else its
// error fails the runlet, naming the chip and the attempts. Nothing is lost:
// every input becomes an output, a dead letter, or the error.
//
// Order: a chip that keeps order (sync, Concurrency 1, or Ordered) waits for
// a pack's retries before the next pack; an unordered async chip with more
// workers lets later packs overtake one that is backing off. No wait blocks
// the scheduler: a sync chip waits on its timer (the scheduler runs other
// chips meanwhile), an unordered async chip's pack waits in the scheduler's
// btree of deadlines while its workers run other packs, and an ordered
// async chip's worker waits (no other pack of that chip could go first).
// A rate-limited async chip's workers wait on the limiter, which they all
// share, so no pack could run sooner.
//
// Cost: Retry and Dead act on the error path only (a chip without failures
// runs as fast as without them); Breaker takes a mutex per call, Timeout a
// context and a timer per call, Rate a reservation per call, and the three
// make the chip call Process pack by pack (no fused run of packs).
//
// A Policy is a plain value copied into the chip; its breaker and limiter
// are made fresh at each Bind, so a chip's breaker state belongs to one
// runlet. The zero value is no policy: the first error fails the runlet.
// Bad settings are errors of Attach, naming the chip.
type Policy[In any] struct {
	// Retry, if set, retries a failed call with exponential backoff.
	Retry *Retry
	// Timeout, if positive, is each process call's deadline: its ctx is
	// cancelled then, and an error it returns afterwards matches
	// [ErrTimeout]. A call still running Grace after its deadline (it
	// ignores its ctx) is reported to Stuck, naming the chip.
	Timeout time.Duration
	// Grace is how long past its deadline a call may run before it is
	// reported (default: Timeout).
	Grace time.Duration
	// Stuck, if set, is told of a call that ignored its ctx: the chip key
	// and how long the call had run. It runs on a timer's goroutine. Nil
	// logs a warning with log/slog.
	Stuck func(chip string, running time.Duration)
	// Dead, if set, receives a [DeadLetter] for every pack the chip gives
	// up on, instead of failing the runlet. It is a second output of the
	// chip: Attach counts the chip among its producers, and the chip pushes
	// END to it when it ends. It must not be the chip's prev or next pend.
	// A dead letter is pushed even when the pend is limited (it counts in
	// its pool like any pack, so a dead-letter pend nobody drains fills its
	// pool and stalls the producers of that pool, and the runlet's
	// StallError names it); a failed pack is never held back, which would
	// stop the chip's main output for its side one. An empty key is named
	// "<chip>.dead".
	Dead *pool.Pend[DeadLetter[In]]
	// Breaker, if set, opens after consecutive failures (retries count) and
	// then fails calls fast with ErrCircuitOpen (to Dead if set, else as
	// the runlet's error) until a half-open probe succeeds.
	Breaker *Breaker
	// Rate, if set, limits the chip's process calls (retries included).
	Rate *Rate
}

// Retry is the retry part of a [Policy]: exponential backoff with jitter,
// computed by github.com/cenkalti/backoff/v5. The zero value retries every
// error but ErrCircuitOpen up to 3 calls in all, 100ms then 200ms apart
// (each ±50%), with no limit on the time elapsed.
type Retry struct {
	// MaxAttempts is the most process calls per pack, the first included
	// (default 3; 1 never retries).
	MaxAttempts int
	// MaxElapsed, if positive, stops retrying a pack when the next retry
	// would come later than this after its first failure.
	MaxElapsed time.Duration
	// Initial is the first backoff (default 100ms); Max caps every backoff
	// (default 10s); Multiplier grows it per attempt (default 2, at least 1).
	Initial, Max time.Duration
	Multiplier   float64
	// Jitter randomizes each backoff by ±Jitter of it (default 0.5;
	// negative for none, at most 1).
	Jitter float64
	// Retryable, if set, says which errors are worth a retry; the others go
	// straight to the dead-letter pend (or fail the runlet). Nil retries
	// every error but ErrCircuitOpen. It may be called from several
	// workers at once.
	Retryable func(error) bool
}

// Breaker is the circuit-breaker part of a [Policy] (sony/gobreaker's
// two-step breaker). The zero value opens after 5 consecutive failures,
// stays open 30s, then lets 1 probe through.
type Breaker struct {
	// Failures is how many consecutive failed calls open it (default 5).
	Failures int
	// Open is how long it stays open before a half-open probe (default 30s).
	Open time.Duration
	// Probes is how many calls it lets through half-open (default 1); as
	// many successes close it, one failure opens it again.
	Probes int
}

// Rate is the rate-limit part of a [Policy] (golang.org/x/time/rate): at
// most PerSecond calls a second on average, Burst at once (default 1).
// PerSecond must be positive.
type Rate struct {
	PerSecond float64
	Burst     int
}

// check reports the policy's bad settings, for Attach.
func (p *Policy[In]) check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("policy: "+format, args...)) }
	if p.Timeout < 0 || p.Grace < 0 {
		bad("negative Timeout %v or Grace %v", p.Timeout, p.Grace)
	}
	if r := p.Retry; r != nil {
		if r.MaxAttempts < 0 || r.MaxElapsed < 0 || r.Initial < 0 || r.Max < 0 {
			bad("Retry: negative MaxAttempts %d, MaxElapsed %v, Initial %v or Max %v", r.MaxAttempts, r.MaxElapsed, r.Initial, r.Max)
		}
		if r.Multiplier != 0 && r.Multiplier < 1 {
			bad("Retry: Multiplier %v is below 1", r.Multiplier)
		}
		if r.Jitter > 1 {
			bad("Retry: Jitter %v is above 1", r.Jitter)
		}
		if r.Max > 0 && r.Max < r.Initial {
			bad("Retry: Max %v is below Initial %v", r.Max, r.Initial)
		}
	}
	if b := p.Breaker; b != nil && (b.Failures < 0 || b.Open < 0 || b.Probes < 0) {
		bad("Breaker: negative Failures %d, Open %v or Probes %d", b.Failures, b.Open, b.Probes)
	}
	if r := p.Rate; r != nil && (r.PerSecond <= 0 || r.Burst < 0) {
		bad("Rate: PerSecond %v must be positive and Burst %d not negative", r.PerSecond, r.Burst)
	}
	return errors.Join(errs...)
}

// applyPolicy fills the engine's step for chip key with the policy: Fail,
// Pace, DeadPend, and Process wrapped in the breaker and the timeout (a
// fresh breaker and limiter per Bind).
func applyPolicy[In, Out, S any](key string, p *Policy[In], step *engine.Func[In, Out, S]) {
	if p.Timeout > 0 && step.Async {
		step.Process = withTimeout(key, step.Process, p.Timeout, p.Grace, p.Stuck)
		step.Run = nil
	} else if p.Timeout > 0 { // one deadline per burst (engine.Func.Timeout)
		stuck := stuckFunc(p.Stuck, p.Timeout)
		step.Timeout, step.Grace = p.Timeout, cmpOr(p.Grace, p.Timeout)
		step.Stuck = func(running time.Duration) { stuck(key, running) }
	}
	if p.Breaker != nil {
		step.Process = withBreaker(key, step.Process, p.Breaker)
		step.Run = nil
	}
	if p.Rate != nil {
		lim := rate.NewLimiter(rate.Limit(p.Rate.PerSecond), max(p.Rate.Burst, 1))
		step.Pace = func() time.Duration { return lim.Reserve().Delay() }
	}
	if p.Dead != nil {
		step.DeadPend = engine.DeclOf((*engine.PendDecl[DeadLetter[In]])(p.Dead)).Key()
	}
	if p.Retry != nil || p.Dead != nil || p.Breaker != nil {
		step.Fail = failFunc(p.Retry, p.Dead != nil)
	}
}

// failFunc is the engine's verdict for a failed call: retry while Retry
// allows, then the dead-letter pend if dead, else fail.
func failFunc(rt *Retry, dead bool) engine.FailFunc {
	var r Retry
	if rt != nil {
		r = *rt
		r.MaxAttempts = cmpOr(r.MaxAttempts, 3)
		r.Initial = cmpOr(r.Initial, 100*time.Millisecond)
		r.Max = cmpOr(r.Max, 10*time.Second)
		r.Multiplier = cmpOr(r.Multiplier, 2)
		r.Jitter = max(cmpOr(r.Jitter, 0.5), 0)
	}
	return func(err error, attempts int, first time.Time) (engine.Verdict, time.Duration) {
		if rt != nil && attempts < r.MaxAttempts && r.retryable(err) {
			d := r.backoff(attempts)
			if r.MaxElapsed <= 0 || time.Since(first)+d <= r.MaxElapsed {
				return engine.VerdictRetry, d
			}
		}
		if dead {
			return engine.VerdictDead, 0
		}
		return engine.VerdictFail, 0
	}
}

func (r *Retry) retryable(err error) bool {
	if r.Retryable != nil {
		return r.Retryable(err)
	}
	return !errors.Is(err, ErrCircuitOpen)
}

// backoff is the wait after the attempts-th failed call: the attempts-th
// interval of cenkalti's exponential backoff (stateful, so replayed from
// its start: attempts is small, and this is the error path).
func (r *Retry) backoff(attempts int) time.Duration {
	b := backoff.ExponentialBackOff{InitialInterval: r.Initial, RandomizationFactor: r.Jitter, Multiplier: r.Multiplier, MaxInterval: r.Max}
	b.Reset()
	var d time.Duration
	for range attempts {
		d = b.NextBackOff()
	}
	return d
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// stuckFunc is Policy.Stuck, or a slog warning when nil.
func stuckFunc(stuck func(string, time.Duration), d time.Duration) func(string, time.Duration) {
	if stuck != nil {
		return stuck
	}
	return func(chip string, running time.Duration) {
		slog.Warn("runlet: a process call ignores its ctx past its deadline", "chip", chip, "running", running, "timeout", d)
	}
}

// withTimeout gives each call of process a ctx with a deadline d, and
// reports a call still running grace after it.
func withTimeout[In, Out, S any](key string, process func(context.Context, hints.Pack[In], *S) (hints.Pack[Out], error),
	d, grace time.Duration, stuck func(string, time.Duration)) func(context.Context, hints.Pack[In], *S) (hints.Pack[Out], error) {
	late := cmpOr(grace, d) + d
	stuck = stuckFunc(stuck, d)
	report := func() { stuck(key, late) }
	return func(ctx context.Context, in hints.Pack[In], s *S) (hints.Pack[Out], error) {
		cctx, cancel := context.WithTimeout(ctx, d)
		t := time.AfterFunc(late, report)
		out, err := process(cctx, in, s)
		t.Stop()
		if err != nil && ctx.Err() == nil && cctx.Err() != nil {
			err = fmt.Errorf("%w after %v: %w", ErrTimeout, d, err)
		}
		cancel()
		return out, err
	}
}

// withBreaker refuses calls of process while the breaker is open.
func withBreaker[In, Out, S any](key string, process func(context.Context, hints.Pack[In], *S) (hints.Pack[Out], error),
	b *Breaker) func(context.Context, hints.Pack[In], *S) (hints.Pack[Out], error) {
	failures := uint32(cmpOr(b.Failures, 5))
	cb := gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        key,
		MaxRequests: uint32(cmpOr(b.Probes, 1)),
		Timeout:     cmpOr(b.Open, 30*time.Second),
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
	})
	return func(ctx context.Context, in hints.Pack[In], s *S) (hints.Pack[Out], error) {
		if in.Hint == hints.End {
			// END is no call the breaker guards: refused, it would be
			// dead-lettered as a zero value and the chip would never end.
			return process(ctx, in, s)
		}
		done, err := cb.Allow()
		if err != nil {
			return hints.Pack[Out]{}, fmt.Errorf("%w (%w)", ErrCircuitOpen, err)
		}
		out, err := process(ctx, in, s)
		done(err)
		return out, err
	}
}

// WithPolicy returns a copy of f with the error policy p in place of its
// own (see [Policy]): so any chip of this package takes one, as in
// chip.Map(key, prev, next, f).WithPolicy(chip.Policy[In]{Retry: &chip.Retry{}}).
// f itself is not changed. Bad settings in p are errors of Attach, naming
// the chip.
func (f *Func[In, Out, S]) WithPolicy(p Policy[In]) *Func[In, Out, S] {
	g := *f
	g.cfg.Policy = p
	return &g
}
