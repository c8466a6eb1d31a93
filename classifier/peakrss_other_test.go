//go:build !(linux || freebsd || netbsd || openbsd || dragonfly || darwin || ios)

package classifier_test

// peakRSS: no getrusage here (Windows), so benchmarks report no peak.
func peakRSS() (float64, bool) { return 0, false }
