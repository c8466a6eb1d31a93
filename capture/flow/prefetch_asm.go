//go:build amd64 || arm64

package flow

import "unsafe"

// prefetch asks for the cache line at p without waiting for it. It is a
// hint: it never faults and changes no state, so any address will do.
//
//go:noescape
func prefetch(p unsafe.Pointer)
