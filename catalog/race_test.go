//go:build race

package catalog

// raceEnabled: the race detector makes allocation and time figures
// meaningless (and a 10,000-service parse slow), so the memory test skips.
const raceEnabled = true
