//go:build !race

package chip_test

// memBoundSize is the stream of TestMemoryBound: 1 GiB.
const memBoundSize = 1 << 30

// raceEnabled says the tests run under the race detector.
const raceEnabled = false
