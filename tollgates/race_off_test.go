//go:build !race

package tollgates_test

// raceReps is how often the tollgate vote race repeats (the 20).
const raceReps = 20
