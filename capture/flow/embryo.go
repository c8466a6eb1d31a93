package flow

import (
	"encoding/binary"
	"math"
)

// An embryo is a flow that has seen one packet, kept in 80 bytes instead
// of a Flow's 144. Scans and sprays are made of such flows (a million SYNs
// to a million ports); most real conversations leave the state with their
// second packet. A flow is built as a Flow, packed when its one packet
// left it in a state an embryo holds exactly (canPack), and unpacked into a
// Flow when a second packet arrives or when it ends. Everything outside the
// table sees Flows only.
//
// On a flood of a million one-packet flows this halves the table's memory,
// and with it the kernel's first-touch page faults, which cost the process
// more than the flow work itself.
type embryo struct {
	Key      Key
	State    [2]uint8
	First    int64 // Last is First: one packet
	bytes    uint32
	isn      uint32
	Meta     uint32
	links    // the idle list, shared with Flows
	Protocol uint16
	Input    uint16
	History  [4]byte // letters are never 0: the length is where they stop
	histSeen uint8   // of the packet's direction; the other saw nothing
	bits     uint8
	class    uint8
	inList   bool
}

// embryo.bits
const (
	eResp    = 1 << iota // the packet went responder to initiator
	eInitIsA             // Flow.InitIsA
	eGuessed
	ePlDone
	eFrag // it was a first fragment (Frags 1)
	eSYN  // it was the initiator's SYN (SYNs 1)
	eISN  // its sequence number is the direction's ISN
)

// links place a flow or an embryo on its class's idle list.
type links struct{ prev, next int32 }

// embryoTag marks embryo positions in the index and the idle lists; below
// it are Flow positions. Positions are int32 and -1 means none, so an
// embryo position is one at or above the tag, never one with the bit set.
const embryoTag = 1 << 30

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
	if f.Last != f.First || f.Bytes[other] != 0 || f.Bytes[dir] > math.MaxUint32 || f.isn[other] != 0 ||
		f.isnSet&^(1<<dir) != 0 || f.histSeen[other] != 0 || f.Frags > 1 || f.SYNs > 1 || f.plIdx != 0 ||
		f.ICMPPkts != 0 || f.ICMPType != 0 || f.ICMPCode != 0 || f.Ended != EndActive || f.everEst ||
		f.Unreach || f.ICMPv6 || f.OnlyByICMP {
		return false
	}
	if f.histLen > 4 || binary.LittleEndian.Uint64(f.History[4:12]) != 0 {
		return false
	}
	for i, c := range f.History[:4] {
		if (c != 0) != (i < int(f.histLen)) {
			return false
		}
	}
	return true
}

func (e *embryo) pack(f *Flow) {
	dir := Orig
	if f.Pkts[Resp] != 0 {
		dir = Resp
	}
	e.Key, e.State, e.First = f.Key, f.State, f.First
	e.bytes, e.isn, e.Meta = uint32(f.Bytes[dir]), f.isn[dir], f.Meta
	e.links = f.links
	e.Protocol, e.Input = f.Protocol, f.Input
	copy(e.History[:], f.History[:4])
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
	if f.SYNs == 1 {
		b |= eSYN
	}
	if f.isnSet != 0 {
		b |= eISN
	}
	e.bits, e.class, e.inList = b, f.class, f.inList
}

// unpack writes the Flow e stands for over *f.
func (e *embryo) unpack(f *Flow) {
	*f = Flow{}
	dir := Orig
	if e.bits&eResp != 0 {
		dir = Resp
	}
	f.Key, f.State, f.First, f.Last = e.Key, e.State, e.First, e.First
	f.Pkts[dir], f.Bytes[dir], f.isn[dir] = 1, uint64(e.bytes), e.isn
	f.Meta, f.links, f.Protocol, f.Input = e.Meta, e.links, e.Protocol, e.Input
	copy(f.History[:4], e.History[:])
	for f.histLen < 4 && f.History[f.histLen] != 0 {
		f.histLen++
	}
	f.histSeen[dir] = e.histSeen
	f.InitIsA, f.Guessed, f.plDone = e.bits&eInitIsA != 0, e.bits&eGuessed != 0, e.bits&ePlDone != 0
	if e.bits&eFrag != 0 {
		f.Frags = 1
	}
	if e.bits&eSYN != 0 {
		f.SYNs = 1
	}
	if e.bits&eISN != 0 {
		f.isnSet = 1 << dir
	}
	f.class, f.inList = e.class, e.inList
}

// embryosPerPage sizes the embryo pages (320 KiB each).
const embryosPerPage = 4096

func (t *Table) embAt(pos int32) *embryo {
	i := pos - embryoTag
	return &t.epages[i/embryosPerPage][i%embryosPerPage]
}

func (t *Table) newEmbryo() int32 {
	if n := len(t.efree); n > 0 {
		pos := t.efree[n-1]
		t.efree = t.efree[:n-1]
		return pos
	}
	if int(t.nemb) == len(t.epages)*embryosPerPage {
		t.epages = append(t.epages, make([]embryo, embryosPerPage))
	}
	t.nemb++
	return embryoTag + t.nemb - 1
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
// when it packs, and enters it in the index under its key's hash h.
func (t *Table) place(f *Flow, h uint64) int32 {
	var pos int32
	if !t.noEmbryos && f.canPack() {
		pos = t.newEmbryo()
		t.embAt(pos).pack(f)
	} else {
		pos = t.newFlow()
		*t.at(pos) = *f
	}
	t.index.put(h, pos)
	t.C.FlowsCreated++
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
	t.embAt(pos).unpack(f)
	t.index.replace(h, pos, idx)
	if f.inList {
		l := &t.lists[f.class]
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
	t.efree = append(t.efree, pos)
	return idx
}

// lnk is the idle-list links of the flow or embryo at pos.
func (t *Table) lnk(pos int32) *links {
	if isEmbryo(pos) {
		return &t.embAt(pos).links
	}
	return &t.at(pos).links
}

// lastOf is the time of the last packet of the flow or embryo at pos.
func (t *Table) lastOf(pos int32) int64 {
	if isEmbryo(pos) {
		return t.embAt(pos).First
	}
	return t.at(pos).Last
}

// keyAt is the key of the flow or embryo at pos.
func (t *Table) keyAt(pos int32) *Key {
	if isEmbryo(pos) {
		return &t.embAt(pos).Key
	}
	return &t.at(pos).Key
}

// view returns the Flow at pos to read: for an embryo, unpacked into a
// buffer that the next view overwrites.
func (t *Table) view(pos int32) *Flow {
	if isEmbryo(pos) {
		t.embAt(pos).unpack(&t.viewed)
		return &t.viewed
	}
	return t.at(pos)
}
