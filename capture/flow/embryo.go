// Why: most flows of a scan see one packet; packing them small keeps a
// flood's memory, and the page faults that come with it, down.

package flow

import (
	"encoding/binary"
	"math"
	"sync/atomic"

	"github.com/flowverify/flowverify/capture"
)

// An embryo is a flow that has seen one packet, kept in 40 bytes (an IPv6
// one in 64: embryo6) instead of a Flow's 144. Scans and sprays are made
// of such flows (a million SYNs to a million ports); most real
// conversations leave the state with their second packet. A flow is built
// as a Flow, packed when its one packet left it in a state an embryo holds
// exactly (canPack), and unpacked into a Flow when a second packet arrives
// or when it ends. Everything outside the table sees Flows only.
//
// On a flood of one-packet flows this more than halves the table's memory,
// and with it the kernel's first-touch page faults, which cost the process
// more than the flow work itself; an IPv4 key is held as 4-byte addresses.
//
// To keep it at 40 bytes (64 with an IPv6 end), one word serves as the ISN of a TCP
// embryo and as the recognition slot (Meta) of any other (a TCP flow
// recognised from its one packet stays a Flow); the packet's length fits
// 16 bits, the input's index and the recognised protocol 8 (otherwise the
// flow stays a Flow); the idle class shares a byte with "on its list"; and
// what one TCP segment does to a fresh flow's history and states follows
// from the history bits it set (oneSegment), so only those are kept.
type embryo struct {
	first        int64   // the flow's Last is its First: one packet
	a, b         [4]byte // the key's addresses, last four bytes: all of an IPv4 one
	links                // the idle list, shared with Flows
	isnOrMeta    uint32  // TCP: the ISN; other transports: Meta
	portA, portB uint16
	bytes        uint16
	input        uint8
	protocol     uint8
	proto        uint8
	histSeen     uint8 // of the packet's direction; the other saw nothing
	bits         uint8
	list         listNode
}

// embryo6 is the embryo of a flow with an IPv6 end: the rest of its
// addresses beside the common part.
type embryo6 struct {
	embryo
	hiA, hiB [12]byte
}

// embryo.bits
const (
	eResp    = 1 << iota // the packet went responder to initiator
	eInitIsA             // Flow.InitIsA
	eGuessed
	ePlDone
	eFrag // it was a first fragment (Frags 1)
)

// segmentEffect is what one TCP segment leaves in a fresh flow, on its
// side: Flow.tcp run on an empty Flow.
type segmentEffect struct {
	history [4]byte
	histLen uint8
	state   uint8
	syns    uint16
	ok      bool // some segment sets these history bits, and every one that does leaves this
}

// oneSegment maps a direction and the history bits one segment set to
// what it left, for every combination of SYN, ACK, FIN, RST and data.
// Computed once from Flow.tcp itself, so it cannot drift from it.
var oneSegment = func() (t [2][64]segmentEffect) {
	var seen [2][64]bool
	for dir := range 2 {
		for flags := range 32 {
			var f Flow
			var tf uint8
			for i, bit := range []uint8{capture.FlagSYN, capture.FlagACK, capture.FlagFIN, capture.FlagRST} {
				if flags&(1<<i) != 0 {
					tf |= bit
				}
			}
			f.tcp(dir, tf, flags>>4)
			e := segmentEffect{history: [4]byte(f.history[:4]), histLen: f.histLen, state: f.state[dir], syns: f.SYNs, ok: true}
			h := f.histSeen[dir]
			if f.histLen > 4 || f.state[1-dir] != 0 || f.histSeen[1-dir] != 0 || f.everEst || h >= 64 {
				continue // not an outcome an embryo keeps
			}
			switch {
			case !seen[dir][h]:
				seen[dir][h], t[dir][h] = true, e
			case t[dir][h] != e:
				t[dir][h].ok = false
			}
		}
	}
	return t
}()

// links place a flow or an embryo on its class's idle list.
type links struct{ prev, next int32 }

// embryoTag marks embryo positions in the index and the idle lists; below
// it are Flow positions, from embryo6Tag on IPv6 embryos. Positions are
// int32 and -1 means none, so an embryo position is one at or above the
// tag, never one with the bit set.
const (
	embryoTag  = 1 << 30
	embryo6Tag = embryoTag + 1<<29
)

func isEmbryo(pos int32) bool { return pos >= embryoTag }

// canPack reports whether an embryo holds every field of f exactly. Any
// flow whose one packet set something else (an ICMP error, a stream being
// reassembled, a long history) stays a Flow.
func (f *Flow) canPack() bool {
	dir := Orig
	switch {
	case f.Pkts == [2]uint32{1, 0}:
	case f.Pkts == [2]uint32{0, 1}:
		dir = Resp
	default:
		return false
	}
	other := 1 - dir
	if f.Key.Proto == capture.ProtoTCP && f.Meta != 0 || f.Key.Proto != capture.ProtoTCP && f.isn[dir] != 0 {
		return false // the embryo keeps one of the two
	}
	if f.Last != f.First || f.Bytes[other] != 0 || f.Bytes[dir] > math.MaxUint16 || f.isn[other] != 0 ||
		f.histSeen[other] != 0 || f.state[other] != 0 || f.Frags > 1 || f.plIdx != 0 || f.Input > math.MaxUint8 ||
		f.Protocol > math.MaxUint8 || f.icmpPkts != 0 || f.ICMPType != 0 || f.ICMPCode != 0 ||
		f.Ended != endActive || f.everEst || f.Unreach || f.ICMPv6 || f.OnlyByICMP ||
		binary.LittleEndian.Uint64(f.history[4:12]) != 0 {
		return false
	}
	if f.Key.Proto != capture.ProtoTCP {
		return f.histSeen[dir] == 0 && f.state[dir] == 0 && f.history == [12]byte{} && f.histLen == 0 && f.SYNs == 0 && f.isnSet == 0
	}
	h := f.histSeen[dir]
	if h >= 64 {
		return false
	}
	e := &oneSegment[dir][h]
	return e.ok && [4]byte(f.history[:4]) == e.history && f.histLen == e.histLen && f.state[dir] == e.state &&
		f.SYNs == e.syns && f.isnSet == synISN(dir, h)
}

// synISN is the isnSet a segment with these history bits leaves: a SYN,
// with or without ACK, gives its direction's ISN.
func synISN(dir int, histSeen uint8) uint8 {
	if histSeen&(hSyn|hSynAck) != 0 {
		return 1 << dir
	}
	return 0
}

func (e *embryo) pack(f *Flow) {
	dir := Orig
	if f.Pkts[Resp] != 0 {
		dir = Resp
	}
	e.a, e.b = [4]byte(f.Key.A[12:16]), [4]byte(f.Key.B[12:16])
	e.portA, e.portB, e.proto = f.Key.PortA, f.Key.PortB, f.Key.Proto
	e.first = f.First
	e.bytes, e.isnOrMeta = uint16(f.Bytes[dir]), f.Meta
	if f.Key.Proto == capture.ProtoTCP {
		e.isnOrMeta = f.isn[dir]
	}
	e.links = f.links
	e.protocol, e.input = uint8(f.Protocol), uint8(f.Input)
	e.histSeen = f.histSeen[dir]
	var b uint8
	if dir == Resp {
		b |= eResp
	}
	if f.InitIsA {
		b |= eInitIsA
	}
	if f.Guessed {
		b |= eGuessed
	}
	if f.plDone {
		b |= ePlDone
	}
	if f.Frags == 1 {
		b |= eFrag
	}
	e.bits, e.list = b, f.list
}

func (e *embryo6) pack(f *Flow) {
	e.embryo.pack(f)
	e.hiA, e.hiB = [12]byte(f.Key.A[:12]), [12]byte(f.Key.B[:12])
}

// unpack writes the Flow e stands for over *f.
func (e *embryo) unpack(f *Flow) {
	*f = Flow{}
	dir := Orig
	if e.bits&eResp != 0 {
		dir = Resp
	}
	f.Key.A.Set4(e.a[:])
	f.Key.B.Set4(e.b[:])
	f.Key.PortA, f.Key.PortB, f.Key.Proto = e.portA, e.portB, e.proto
	f.First, f.Last = e.first, e.first
	f.Pkts[dir], f.Bytes[dir] = 1, uint64(e.bytes)
	if e.proto == capture.ProtoTCP {
		f.isn[dir] = e.isnOrMeta
		s := &oneSegment[dir][e.histSeen&63]
		copy(f.history[:4], s.history[:])
		f.histLen, f.state[dir], f.SYNs = s.histLen, s.state, s.syns
		f.histSeen[dir], f.isnSet = e.histSeen, synISN(dir, e.histSeen)
	} else {
		f.Meta = e.isnOrMeta
	}
	f.links, f.Protocol, f.Input = e.links, uint16(e.protocol), uint16(e.input)
	f.InitIsA, f.Guessed, f.plDone = e.bits&eInitIsA != 0, e.bits&eGuessed != 0, e.bits&ePlDone != 0
	if e.bits&eFrag != 0 {
		f.Frags = 1
	}
	f.list = e.list
}

func (e *embryo6) unpack(f *Flow) {
	e.embryo.unpack(f)
	copy(f.Key.A[:12], e.hiA[:])
	copy(f.Key.B[:12], e.hiB[:])
}

// keyIs reports whether k is the key of the embryo: the common part here,
// the prefixes by kind (keyIs of embryo6, isV4Key).
func (e *embryo) keyIs(k *Key) bool {
	return e.portA == k.PortA && e.portB == k.PortB && e.proto == k.Proto &&
		e.a == [4]byte(k.A[12:16]) && e.b == [4]byte(k.B[12:16])
}

func (e *embryo6) keyIs(k *Key) bool {
	return e.embryo.keyIs(k) && e.hiA == [12]byte(k.A[:12]) && e.hiB == [12]byte(k.B[:12])
}

// slab holds one kind of embryo in fixed pages of embryosPerPage: growth
// never copies, and a position's page and slot are a shift and a mask.
type slab[T any] struct {
	pages [][]T
	n     int32   // slots handed out, free ones included
	free  []int32 // slots given back, by index

	// spare holds pages another goroutine made ready (see Table.Prepare);
	// grown says this kind of embryo is in use, so they will be taken.
	spare chan []T
	grown atomic.Bool
}

// embryosPerPage sizes the embryo pages (160 KiB of embryo, 256 of embryo6).
const embryosPerPage = 4096

func (s *slab[T]) at(i int32) *T { return &s.pages[i/embryosPerPage][i%embryosPerPage] }

// alloc returns a free slot's index.
func (s *slab[T]) alloc() int32 {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		return i
	}
	if int(s.n) == len(s.pages)*embryosPerPage {
		select {
		case p := <-s.spare:
			s.pages = append(s.pages, p)
		default:
			s.pages = append(s.pages, make([]T, embryosPerPage))
			s.grown.Store(true)
		}
	}
	s.n++
	return s.n - 1
}

// prepare makes a page ready for alloc to take, with each of its memory
// pages written once: mapped, so that the table's writes do not fault.
func (s *slab[T]) prepare() bool {
	if !s.grown.Load() || len(s.spare) == cap(s.spare) {
		return false
	}
	p := make([]T, embryosPerPage)
	mapPages(p)
	select {
	case s.spare <- p:
		return true
	default:
		return false
	}
}

// Prepare readies memory the table will take next: a page of embryos of
// each kind in use, with its memory mapped. A flood makes a new flow of
// nearly every packet, and the kernel's first-touch page faults weigh on
// the flow stage; the reading stage, when it is ahead and
// would only wait, takes them over. It may be called from any goroutine
// and reports whether it did anything.
func (t *Table) Prepare() bool { return t.emb4.prepare() || t.emb6.prepare() }

// reset frees every slot at once, keeping the pages.
func (s *slab[T]) reset() { s.n, s.free = 0, s.free[:0] }

// emb is the part both kinds of embryo share, of the one at pos.
func (t *Table) emb(pos int32) *embryo {
	if pos >= embryo6Tag {
		return &t.emb6.at(pos - embryo6Tag).embryo
	}
	return t.emb4.at(pos - embryoTag)
}

// newEmbryo packs the one-packet flow f into a free embryo of its kind.
func (t *Table) newEmbryo(f *Flow) int32 {
	if f.Key.A.Is4() && f.Key.B.Is4() {
		i := t.emb4.alloc()
		t.emb4.at(i).pack(f)
		return embryoTag + i
	}
	i := t.emb6.alloc()
	t.emb6.at(i).pack(f)
	return embryo6Tag + i
}

// freeEmbryo gives the embryo at pos back to its slab.
func (t *Table) freeEmbryo(pos int32) {
	if pos >= embryo6Tag {
		t.emb6.free = append(t.emb6.free, pos-embryo6Tag)
	} else {
		t.emb4.free = append(t.emb4.free, pos-embryoTag)
	}
}

// unpackAt writes the Flow the embryo at pos stands for over *f.
func (t *Table) unpackAt(pos int32, f *Flow) {
	if pos >= embryo6Tag {
		t.emb6.at(pos - embryo6Tag).unpack(f)
	} else {
		t.emb4.at(pos - embryoTag).unpack(f)
	}
}

// embryoKeyIs reports whether k is the key of the embryo at pos.
func (t *Table) embryoKeyIs(pos int32, k *Key) bool {
	if pos >= embryo6Tag {
		return t.emb6.at(pos - embryo6Tag).keyIs(k)
	}
	return t.emb4.at(pos-embryoTag).keyIs(k) && k.A.Is4() && k.B.Is4()
}

func (t *Table) newFlow() int32 {
	if n := len(t.free); n > 0 {
		idx := t.free[n-1]
		t.free = t.free[:n-1]
		return idx
	}
	return t.grow()
}

// place stores a flow built aside (see create) in the table, as an embryo
// when pack allows and it packs, and enters it in the index under its
// key's hash h.
func (t *Table) place(f *Flow, h uint64, pack bool) int32 {
	var pos int32
	if pack && f.canPack() {
		pos = t.newEmbryo(f)
	} else {
		pos = t.newFlow()
		*t.at(pos) = *f
	}
	t.index.put(h, pos)
	t.C.flowsCreated++
	if t.index.n > t.C.MaxActive {
		t.C.MaxActive = t.index.n
	}
	return pos
}

// promote turns the embryo at pos, whose key hashes to h, into a Flow in
// the same place: the same index slot, the same place on its idle list.
func (t *Table) promote(pos int32, h uint64) int32 {
	idx := t.newFlow()
	f := t.at(idx)
	t.unpackAt(pos, f)
	t.index.replace(h, pos, idx)
	if f.list.on() {
		l := &t.lists[f.list.class()]
		if f.prev >= 0 {
			t.lnk(f.prev).next = idx
		} else {
			l.head = idx
		}
		if f.next >= 0 {
			t.lnk(f.next).prev = idx
		} else {
			l.tail = idx
		}
	}
	t.freeEmbryo(pos)
	return idx
}

// lnk is the idle-list links of the flow or embryo at pos.
func (t *Table) lnk(pos int32) *links {
	if isEmbryo(pos) {
		return &t.emb(pos).links
	}
	return &t.at(pos).links
}

// lastOf is the time of the last packet of the flow or embryo at pos.
func (t *Table) lastOf(pos int32) int64 {
	if isEmbryo(pos) {
		return t.emb(pos).first
	}
	return t.at(pos).Last
}

// keyIs reports whether k is the key of the flow or embryo at pos.
func (t *Table) keyIs(pos int32, k *Key) bool {
	if isEmbryo(pos) {
		return t.embryoKeyIs(pos, k)
	}
	return t.at(pos).Key.equal(k)
}

// view returns the Flow at pos to read: for an embryo, unpacked into a
// buffer that the next view overwrites.
func (t *Table) view(pos int32) *Flow {
	if isEmbryo(pos) {
		t.unpackAt(pos, &t.viewed)
		return &t.viewed
	}
	return t.at(pos)
}
