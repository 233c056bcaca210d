//go:build race

package gateway_test

// raceDetector says the tests run under the race detector, which makes
// every goroutine several times slower: a wall-time bound that a plain run
// keeps is relaxed there to what the property itself allows.
const raceDetector = true
