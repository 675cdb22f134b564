//go:build race

package tollgates_test

// raceReps is how often the tollgate vote race repeats. The race detector
// slows the embedded store about tenfold, so race builds run fewer rounds
// for the detector's sake; `make test` also runs the full 20 rounds without
// it (see the Makefile).
const raceReps = 4
