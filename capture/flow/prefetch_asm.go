//go:build amd64 || arm64

// Why: Go has no prefetch intrinsic; AddBatch needs one to ask for index
// slots ahead of the packets that use them.

package flow

import "unsafe"

// prefetch asks for the cache line at p without waiting for it. It is a
// hint: it never faults and changes no state, so any address will do.
//
//go:noescape
func prefetch(p unsafe.Pointer)
