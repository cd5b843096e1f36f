package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/btree"
	"github.com/runlet/runlet/hints"
)

// # Error policies: what happens to a pack whose process call failed
//
// Without a policy ([Func.Fail] nil) a process error is the chip's error,
// and the runlet stops: the default, at no cost. With one, the runner asks
// Fail, on the error path only, what to do with the pack whose call failed
// (its attempts so far and the time of its first failure), and Fail answers
// with a [Verdict]:
//
//	verdict       the pack                              the chip
//	VerdictFail   held (as today)                       fails with the error
//	VerdictRetry  called again after the delay          sync: waits on its timer
//	VerdictDead   pushed to the dead-letter pend        runs on
//
// A retry never blocks the scheduler: a sync chip keeps the pack as its
// held pack, asks the scheduler to run it again after the delay (the same
// timer a Timer chip arms, armed at any moment), and answers every earlier
// run with WaitBusy. An async chip that keeps order (Concurrency 1, or
// Ordered) waits on its worker, since no pack of it could overtake; an
// unordered one with more workers hands the pack back to the scheduler,
// which keeps it in a btree ordered by deadline, hands later packs out
// meanwhile, and hands it out again, alone, when its deadline is due.
//
// Pace, if set (a rate limit), is asked before every call, retries
// included, for how long that call must wait; a sync chip waits on its
// timer as for a retry, a worker waits on a timer (every worker waits on
// the same limiter, so no other pack could run sooner).
//
// The supervisor (supervise.go) decides restarts where VerdictFail becomes the chip's
// error (Result.Err): the failed pack is then the held one (sync) or the
// batch's rest (async), as for any error today.

// DeadLetter is what a chip's error policy pushes to its dead-letter pend for
// a pack it gives up on: the pack's value, the last error, the chip's key and
// how many calls were made for it. A DeadLetter is a plain value, safe to
// copy and read from any goroutine once received; the zero value names no
// chip.
type DeadLetter[T any] struct {
	Value    T
	Err      error
	Chip     string
	Attempts int
}

// String returns "chip: value after N attempts: error".
func (d DeadLetter[T]) String() string {
	return fmt.Sprintf("%s: %v after %d attempts: %v", d.Chip, d.Value, d.Attempts, d.Err)
}

// Verdict is an error policy's answer for a failed call; see "Error
// policies" in this file. A plain value; the zero value is VerdictFail.
type Verdict uint8

const (
	VerdictFail  Verdict = iota // the error fails the chip
	VerdictRetry                // call again after the returned delay
	VerdictDead                 // push the pack to the dead-letter pend and go on
)

// FailFunc is a chip's error policy: given a failed call's error, the calls
// made for the pack so far (1 for the first) and when its first call failed,
// it says what to do, and after how long for a retry. It is called on the
// scheduler's goroutine (sync chips) or on a worker (async chips), so it
// must be safe for concurrent use.
type FailFunc func(err error, attempts int, first time.Time) (Verdict, time.Duration)

// deadEnder is a runner with a dead-letter pend, which the scheduler ends
// when it ends the chip from downstream (endUpstream).
type deadEnder interface{ EndDead() error }

// retryItem is a pack of an unordered async chip waiting for its retry.
type retryItem[In any] struct {
	at       time.Time
	seq      uint64 // ties broken in arrival order
	pk       hints.Pack[In]
	attempts int
	first    time.Time
}

func retryLess[In any](a, b retryItem[In]) bool {
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	return a.seq < b.seq
}

// verdict asks the policy about pk's failed call and wraps a final error
// with the attempts. A runlet that is stopping never retries. An END
// (end set) is never dead-lettered: that would push a zero value as a dead
// letter and lose the END, so the chip would never end and the runlet
// would stall; its error fails the runlet instead.
func (r *runner[In, Out, S]) verdict(err error, attempts int, first time.Time, end bool) (Verdict, time.Duration, error) {
	if r.ctx.Err() != nil {
		return VerdictFail, 0, err
	}
	v, d := r.cfg.Fail(err, attempts, first)
	if v == VerdictDead && end {
		v = VerdictFail
	}
	if v == VerdictFail && attempts > 1 {
		err = fmt.Errorf("after %d attempts: %w", attempts, err)
	}
	return v, d, err
}

// dead pushes pk's dead letter; the caller wakes the pend's readers.
// A dead letter is pushed even when the pend is limited: it counts in its
// pool like any pack, so a dead-letter pend nobody drains fills its pool
// and stalls its producers (a StallError names it), but a failed pack is
// never held back, which would stop the chip's main output for its side one.
func (r *runner[In, Out, S]) dead(pk hints.Pack[In], err error, attempts int) error {
	if r.dlq == nil {
		return fmt.Errorf("dead letter with no dead-letter pend: %w", err)
	}
	return r.dlq.Push(hints.Pack[DeadLetter[In]]{Value: DeadLetter[In]{Value: pk.Value, Err: err, Chip: r.cfg.Key, Attempts: attempts}})
}

// EndDead pushes END to the dead-letter pend, once.
func (r *runner[In, Out, S]) EndDead() error {
	if r.dlq == nil || r.deadEnded {
		return nil
	}
	r.deadEnded = true
	return r.dlq.Push(hints.EndOf[DeadLetter[In]](1))
}

// failedSync applies the policy to held, whose call on the scheduler's
// goroutine failed with err. keep: held stays for a retry, and runSync
// returns res (the timer is armed); otherwise held went to the dead-letter
// pend and runSync goes on, or res.Err is set and the chip fails.
func (r *runner[In, Out, S]) failedSync(res *Result, err error, held hints.Pack[In]) (keep bool) {
	r.attempts++
	if r.attempts == 1 {
		r.first = time.Now()
	}
	v, d, err := r.verdict(err, r.attempts, r.first, held.Hint == hints.End)
	switch v {
	case VerdictRetry:
		r.waitSync(res, d)
		return true
	case VerdictDead:
		if err := r.dead(held, err, r.attempts); err != nil {
			res.Err = err
			return true
		}
		r.attempts = 0
		res.Wake |= WakeDead | WakePrev
		return false
	}
	res.Err = err
	return true
}

// waitSync makes a sync chip wait d before its next call on the held pack:
// the scheduler's timer runs it again then, and earlier runs find it
// waiting (waitingSync).
func (r *runner[In, Out, S]) waitSync(res *Result, d time.Duration) {
	r.until = time.Now().Add(max(d, 0))
	r.deadline = time.Time{} // a Timer chip's deadline is armed again when asked
	res.After = max(d, 1)
	res.Wait = WaitBusy
}

// waitingSync reports whether a sync chip still waits for r.until (a retry
// or a rate limit), clearing it once due.
func (r *runner[In, Out, S]) waitingSync(res *Result) bool {
	if d := time.Until(r.until); d > 0 {
		res.Wait = WaitBusy // the armed timer runs it again
		return true
	}
	r.until = time.Time{}
	return false
}

// paceSync asks the rate limit before a call on the held pack; true if the
// chip must wait first (res says how long).
func (r *runner[In, Out, S]) paceSync(res *Result) bool {
	if r.paced {
		return false
	}
	r.paced = true
	if d := r.cfg.Pace(); d > 0 {
		r.waitSync(res, d)
		return true
	}
	return false
}

// sleep waits d on a worker, or until the runlet stops (false).
func (r *runner[In, Out, S]) sleep(d time.Duration) bool {
	if d <= 0 {
		return r.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.ctx.Done():
		return false
	}
}

// failedAsync applies the policy on a worker to b.in[b.rest], whose call
// failed with err after attempts calls. true: call it again now (a chip
// that keeps order waited on the worker); false: process returns (b.err, or
// b.retry for the scheduler) or, with b.rest moved on, goes on.
func (r *runner[In, Out, S]) failedAsync(b *batch[In, Out], err error, attempts int, first time.Time) (again bool) {
	v, d, err := r.verdict(err, attempts, first, b.in[b.rest].Hint == hints.End)
	switch v {
	case VerdictRetry:
		if r.async.n > 1 && !r.async.ordered {
			b.retry, b.retryAt, b.attempts, b.first = true, time.Now().Add(d), attempts, first
			return false
		}
		if r.sleep(d) {
			return true
		}
		b.err = r.ctx.Err() // stopped while backing off: the stop working, not news (halt)
		return false
	case VerdictDead:
		b.dead = append(b.dead, DeadLetter[In]{Value: b.in[b.rest].Value, Err: err, Chip: r.cfg.Key, Attempts: attempts})
		b.rest++
		return false
	}
	b.err = err
	return false
}

// absorbPolicy pushes a finished batch's dead letters and files its retry
// (an unordered chip's): the failed pack waits in the retry btree, the
// inputs after it go back (absorb puts them back, first). An error is a
// push's.
func (r *runner[In, Out, S]) absorbPolicy(b *batch[In, Out], res *Result) error {
	for _, d := range b.dead {
		if err := r.dlq.Push(hints.Pack[DeadLetter[In]]{Value: d}); err != nil {
			return err
		}
		res.Wake |= WakeDead
	}
	if !b.retry {
		return nil
	}
	a := r.async
	if a.retries == nil {
		a.retries = btree.NewG(8, retryLess[In])
	}
	a.retrySeq++
	a.retries.ReplaceOrInsert(retryItem[In]{at: b.retryAt, seq: a.retrySeq, pk: b.in[b.rest], attempts: b.attempts, first: b.first})
	b.rest++
	return nil
}

// dueRetries moves the retries whose time has come to the due queue and
// asks the scheduler to run the chip again when the next one is.
func (r *runner[In, Out, S]) dueRetries(res *Result) {
	a := r.async
	if a.retries == nil || a.retries.Len() == 0 {
		return
	}
	now := time.Now()
	for a.retries.Len() > 0 {
		it, _ := a.retries.Min()
		if it.at.After(now) {
			if !it.at.Equal(r.deadline) {
				r.deadline = it.at
				res.After = max(it.at.Sub(now), 1)
			}
			return
		}
		a.retries.DeleteMin()
		a.due = append(a.due, it)
	}
	r.deadline = time.Time{}
}

// pendingRetries counts the packs of an unordered chip waiting for a retry.
func (a *async[In, Out]) pendingRetries() int {
	n := len(a.due)
	if a.retries != nil {
		n += a.retries.Len()
	}
	return n
}

// giveBackRetries hands the packs still waiting for a retry back with the
// unused inputs of a chip that ended (they go back to its prev pend).
func (r *runner[In, Out, S]) giveBackRetries() {
	a := r.async
	for _, it := range a.due {
		a.giveBack = append(a.giveBack, it.pk)
	}
	a.due = a.due[:0]
	if a.retries != nil {
		a.retries.Ascend(func(it retryItem[In]) bool {
			a.giveBack = append(a.giveBack, it.pk)
			return true
		})
		a.retries.Clear(false)
	}
}

// ErrTimeout is matched (errors.Is) by the error of a process call that
// returned an error after its deadline ([Func.Timeout], chip's
// Policy.Timeout) passed; package chip re-exports it.
var ErrTimeout = errors.New("chip: process call timed out")

// burst gives a sync chip's burst its deadline and watchdog; the returned
// function ends them.
func (r *runner[In, Out, S]) burst() func() {
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.Timeout)
	r.burstCtx = ctx
	var t *time.Timer
	if r.cfg.Stuck != nil {
		late := r.cfg.Timeout + r.cfg.Grace
		t = time.AfterFunc(late, func() { r.cfg.Stuck(late) })
	}
	return func() {
		if t != nil {
			t.Stop()
		}
		cancel()
		r.burstCtx = nil
	}
}

// callCtx is the ctx a sync chip's calls get: the burst's, with its
// deadline, or the runlet's.
func (r *runner[In, Out, S]) callCtx() context.Context {
	if r.burstCtx != nil {
		return r.burstCtx
	}
	return r.ctx
}

// timedOut wraps err with ErrTimeout when the burst's deadline had passed
// (and the runlet is not stopping).
func (r *runner[In, Out, S]) timedOut(err error) error {
	if r.burstCtx != nil && r.burstCtx.Err() != nil && r.ctx.Err() == nil {
		return fmt.Errorf("%w after %v: %w", ErrTimeout, r.cfg.Timeout, err)
	}
	return err
}
