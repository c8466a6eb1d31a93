// Why: a scan asks about a new peer and port with nearly every flow, so the
// unexpected groups live in a hash table of our own with a Bloom filter.

package classifier

import (
	"bytes"
	"encoding/binary"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
)

// maxGroups bounds the unexpected groups held while streaming: past it,
// new peers of a (transport, direction, port) are counted in one group
// whose peer reads "(others)". A scan must not cost a group per address.
const maxGroups = 10000

// groupAgg accumulates one unexpected group; it is formatted only if it
// makes the report's list.
type groupAgg struct {
	key            unexpKey
	next           *groupAgg // same hash
	first, last    int64
	flows, failed  int
	sessions       int // answered flows that carried data (session): never folded into a scan
	packets, bytes uint64
	proto          uint16
}

type unexpKey struct {
	proto uint8
	dir   matrix.Direction
	port  uint16
	peer  capture.Addr // a plain array hashes faster than netip.Addr
}

// othersPeer stands for every peer past maxGroups: the unspecified
// address, which no real peer has.
func othersPeer() capture.Addr { return capture.Addr{} }

// othersGroup finds the fold-over group of k's transport and direction
// among the few there are, sparing a scan's every flow a map lookup.
func (g *aggregator) othersGroup(k *unexpKey) *groupAgg {
	for _, u := range g.others {
		if u.key.equal(k) {
			return u
		}
	}
	return nil
}

// groupTable maps unexpected-group keys through a 64-bit hash of our own
// (Go's map hashes 20-byte keys with its slower generic path; this runs
// once or twice for every unexpected flow of a scan).
type groupTable struct {
	m map[uint64]*groupAgg
	n int
	// seen is a Bloom filter of the groups put, two bits of one word per
	// group: a scan asks about a new peer and port with nearly every flow,
	// and once the table is full those misses must not each walk a
	// 10,000-entry map. At 32 KiB it stays cached while a million flows
	// stream past; with maxGroups entries a false hit, which only costs
	// the map lookup, is about 1 in 180 (1 in 25 with one bit, and those
	// lookups were a sixth of judging a scan).
	seen *[1 << 12]uint64
}

func newGroupTable() groupTable {
	return groupTable{m: map[uint64]*groupAgg{}, seen: new([1 << 12]uint64)}
}

// Keys are passed and compared by pointer, field by field: a key just
// built from narrow fields and then copied or compared whole is read back
// with wide loads that cannot be forwarded from the pending narrow stores,
// a stall on every unexpected flow of a scan.
func (k *unexpKey) equal(o *unexpKey) bool {
	return k.proto == o.proto && k.dir == o.dir && k.port == o.port && k.peer == o.peer
}

func (k *unexpKey) hash() uint64 { return unexpHash(k.proto, k.dir, k.port, &k.peer) }

// unexpHash hashes a key from its parts, which the caller has at hand:
// read back from a key just stored, the adjacent proto and dir bytes were
// loaded as one word that no pending store could forward.
func unexpHash(proto uint8, dir matrix.Direction, port uint16, peer *capture.Addr) uint64 {
	a := binary.LittleEndian.Uint64(peer[0:8])
	b := binary.LittleEndian.Uint64(peer[8:16])
	c := uint64(proto)<<32 | uint64(dir)<<24 | uint64(port)
	h := (a ^ 0x9e3779b97f4a7c15) * 0xbf58476d1ce4e5b9
	h = (h ^ b ^ h>>29) * 0x94d049bb133111eb
	return (h ^ c ^ h>>32) * 0x9e3779b97f4a7c15
}

func seenBits(h uint64) (word uint64, bits uint64) {
	return h >> 52, 1<<(h>>46&63) | 1<<(h>>40&63)
}

func (t *groupTable) getHashed(k *unexpKey, h uint64) *groupAgg {
	if w, b := seenBits(h); t.seen[w]&b != b {
		return nil
	}
	for g := t.m[h]; g != nil; g = g.next {
		if g.key.equal(k) {
			return g
		}
	}
	return nil
}

func (t *groupTable) put(g *groupAgg) {
	h := g.key.hash()
	w, b := seenBits(h)
	t.seen[w] |= b
	g.next = t.m[h]
	t.m[h] = g
	t.n++
}

func (t *groupTable) each(fn func(*groupAgg)) {
	for _, g := range t.m {
		for ; g != nil; g = g.next {
			fn(g)
		}
	}
}

func unexpLess(a, b unexpKey) bool {
	if a.proto != b.proto {
		return a.proto < b.proto
	}
	if a.dir != b.dir {
		return a.dir < b.dir
	}
	if a.port != b.port {
		return a.port < b.port
	}
	return bytes.Compare(a.peer[:], b.peer[:]) < 0
}

func keyLess(a, b *flow.Key) bool {
	if c := bytes.Compare(a.A[:], b.A[:]); c != 0 {
		return c < 0
	}
	if c := bytes.Compare(a.B[:], b.B[:]); c != 0 {
		return c < 0
	}
	if a.PortA != b.PortA {
		return a.PortA < b.PortA
	}
	if a.PortB != b.PortB {
		return a.PortB < b.PortB
	}
	return a.Proto < b.Proto
}
