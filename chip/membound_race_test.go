//go:build race

package chip_test

// memBoundSize is the stream of TestMemoryBound under the race detector,
// which makes each chunk's hand-offs several times slower: 256 MiB keeps the
// test within a few seconds (without -race it streams 1 GiB).
const memBoundSize = 256 << 20

// raceEnabled says the tests run under the race detector.
const raceEnabled = true
