package hud

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/runlet/runlet/runlet"
)

// ErrQuit is the cause with which [Watch] aborts a flow when the HUD's
// quit key is pressed before the flow has ended.
var ErrQuit = errors.New("hud: quit before the flow ended")

// Watch runs r and a HUD over it together: r.Run(ctx) on a goroutine of its
// own, the HUD on the terminal, its keys acting on r (cfg.Control defaults
// to r). It returns once both are done, with Run's error (joined with the
// HUD's, if the terminal failed):
//
//   - the flow ends by itself: the HUD stays on its last state until the
//     quit key (or quits at once with cfg.QuitOnEnd), and Run's error is
//     returned;
//   - the drain key: the flow drains, the HUD quits once it has settled,
//     and Drain's result (nil for a clean drain) is returned;
//   - the quit key while the flow runs: Run's ctx ends with [ErrQuit] as its
//     cause, and Run's error wrapped in ErrQuit is returned (ctx's end
//     likewise ends both, with ctx's error).
//
// For the log pane, give r a runlet.Config.Logger of slog.New(cfg.Logs),
// and for rates, p95 and the bottleneck, runlet.Config.Stats. The HUD only
// calls r.Snapshot, a few times a second: it costs the flow nothing per
// pack. opts are passed to Bubble Tea (tea.WithInput, tea.WithOutput, ...).
func Watch(ctx context.Context, r *runlet.Runlet, cfg Config, opts ...tea.ProgramOption) error {
	if cfg.Control == nil {
		cfg.Control = r
	}
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	errc := make(chan error, 1)
	go func() { errc <- r.Run(runCtx) }()
	_, herr := Run(ctx, New(Live(r), cfg), opts...)
	stop(ErrQuit) // nothing to stop if the flow has ended
	err := <-errc
	if ctx.Err() == nil && errors.Is(err, context.Canceled) && errors.Is(context.Cause(runCtx), ErrQuit) {
		err = fmt.Errorf("%w (%w)", ErrQuit, err)
	}
	return errors.Join(err, herr)
}
