// Package hud is a live terminal view of a runlet, in the manner of htop:
// the flow on the left, its chips on the right, its log at the bottom, keys
// to move about and to pause, resume or drain it.
//
//	wordcount · RUNNING · 2.3s · ▕██░░░░░░░░░░░░░░▏ 915/7711 packs (12%) eta 17.2s · ⚠ BOTTLENECK: read (load 103%)
//	╭──────────────────────╮╭─────────────────────────────────────────────────────────────────────╮
//	│╔════════════════════╗││  CHIP    STATE      WORKERS   IN/S   OUT/S     IN      P95  LOAD  ERR│
//	│║▶ walk wait-room    ║││▶ walk    wait-room      0/1  359/s   357/s    919    816ns    0%    0│
//	│╚════════════════════╝││  read    busy           8/8  336/s   356/s    794  26.74ms  103%    0 ⚠
//	│   • walk.out ▕███░░░▏││  lines   wait-data     sync 263.1k/s ...                             │
//
// # What it shows
//
//   - The header: the flow's state (and PAUSED), the time since Run
//     started, the progress of work of known size with its ETA, the
//     bottleneck with its load, and the runlet's error once it has one.
//   - Left, the flow diagram: one box per chip, in the order given to
//     runlet.New, each followed by the pend it pushes into, with a fill
//     bar of the packs it holds over its capacity (its limit, else the
//     larger of its private size and its pool's limit) and its high-water
//     mark over the statistics' window. A mark moves down the edge while
//     the chip above pushes packs; the bottleneck's box has a thick border
//     and the mark [BottleneckMark]; the selected chip has a double border.
//   - Right, the table: each chip's state, its workers (in flight over
//     Concurrency, for an async chip), packs in and out per second, packs
//     in, p95 latency, load and errors. Enter replaces it with the selected
//     chip's details: its pends, the packs it holds, counts, rates, busy
//     and waiting times, p50/p95/p99/max latency, progress and a sparkline
//     of its next pend's depth.
//   - Bottom, the log pane: the records of a [LogHandler], an slog.Handler
//     to pass as runlet.Config.Logger (slog.New(h)), so the runlet's
//     lifecycle events and errors, and the program's own logs, show there;
//     and the HUD's notes on what its keys did.
//
// Keys ([Keys]): ↑/↓ or k/j select a chip, enter opens its details (esc
// closes them), p or space pauses and resumes, d drains (runlet.Drain: the
// inputs stop, the work in flight finishes, the HUD quits once the flow
// has settled; d again aborts, as a second Drain does), q quits.
//
// # What it costs the flow
//
// The HUD reads snapshots, nothing else: one runlet.Snapshot per refresh
// (four a second by default), which never waits for the scheduler for
// more than 2 ms and costs the flow nothing per pack. The rates, latencies
// and the bottleneck come from the runlet's own statistics
// (runlet.Config.Stats, whose cost is measured in bench/); without them the
// HUD shows states, pends and counts only. The log pane's handler keeps a
// bounded ring of lines behind a mutex and never waits for the screen.
//
// # Watching from elsewhere
//
// A [Source] is where the snapshots come from: [Live] over a runlet in the
// process, or [Stream] over a stream of JSON snapshots from any io.Reader
// (a file, a pipe, a socket), which [Publish] writes from the process that
// runs the flow. A streamed flow is shown the same way; its keys cannot
// pause or drain it (a [Control] is needed for that). cmd/runlet-hud is
// the program that watches such a stream.
//
// # Running it
//
// [Watch] runs a runlet and the HUD together and returns Run's error;
// [New] and [Run] give the model and the program for other arrangements
// (the [Model] is a Bubble Tea model, to embed in a larger program).
//
// The module is apart from the library's (its own go.mod) so that the
// library does not depend on Bubble Tea and Lip Gloss. For the same reason
// the examples' -hud flag lives here: examples/wordcount and
// examples/logbatch are package main in the library's module, which cannot
// import this one, so hud/examples/wordcount and hud/examples/logbatch wire
// the same flows again, with -hud.
package hud
