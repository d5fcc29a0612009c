//go:build race

package detect

// The race detector makes the simulations eight times slower; the
// sensitivity test runs fewer sessions under it.
const raceEnabled = true
