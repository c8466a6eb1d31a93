//go:build linux || freebsd || netbsd || openbsd || dragonfly

package classifier_test

import "syscall"

// peakRSS is the process's peak resident set in MiB; these systems give
// ru_maxrss in KiB.
func peakRSS() (float64, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return float64(ru.Maxrss) / 1024, true
}
