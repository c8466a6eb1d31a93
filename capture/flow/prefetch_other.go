//go:build !amd64 && !arm64

package flow

import "unsafe"

// prefetch is a no-op where no prefetch instruction is wired up: batches
// are then accounted as fast as one packet at a time.
func prefetch(unsafe.Pointer) {}
