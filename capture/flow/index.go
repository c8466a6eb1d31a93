// Why: Go's map would hash 38-byte keys generically and rehash in steps;
// the flow index is open addressing sized from what the input projects.

package flow

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// index maps flow keys to slab positions with open addressing and linear
// probing. A slot holds the low 32 bits of the key's hash beside 1 + the
// flow's position: probes compare hashes without touching the flow (no
// cache miss per probe), and deletion finds every entry's home slot from
// the slot alone. Eight bytes a slot at load ≤ ½ is 16 bytes a flow, where
// a Go map of 38-byte keys costs 60 to 110. Keys live in the flows.
type index struct {
	slots []uint64 // 0: empty; else hash<<32 | (1 + flow position)
	mask  uint64
	n     int
	t     *Table

	grownN       int    // n at the last growth
	grownPackets uint64 // the table's packet count then
	grows        int
}

// maxJump bounds how many times larger one growth may make the index: a
// projection from a short burst of new flows early in a long capture
// should not claim the whole cap's worth of memory at once.
const maxJump = 64

func slot(h uint64, pos int32) uint64 { return h<<32 | uint64(uint32(pos+1)) }
func slotPos(s uint64) int32          { return int32(uint32(s)) - 1 }
func slotHash(s uint64) uint64        { return s >> 32 }

func newIndex(t *Table) index {
	ix := index{t: t}
	ix.slots = newSlots(1 << 12)
	ix.mask = uint64(len(ix.slots) - 1)
	return ix
}

// newSlots allocates an index array and writes to each of its pages once.
// Fresh memory is mapped on first touch; a probe's read would map the
// shared zero page and the first entry's write fault a second time to
// copy it: two faults a page, which cost a flood of new flows more than
// the probes themselves.
func newSlots(size int) []uint64 {
	s := make([]uint64, size)
	mapPages(s)
	return s
}

// mapPages writes to each 4 KiB page of s once (zero where it is zero), so
// that the kernel maps it now rather than on a later read and write.
func mapPages[T any](s []T) {
	var zero T
	for i, step := 0, max(1, 4096/int(unsafe.Sizeof(zero))); i < len(s); i += step {
		s[i] = zero
	}
}

// hashKey mixes the key's words (a wyhash-style multiply-fold): fast,
// allocation-free and well spread for addresses that differ in few bits.
func hashKey(k *Key) uint64 {
	const m1, m2 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db
	a0 := binary.LittleEndian.Uint64(k.A[0:8])
	a1 := binary.LittleEndian.Uint64(k.A[8:16])
	b0 := binary.LittleEndian.Uint64(k.B[0:8])
	b1 := binary.LittleEndian.Uint64(k.B[8:16])
	p := uint64(k.PortA)<<24 | uint64(k.PortB)<<8 | uint64(k.Proto)
	mix := func(x, y uint64) uint64 {
		hi, lo := bits.Mul64(x^m1, y^m2)
		return hi ^ lo
	}
	return mix(mix(a0, a1)^b0, mix(b1, p)) & 0xffffffff
}

func (ix *index) get(k *Key) (int32, bool) { return ix.getHashed(k, hashKey(k)) }

func (ix *index) getHashed(k *Key, h uint64) (int32, bool) {
	for i := h & ix.mask; ; i = (i + 1) & ix.mask {
		s := ix.slots[i]
		if s == 0 {
			return 0, false
		}
		if slotHash(s) == h && ix.t.keyIs(slotPos(s), k) {
			return slotPos(s), true
		}
	}
}

// put enters the flow at pos under its key's hash h.
func (ix *index) put(h uint64, pos int32) {
	if 2*(ix.n+1) > len(ix.slots) {
		ix.grow()
	}
	i := h & ix.mask
	for ix.slots[i] != 0 {
		i = (i + 1) & ix.mask
	}
	ix.slots[i] = slot(h, pos)
	ix.n++
}

// replace moves the entry of the flow at old, whose key hashes to h, to
// position pos.
func (ix *index) replace(h uint64, old, pos int32) {
	want := slot(h, old)
	for i := h & ix.mask; ix.slots[i] != 0; i = (i + 1) & ix.mask {
		if ix.slots[i] == want {
			ix.slots[i] = slot(h, pos)
			return
		}
	}
}

// del removes the entry of the flow at pos (whose key is k) with
// backward-shift deletion, so no tombstones build up. Matching on the
// position spares reading other flows' keys.
func (ix *index) del(k *Key, pos int32) {
	h := hashKey(k)
	want := slot(h, pos)
	i := h & ix.mask
	for {
		s := ix.slots[i]
		if s == 0 {
			return
		}
		if s == want {
			break
		}
		i = (i + 1) & ix.mask
	}
	ix.slots[i] = 0
	ix.n--
	for j := (i + 1) & ix.mask; ix.slots[j] != 0; j = (j + 1) & ix.mask {
		s := ix.slots[j]
		home := slotHash(s) & ix.mask
		// Move the entry back if its home is not in the cyclic range (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j)) {
			ix.slots[i], ix.slots[j] = s, 0
			i = j
		}
	}
}

// nextSize is the size of the next index array: twice this one, or, when
// the input has said how many packets are still to come (Table.Expect),
// room at load ½ for the flows that the rate of new ones since the last
// growth projects to the end, within the cap and maxJump. On a flood,
// where nearly every packet is a new flow, that is two growths instead of
// nine, and the rehashing and the outgrown arrays of the other seven are
// gone from the flow stage, the one that sets the pace. Where flows come
// and go the projection is
// small and the index doubles as before; a live interface says nothing,
// so it always doubles.
func (ix *index) nextSize() int {
	size := 2 * len(ix.slots)
	t := ix.t
	if t == nil {
		return size
	}
	dn, dp := ix.n-ix.grownN, t.C.Packets-ix.grownPackets
	ix.grownN, ix.grownPackets = ix.n, t.C.Packets
	if t.remaining == 0 || dn <= 0 || dp == 0 {
		return size
	}
	need := min(float64(ix.n)+float64(dn)/float64(dp)*float64(t.remaining), float64(t.cfg.MaxFlows))
	limit := min(maxJump*len(ix.slots), 1<<30)
	for size < limit && float64(size) < 2*need {
		size <<= 1
	}
	return size
}

func (ix *index) grow() {
	old := ix.slots
	ix.grows++
	ix.slots = newSlots(ix.nextSize())
	ix.mask = uint64(len(ix.slots) - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := slotHash(s) & ix.mask
		for ix.slots[i] != 0 {
			i = (i + 1) & ix.mask
		}
		ix.slots[i] = s
	}
}

// each calls fn for every position.
func (ix *index) each(fn func(pos int32)) {
	for _, s := range ix.slots {
		if s != 0 {
			fn(slotPos(s))
		}
	}
}
