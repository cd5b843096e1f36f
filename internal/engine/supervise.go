package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"
)

// # Supervision: restarting a chip inside its runlet
//
// A chip is a passive step, so the scheduler restarts it by binding it
// again: a fresh runner with fresh state from its state factory, on the same
// pends, whose packs stay where they are. Each chip has a restart type
// ([RestartType], Spec.Restart); the runlet's [Supervisor] has the strategy,
// the intensity and the delay. The cause of a chip's stop and its type say
// whether it restarts:
//
//	cause                                      permanent  transient  temporary
//	error (process, panic, policy's fail)      restart    restart    fail the runlet
//	early end (END before its input's END)     restart    ends       ends
//	normal end (END after its input's END)     ends       ends       ends
//	stopped by a sibling's group restart       restart    restart    ends
//
// An early end of a permanent chip is caught before its END is pushed (the
// runner turns it into [ErrEarlyEnd]), so nothing downstream sees it.
//
// A restart, on the scheduler's goroutine: the chips the strategy names
// (the failed one; and those downstream of it, or all) are retired in
// reverse declaration order (Runner's retire: a sync chip's held pack goes
// back to the front of its prev pend, or for the failed chip of an
// at-most-once chip to its dead-letter pend; an async chip's workers get
// its shutdown budget to finish, then their ctx is cancelled; the old state
// goes to its hook), then, after the delay (a timer, never a wait), bound
// again in declaration order and queued to run first. A temporary chip
// stopped by a sibling's restart ends instead: its END is pushed, as if it
// had returned END.
//
// A chip that fails while a restart is under way (an async chip's
// shutdown, a delay) waits, not running, until that restart is done; then
// its own restart is decided, as if it had failed then.
//
// Intensity: more than MaxRestarts restarts within Period gives up: the
// error that asked for the restart, wrapped in a [GiveUpError], becomes the
// runlet's (Run returns it; a SubRunlet's parent gets it as that chip's
// error, which the parent's supervisor may restart in turn). The period is
// measured on a clock that stops during restart delays.

// RestartType says which stops of a chip its runlet's supervisor restarts;
// see the table in supervise.go ("Supervision"). A plain value; the zero
// value is RestartTemporary, today's behaviour: never restarted.
type RestartType uint8

const (
	RestartTemporary RestartType = iota // never restarted: its error fails the runlet
	RestartTransient                    // restarted after an error, not after an end
	RestartPermanent                    // restarted after an error or an early end
)

// String returns "temporary", "transient" or "permanent".
func (t RestartType) String() string {
	switch t {
	case RestartTransient:
		return "transient"
	case RestartPermanent:
		return "permanent"
	}
	return "temporary"
}

// Strategy says which chips a supervisor restarts when one must be. A plain
// value; the zero value is OneForOne.
type Strategy uint8

const (
	OneForOne  Strategy = iota // the chip alone
	RestForOne                 // the chip and every chip downstream of it
	OneForAll                  // every chip of the runlet
)

// String returns "one_for_one", "rest_for_one" or "one_for_all".
func (s Strategy) String() string {
	switch s {
	case RestForOne:
		return "rest_for_one"
	case OneForAll:
		return "one_for_all"
	}
	return "one_for_one"
}

// Supervisor is a runlet's supervision settings (Config.Supervisor). It
// applies to the chips whose restart type is not temporary. A plain value,
// copied by New; the zero value is one_for_one, at most 1 restart in 5 s
// (OTP's defaults), no delay.
type Supervisor struct {
	Strategy Strategy
	// MaxRestarts restarts are allowed within Period; one more gives up.
	// Defaults 1 and 5 s. The period's clock stops during restart delays.
	MaxRestarts int
	Period      time.Duration
	// Delay is waited before a restart's rebinding, plus a random part in
	// [0, Jitter); on a timer, never blocking the scheduler. The random
	// part comes from a generator seeded with Seed, so a run is
	// reproducible (and under testing/synctest, deterministic).
	Delay, Jitter time.Duration
	Seed          uint64
	// OnEvent, if set, is called with every supervision event, on the
	// scheduler's goroutine, after it is logged; it must not block.
	OnEvent func(Event)
}

// EventKind is the kind of a supervision [Event].
type EventKind uint8

const (
	EventRestart   EventKind = iota + 1 // a chip is being restarted
	EventGiveUp                         // the intensity was exceeded: no more restarts
	EventEscalate                       // the error goes to the runlet's Run (and so to a parent)
	EventShutdown                       // an async chip's calls outlived its shutdown budget: their ctx was cancelled
	EventStateLost                      // a restarted chip's state held inputs that no hook took
)

// String returns the kind as slog messages name it.
func (k EventKind) String() string {
	switch k {
	case EventRestart:
		return "restart"
	case EventGiveUp:
		return "give-up"
	case EventEscalate:
		return "escalate"
	case EventShutdown:
		return "shutdown-timeout"
	case EventStateLost:
		return "state-lost"
	}
	return "unknown"
}

// Event is one supervision event. A plain value, safe to copy and read from
// any goroutine; the zero value is no event.
type Event struct {
	Kind     EventKind
	Chip     string        // the chip restarted, the one that failed (give-up, escalate)
	Cause    error         // what asked for the restart (for a sibling, the failed chip's error)
	By       string        // for a restart, the chip whose failure caused it (itself for the failed one)
	Restarts int           // the chip's restarts so far, this one included
	Delay    time.Duration // the restart delay, jitter included
	Time     time.Time
}

// ErrEarlyEnd is the cause of a permanent chip's restart after it returned
// END before its input's END (matched with errors.Is).
var ErrEarlyEnd = errors.New("runlet: chip ended before its input")

// ErrGaveUp is matched (errors.Is) by a [GiveUpError].
var ErrGaveUp = errors.New("runlet: supervisor gave up")

// GiveUpError is the error of a runlet whose supervisor gave up: more than
// Restarts restarts within Period. errors.Is/As reach the error that asked
// for the last restart, and ErrGaveUp. Immutable, safe from any goroutine.
type GiveUpError struct {
	Chip     string
	Restarts int
	Period   time.Duration
	Err      error
}

func (e *GiveUpError) Error() string {
	return fmt.Sprintf("runlet: supervisor gave up on chip %q after %d restarts in %v: %v", e.Chip, e.Restarts, e.Period, e.Err)
}

// Unwrap returns the error that asked for the restart.
func (e *GiveUpError) Unwrap() error { return e.Err }

// Is reports whether target is ErrGaveUp.
func (e *GiveUpError) Is(target error) bool { return target == ErrGaveUp }

// SupervisorSnapshot is what a runlet's supervisor has done: its restarts
// in all and the latest events (at most 16). A plain value, safe to copy.
type SupervisorSnapshot struct {
	Strategy string      `json:"strategy"`
	Restarts int         `json:"restarts"`
	Recent   []EventNote `json:"recent,omitempty"`
}

// EventNote is an [Event] as a snapshot shows it.
type EventNote struct {
	Kind  string    `json:"kind"`
	Chip  string    `json:"chip"`
	By    string    `json:"by,omitempty"`
	Cause string    `json:"cause,omitempty"`
	Time  time.Time `json:"time"`
}

const recentEvents = 16

// sup is the scheduler's supervisor state, owned by the holder of mu.
type sup struct {
	cfg      Supervisor
	log      *slog.Logger
	rnd      *rand.Rand
	times    []time.Duration // the restarts within the period, on the clock
	paused   time.Duration   // the restart delays so far: the clock is now - paused
	restarts int
	recent   []EventNote
	// The restart in progress: the slots being retired, then waiting for
	// the delay; none while empty.
	group  []int32
	queued []queuedFail // chips that failed during the restart, in order
	cause  error
	by     string
	delay  time.Duration
	timer  *time.Timer // the delay; its pending firing is counted in Runlet.wg
	armed  bool
}

// initSupervisor makes the supervisor when a chip of the runlet can be
// restarted. Called by Attach once the slots are known.
func (r *Runlet) initSupervisor() {
	need := false
	for i := range r.slots {
		need = need || r.slots[i].spec.Restart != RestartTemporary
	}
	if !need {
		return
	}
	c := r.cfg.Supervisor
	if c.MaxRestarts <= 0 {
		c.MaxRestarts = 1
	}
	if c.Period <= 0 {
		c.Period = 5 * time.Second
	}
	log := r.cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	r.sup = &sup{cfg: c, log: log, rnd: rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15))}
}

// supervise is asked for chip i's error before it fails the runlet: true
// when the supervisor took it (a restart began, or it gave up and failed
// the runlet itself).
func (r *Runlet) supervise(i int32, err error) bool {
	s := &r.slots[i]
	if r.sup == nil || r.stopping || s.spec.Restart == RestartTemporary {
		return false
	}
	if errors.Is(err, ErrEarlyEnd) && s.spec.Restart != RestartPermanent {
		return false
	}
	u := r.sup
	if len(u.group) > 0 {
		// Another restart is under way (an async chip's shutdown, a
		// delay): this one waits for it, its chip not running meanwhile.
		s.down = true
		u.queued = append(u.queued, queuedFail{i, err, s.restarts})
		return true
	}
	now := r.clock()
	u.times = slices.DeleteFunc(u.times, func(t time.Duration) bool { return t <= now-u.cfg.Period })
	if len(u.times) >= u.cfg.MaxRestarts {
		gerr := &GiveUpError{Chip: s.key, Restarts: len(u.times), Period: u.cfg.Period, Err: err}
		r.event(Event{Kind: EventGiveUp, Chip: s.key, Cause: err, Restarts: s.restarts, Time: time.Now()})
		r.event(Event{Kind: EventEscalate, Chip: s.key, Cause: gerr, Restarts: s.restarts, Time: time.Now()})
		r.fail(i, gerr)
		return true
	}
	u.times = append(u.times, now)
	u.group, u.cause, u.by = r.restartGroup(i), err, s.key
	// Retire in reverse declaration order; the group is in declaration order.
	for k := len(u.group) - 1; k >= 0; k-- {
		j := u.group[k]
		sj := &r.slots[j]
		sj.down, sj.retiring = true, true
		sj.failedRestart = j == i
		r.retire(j)
	}
	r.afterRetire()
	return true
}

// restartGroup lists, in declaration order, the chips the strategy restarts
// for chip i.
func (r *Runlet) restartGroup(i int32) []int32 {
	switch r.sup.cfg.Strategy {
	case OneForAll:
		g := make([]int32, 0, len(r.slots))
		for j := range r.slots {
			if !r.slots[j].ended || int32(j) == i {
				g = append(g, int32(j))
			}
		}
		return g
	case RestForOne:
		return r.downstream(i)
	}
	return []int32{i}
}

// downstream lists i and every chip fed, directly or not, by i's next pend
// (and its dead-letter pend), that has not ended, in declaration order.
func (r *Runlet) downstream(i int32) []int32 {
	seen := make([]bool, len(r.slots))
	seen[i] = true
	work := []int32{i}
	for len(work) > 0 {
		j := work[len(work)-1]
		work = work[:len(work)-1]
		outs := []int32{r.slots[j].nextPend}
		if d := r.slots[j].deadPend; d >= 0 {
			outs = append(outs, d)
		}
		for _, p := range outs {
			for _, k := range r.pendReaders[p] {
				if !seen[k] && !r.slots[k].ended {
					seen[k] = true
					work = append(work, k)
				}
			}
		}
	}
	var g []int32
	for j := range seen {
		if seen[j] {
			g = append(g, int32(j))
		}
	}
	return g
}

// retire asks chip j's runner to give back what it holds; once it is idle
// the slot stops retiring. A temporary sibling ends.
func (r *Runlet) retire(j int32) {
	s := &r.slots[j]
	rt, ok := s.run.(retirer)
	if !ok {
		s.retiring = false // not a Func: nothing held
		return
	}
	cause := r.sup.cause
	if !s.failedRestart {
		cause = fmt.Errorf("%w: stopped for %q's restart", ErrRestarted, r.sup.by)
	}
	idle, lost, err := rt.retire(cause, s.failedRestart, s.spec.Restart == RestartTemporary)
	// What it gave back, pushed or dead-lettered wakes whoever waits on it.
	r.wakePend(s.prevPend)
	r.wakePool(s.prevPool)
	r.wakePend(s.nextPend)
	if s.deadPend >= 0 {
		r.wakePend(s.deadPend)
	}
	if err != nil {
		r.report(&ChipError{Chip: s.key, Err: err})
	}
	if lost != "" {
		r.event(Event{Kind: EventStateLost, Chip: s.key, Cause: errors.New(lost), Time: time.Now()})
	}
	if rt.overBudget() {
		r.event(Event{Kind: EventShutdown, Chip: s.key, Cause: cause, Time: time.Now()})
	}
	if idle {
		s.retiring = false
	}
}

// afterRetire starts the delay, or rebinds at once, once every chip of the
// restart is idle.
func (r *Runlet) afterRetire() {
	u := r.sup
	for _, j := range u.group {
		if r.slots[j].retiring {
			return // its Wake brings us back (runChip)
		}
	}
	u.delay = u.cfg.Delay
	if u.cfg.Jitter > 0 {
		u.delay += time.Duration(u.rnd.Int64N(int64(u.cfg.Jitter)))
	}
	if u.delay <= 0 {
		r.rebind()
		return
	}
	r.wg.Add(1)
	u.armed = true
	u.timer = time.AfterFunc(u.delay, func() {
		defer r.wg.Done()
		r.post(mail{kind: mailRestart})
	})
}

// rebind binds the chips of the restart again, in declaration order, and
// queues them to run first; a temporary sibling ends instead.
func (r *Runlet) rebind() {
	u := r.sup
	if u.armed {
		u.armed = false
		u.paused += u.delay
	}
	group := u.group
	u.group = nil
	restart := func(j int32) bool {
		s := &r.slots[j]
		return s.spec.Restart != RestartTemporary || s.failedRestart
	}
	// Calls pending on a restarted chip fail and its casts are dropped
	// (cast.go): they were meant for the state being replaced.
	for _, j := range group {
		if restart(j) {
			r.failCalls(int(j), ErrRestarted)
		}
	}
	// Bind first, in declaration order (their state factories run in that
	// order); a failure leaves the old runners for settle to close.
	fresh := make([]Runner, len(group))
	for k, j := range group {
		if !restart(j) {
			continue
		}
		run, err := safeBind(r.chips[j], r.slots[j].binding)
		if err != nil {
			for _, f := range fresh[:k] {
				if f != nil {
					f.Close()
				}
			}
			r.fail(j, fmt.Errorf("restart: %w", err))
			return
		}
		fresh[k] = run
	}
	for k := len(group) - 1; k >= 0; k-- { // the old ones close in reverse order
		j := group[k]
		s := &r.slots[j]
		s.down = false
		if !restart(j) {
			r.endStopped(j)
			continue
		}
		if err := s.run.Close(); err != nil {
			r.report(&ChipError{Chip: s.key, Err: err})
		}
	}
	for k, j := range group {
		if !restart(j) {
			continue
		}
		s := &r.slots[j]
		s.run, s.ended, s.idle = fresh[k], false, false
		s.restarts++
		u.restarts++
		r.AddRestart(int(j))
		r.event(Event{Kind: EventRestart, Chip: s.key, Cause: u.cause, By: u.by, Restarts: s.restarts, Delay: u.delay, Time: time.Now()})
	}
	for k := len(group) - 1; k >= 0; k-- { // pushFront: the first runs first
		if j := group[k]; restart(j) {
			r.fast.pushFront(j)
		}
	}
	r.nextQueued()
}

// queuedFail is a chip's failure that waits for the restart under way.
type queuedFail struct {
	chip int32
	err  error
	gen  int // the chip's restarts then: a later restart of it supersedes this one
}

// nextQueued supervises the failures that came during the restart that
// just ended, one restart at a time (a later one queues again).
func (r *Runlet) nextQueued() {
	u := r.sup
	for len(u.queued) > 0 && len(u.group) == 0 && !r.stopping {
		q := u.queued[0]
		u.queued = u.queued[1:]
		s := &r.slots[q.chip]
		s.down = false
		if s.ended || s.restarts != q.gen {
			continue // a group restart ended or restarted it meanwhile
		}
		if !r.supervise(q.chip, q.err) {
			r.fail(q.chip, q.err)
		}
	}
}

// endStopped ends a temporary chip that a sibling's restart stopped: its
// END goes downstream, as if it had returned END.
func (r *Runlet) endStopped(j int32) {
	s := &r.slots[j]
	if rt, ok := s.run.(retirer); ok {
		if err := rt.endNow(); err != nil {
			r.fail(j, err)
			return
		}
	}
	s.ended = true
	r.wakePend(s.nextPend)
	if s.deadPend >= 0 {
		r.wakePend(s.deadPend)
	}
	if s.output {
		r.outputs--
	}
	if r.finishedFlow() {
		r.beginStop()
		return
	}
	r.endUpstream(j)
	if r.finishedFlow() {
		r.beginStop()
	}
}

// runDown handles a run of a chip being restarted: a retiring async chip's
// Wake brings its finished work in.
func (r *Runlet) runDown(i int32) {
	s := &r.slots[i]
	r.stats.StatMiss++
	if !s.retiring || r.stopping {
		return
	}
	r.retire(i)
	if !s.retiring {
		r.afterRetire()
	}
}

// clock is the supervisor's clock: time not spent in restart delays.
func (r *Runlet) clock() time.Duration {
	return time.Duration(time.Now().UnixNano()) - r.sup.paused
}

// event logs e, counts it for snapshots and calls the hook.
func (r *Runlet) event(e Event) {
	u := r.sup
	attrs := []any{"chip", e.Chip, "runlet_restarts", u.restarts}
	if e.Cause != nil {
		attrs = append(attrs, "cause", e.Cause.Error())
	}
	if e.Kind == EventRestart {
		attrs = append(attrs, "by", e.By, "restarts", e.Restarts, "delay", e.Delay)
	}
	level := slog.LevelWarn
	if e.Kind == EventGiveUp || e.Kind == EventEscalate {
		level = slog.LevelError
	}
	u.log.Log(context.Background(), level, "runlet: supervisor: "+e.Kind.String(), attrs...)
	n := EventNote{Kind: e.Kind.String(), Chip: e.Chip, By: e.By, Time: e.Time}
	if e.Cause != nil {
		n.Cause = e.Cause.Error()
	}
	if len(u.recent) == recentEvents {
		u.recent = append(u.recent[:0], u.recent[1:]...)
	}
	u.recent = append(u.recent, n)
	if u.cfg.OnEvent != nil {
		func() {
			defer func() {
				if v := recover(); v != nil {
					r.report(fmt.Errorf("Supervisor.OnEvent: %w", panicError(v)))
				}
			}()
			u.cfg.OnEvent(e)
		}()
	}
}

// stopSupervisor cancels a pending restart delay (settle).
func (r *Runlet) stopSupervisor() {
	if u := r.sup; u != nil && u.armed && u.timer.Stop() {
		u.armed = false
		r.wg.Done()
	}
}

// supSnapshot is the supervisor's part of a snapshot; nil for none.
func (r *Runlet) supSnapshot() *SupervisorSnapshot {
	u := r.sup
	if u == nil {
		return nil
	}
	return &SupervisorSnapshot{Strategy: u.cfg.Strategy.String(), Restarts: u.restarts, Recent: slices.Clone(u.recent)}
}

// retirer is a runner the supervisor can restart ([Func]'s).
type retirer interface {
	// retire gives back what the runner holds for a restart (see
	// supervise_runner.go); idle is false while async work is in flight
	// (its Wake comes). lost names state that no hook took.
	retire(cause error, failed, temporary bool) (idle bool, lost string, err error)
	// overBudget reports, once, that the shutdown budget ran out.
	overBudget() bool
	// endNow pushes the chip's END (a temporary chip a restart stopped).
	endNow() error
}
