// Package prometheus exports runlets' state and statistics as Prometheus
// metrics. It is a module of its own (github.com/runlet/runlet/metrics/prometheus),
// so that the runlet module does not depend on the Prometheus client.
//
// A [Collector] holds any number of runlets, each registered under a name,
// and is registered once in a [prometheus.Registerer]:
//
//	import runletprom "github.com/runlet/runlet/metrics/prometheus"
//
//	metrics := runletprom.New()
//	err := metrics.Register("ingest", r) // r built with runlet.Config{Stats: true}
//	registry.MustRegister(metrics)
//	http.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
//
// # How it reads a runlet
//
// At each scrape the Collector calls [runlet.Runlet.Snapshot] once per
// registered runlet and turns the snapshot into const metrics; it keeps no
// metric between scrapes. Snapshot never waits for the scheduler more than
// 2 ms (it returns the latest copy the scheduler published), so a scrape
// never holds the flow, and a flow that is busy costs the scrape at most
// that. The runlet pays nothing between scrapes beyond Config.Stats' own
// cost (see the runlet package); a scrape costs one snapshot (a copy of
// the chips, pools and pends, under the scheduler's lock for the time of
// the copy) and some small allocations per series, on the scraping
// goroutine.
//
// Anything with a Snapshot method is a [Source]: a [SourceFunc] can serve
// the latest JSON snapshot of a flow in another process, decoded into a
// [runlet.Snapshot].
//
// # Metrics
//
// Every metric has the label runlet (the registered name). Always present:
//
//	runlet_state{state}                   gauge: 1 for the current state (new, running, ended, failed, detached), 0 for the others
//	runlet_paused                         gauge: 1 while paused
//	runlet_scheduler_hits_total           counter: chip runs (process calls; packs handed to workers for async chips)
//	runlet_scheduler_misses_total{reason} counter: a chip could not run; reason stat (paused, ended, busy), push (next pend limited), pull (prev pend empty)
//	runlet_pool_size{pool}                gauge: what the pool holds, in its unit (packs; bytes for a bytes pool)
//	runlet_pool_limit{pool}               gauge: its limit (absent when it has none)
//	runlet_pool_high_water{pool}          gauge: the most it held since it was created
//	runlet_pend_depth_packs{pool,pend}    gauge: packs queued in the pend
//	runlet_pend_limit{pool,pend}          gauge: its limit, in its pool's unit (absent when it has none)
//
// With [runlet.Config].Stats on (off, the snapshot has no statistics and
// these are absent):
//
//	runlet_chip_packs_in_total{chip}            counter: packs taken (process calls; packs handed to workers), END included
//	runlet_chip_packs_out_total{chip}           counter: packs pushed to the next pend, END not counted
//	runlet_chip_errors_total{chip}              counter: errors the runlet attributed to the chip
//	runlet_chip_restarts_total{chip}            counter: restarts by a supervisor
//	runlet_chip_busy_seconds_total{chip}        counter: time busy (sync: in bursts; async: worker time, all workers)
//	runlet_chip_wait_input_seconds_total{chip}  counter: time waiting for its prev pend to get data
//	runlet_chip_wait_room_seconds_total{chip}   counter: time held back by its limited next pend
//	runlet_chip_load{chip}                      gauge: fraction of the stats window busy, per worker (1: all the time)
//	runlet_chip_latency_seconds{chip}           summary: process time per pack (below)
//	runlet_chip_latency_max_seconds{chip}       gauge: the longest sampled process time
//	runlet_chip_bottleneck{chip}                gauge: 1 for the snapshot's bottleneck chip, 0 for the others
//	runlet_pend_high_water_packs{pool,pend}     gauge: the most packs the pend held over the stats window (the last seconds)
//	runlet_elapsed_seconds                      gauge: since Run started, until the runlet settled
//	runlet_progress_done{unit}                  gauge: work done by input chips that know their size (unit packs or bytes)
//	runlet_progress_size{unit}                  gauge: the size of that work
//	runlet_progress_eta_seconds                 gauge: time left at the recent rate; 0 when done or unknown
//
// Rates are not exported: Prometheus computes them from the counters
// (rate(runlet_chip_packs_out_total[1m])) over the window the query
// chooses, where the snapshot's InRate and OutRate are over a fixed few
// seconds. Busy and wait times are counters in seconds for the same
// reason: rate(runlet_chip_busy_seconds_total[1m]) is the chip's load over
// the minute (times Concurrency for an async chip), and the ratio of busy
// to wait_input to wait_room says whether a chip works, starves or is held
// back, like Vector's per-edge "time blocked".
//
// # Latency: a summary, not a histogram or gauges
//
// The runlet keeps its latencies in its own log-linear histogram and
// hands out only percentiles, so the exporter cannot give Prometheus
// buckets; a summary is the type for percentiles computed by the
// application. runlet_chip_latency_seconds has the quantiles 0.5, 0.95 and
// 0.99 (the snapshot's P50, P95 and P99, within about 3%, over sampled
// packs of the whole run: a sync chip times one pack in 1024, an async
// chip's workers time their batches; NaN before the first sample, as a
// client summary without observations reports). Its _count is packs in
// and its _sum the busy time, so rate(_sum)/rate(_count) is the mean time
// per pack over any window, for every pack and not only sampled ones; for
// a cheap sync chip that mean, amortized over bursts, can sit below the
// p50 of packs timed alone. A gauge per quantile would carry the same
// numbers but lose the count and sum, and dashboards expect quantiles as
// a summary's quantile label. Summaries cannot be aggregated across
// runlets or chips (no quantile of quantiles); use the busy counters for
// that.
//
// # Label cardinality
//
// Series are per runlet (about 14: 5 states, 3 miss reasons, the flow's
// gauges), per pool (3), per pend (3) and per chip (15, the summary's 3
// quantiles, sum and count included): a flow of 10 chips and 10 pends in
// one pool is about 200 series. Chip, pool and pend keys are fixed when the runlet
// is built, so the label values are bounded by the flow's shape and never
// by its data. Many short-lived runlets should be unregistered when done
// (their series then leave the next scrape) or registered under a reused
// name, not one name per run. The IO pool that a runlet adds for its
// input and output chips holds nothing and is left out.
package prometheus
