//go:build race

package jobs

// raceEnabled shortens the slowest simulation under the race detector,
// which slows the embedded store (SQLite in Go) about tenfold.
const raceEnabled = true
