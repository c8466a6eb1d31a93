package flow

import (
	"math/bits"

	"github.com/flowverify/flowverify/capture"
)

// minRecognisable is the shortest datagram any recogniser can name.
const minRecognisable = 5

// PayloadBound is how many bytes of each direction are kept for protocol
// recognition. It covers a TLS ClientHello up to its SNI in common clients,
// an ept_map reply with two towers and an MC-NMF preamble.
const PayloadBound = 512

// Stream holds the first PayloadBound bytes of one direction, placed by
// sequence number so that out-of-order and retransmitted segments
// assemble into the right in-order prefix.
type Stream struct {
	buf     [PayloadBound]byte
	have    [PayloadBound / 64]uint64
	base    uint32 // sequence number of buf[0]
	baseSet bool
	n       int // length of the contiguous prefix
	full    bool
}

// Bytes returns the contiguous in-order prefix.
func (s *Stream) Bytes() []byte { return s.buf[:s.n] }

// Full reports whether the bound was reached (or, for UDP, a datagram kept).
func (s *Stream) Full() bool { return s.full || s.n == PayloadBound }

// Payload is the recognition state of one flow: both directions' first
// bytes. It is allocated when a flow first carries payload and handed back
// once recognition is over.
type Payload struct {
	Dir [2]Stream
	// Packets counts payload-carrying packets fed so far, per direction, so
	// recognisers can give up after a few as nDPI does.
	Packets [2]uint16
}

func (pl *Payload) reset() { *pl = Payload{} }

// addTCP places a segment. seq is the segment's sequence number; a SYN in
// that direction, if seen, fixes the base at ISN+1.
func (s *Stream) addTCP(seq uint32, data []byte) bool {
	if !s.baseSet {
		s.base, s.baseSet = seq, true
	}
	off := seq - s.base // wraps for segments before base: rejected below
	if off >= PayloadBound {
		return false
	}
	end := int(off) + len(data)
	if end > PayloadBound {
		end = PayloadBound
	}
	copy(s.buf[off:end], data)
	setRange(&s.have, int(off), end)
	before := s.n
	s.n = 0
	for _, w := range s.have {
		if w == ^uint64(0) {
			s.n += 64
			continue
		}
		s.n += bits.TrailingZeros64(^w)
		break
	}
	return s.n > before
}

// addDatagram keeps the first datagram of a direction (UDP messages are
// self-contained; one is what recognisers look at).
func (s *Stream) addDatagram(data []byte) bool {
	if s.full {
		return false
	}
	s.n = copy(s.buf[:], data)
	s.full = true
	return true
}

func (t *Table) feed(f *Flow, dir int, p *capture.Packet) {
	if p.Proto != capture.ProtoTCP {
		t.feedDatagram(f, dir, p)
		return
	}
	if f.plIdx == 0 {
		if n := len(t.plFree); n > 0 {
			f.plIdx = t.plFree[n-1]
			t.plFree = t.plFree[:n-1]
		} else {
			t.payloads = append(t.payloads, new(Payload))
			f.plIdx = int32(len(t.payloads))
		}
	}
	pl := t.payloads[f.plIdx-1]
	s := &pl.Dir[dir]
	grew := false
	if p.Proto == capture.ProtoTCP {
		seq := p.Seq
		if p.TCPFlags&capture.FlagSYN != 0 {
			seq++
		}
		if !s.baseSet && f.isnSet&(1<<dir) != 0 {
			// The SYN fixes where the stream starts, so a segment that
			// overtook the first one lands in place.
			s.base, s.baseSet = f.isn[dir]+1, true
		}
		grew = s.addTCP(seq, p.Payload)
	} else {
		grew = s.addDatagram(p.Payload)
	}
	if pl.Packets[dir] < 0xffff {
		pl.Packets[dir]++
	}
	if !grew {
		return
	}
	if t.OnPayload(f, pl) || (pl.Dir[Orig].Full() && pl.Dir[Resp].Full()) {
		// Recognition is over (or both bounds are reached): the buffers go
		// back to the pool and this flow never takes new ones.
		f.plDone = true
		t.releasePayload(f)
	}
}

// feedDatagram recognises a datagram on its own: UDP messages are
// self-contained, so nothing is kept per flow and a spray of one-packet
// flows costs no recognition memory. The scratch state is the table's.
func (t *Table) feedDatagram(f *Flow, dir int, p *capture.Packet) {
	if len(p.Payload) < minRecognisable {
		// Shorter than any protocol's first message ("<13>x" is syslog's
		// shortest): nothing to look at.
		if f.Pkts[Orig]+f.Pkts[Resp] >= 8 {
			f.plDone = true
		}
		return
	}
	if t.scratch == nil {
		t.scratch = new(Payload)
	}
	pl := t.scratch
	pl.reset()
	pl.Dir[dir].addDatagram(p.Payload)
	pl.Packets[dir] = uint16(min(f.Pkts[dir], 0xffff))
	if t.OnPayload(f, pl) || f.Pkts[Orig]+f.Pkts[Resp] >= 8 {
		f.plDone = true
	}
}

func (t *Table) releasePayload(f *Flow) {
	if f.plIdx == 0 {
		return
	}
	t.payloads[f.plIdx-1].reset()
	t.plFree = append(t.plFree, f.plIdx)
	f.plIdx = 0
}

// PayloadOf returns a flow's recognition state, nil once released. The
// index, not a pointer, lives in the flow, so the flow pages hold no
// pointers and the garbage collector never scans them.
func (t *Table) PayloadOf(f *Flow) *Payload {
	if f.plIdx == 0 {
		return nil
	}
	return t.payloads[f.plIdx-1]
}

// PayloadsHeld counts the flows that hold recognition state: none once
// every flow has ended.
func (t *Table) PayloadsHeld() int { return len(t.payloads) - len(t.plFree) }

// Recognising reports whether the flow still holds recognition state
// (PayloadOf is not nil) without reading the table's list of it.
func (f *Flow) Recognising() bool { return f.plIdx != 0 }

// Detached returns a copy of the flow that no longer refers to table state.
func (f *Flow) Detached() Flow {
	c := *f
	c.plIdx = 0
	return c
}

// setRange marks bits [lo, hi) a word at a time.
func setRange(have *[PayloadBound / 64]uint64, lo, hi int) {
	for lo < hi {
		w, b := lo>>6, uint(lo&63)
		n := min(hi-lo, 64-int(b))
		mask := ^uint64(0)
		if n < 64 {
			mask = (uint64(1)<<uint(n) - 1)
		}
		have[w] |= mask << b
		lo += n
	}
}
