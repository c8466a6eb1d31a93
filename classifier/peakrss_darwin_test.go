//go:build darwin || ios

package classifier_test

import "syscall"

// peakRSS is the process's peak resident set in MiB; Darwin gives
// ru_maxrss in bytes.
func peakRSS() (float64, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return float64(ru.Maxrss) / (1 << 20), true
}
