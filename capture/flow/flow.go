// Package flow keeps the table of bidirectional flows: one entry per
// conversation, with per-direction counters, a Zeek-like TCP state, the
// initiator, and the first payload bytes of each direction.
package flow

import (
	"encoding/binary"
	"fmt"

	"github.com/flowverify/flowverify/capture"
)

// Key is the canonical bidirectional key: the (address, port) pair that
// sorts lower is A. It is comparable and pointer-free so it can key a map
// directly.
type Key struct {
	A, B         capture.Addr
	PortA, PortB uint16
	Proto        uint8
}

// equal is k == *o field by field: the compiler compares the whole
// 38-byte struct through a call to memequal, the fields inline.
func (k *Key) equal(o *Key) bool {
	return k.A == o.A && k.B == o.B && k.PortA == o.PortA && k.PortB == o.PortB && k.Proto == o.Proto
}

// set builds the canonical key in place, field by field, and reports
// whether (src, sport) is A. Returned by value (the old MakeKey), the
// 38-byte key was copied twice through the stack in overlapping 16-byte
// moves, and each second move waited for the first to reach the cache (a
// failed store-to-load forward): a tenth of the flow stage's time on the
// mix.
func (k *Key) set(proto uint8, src, dst *capture.Addr, sport, dport uint16) (srcIsA bool) {
	if less(src, sport, dst, dport) {
		k.A, k.B, k.PortA, k.PortB = *src, *dst, sport, dport
		srcIsA = true
	} else {
		k.A, k.B, k.PortA, k.PortB = *dst, *src, dport, sport
	}
	k.Proto = proto
	return srcIsA
}

func less(a *capture.Addr, ap uint16, b *capture.Addr, bp uint16) bool {
	// Two big-endian words compare like the sixteen bytes.
	a0, b0 := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])
	if a0 != b0 {
		return a0 < b0
	}
	a1, b1 := binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:])
	if a1 != b1 {
		return a1 < b1
	}
	return ap <= bp
}

// Endpoint states, after Zeek's TCP analyzer.
const (
	stInactive uint8 = iota
	stSynSent
	stSynAckSent
	stPartial
	stEstablished
	stClosed
	stReset
)

// Directions inside a flow: the initiator's packets and the responder's.
const (
	Orig = 0
	Resp = 1
)

// History letters, one bit each per direction, recorded in order of first
// appearance in Flow.history (Zeek's conn.log history field).
const (
	hSyn = 1 << iota
	hSynAck
	hAck
	hData
	hFin
	hRst
	// hShake is no history letter: set in the initiator's bits when its
	// ACK follows its own SYN and the responder's SYN/ACK, the three-way
	// handshake that shows the responder answering (docs/design.md, "The
	// evidence rule"). Everything else about a flow's state can be reached
	// without the peer: a responder ACK and an initiator ACK make
	// Established; this bit cannot.
	hShake
	// hSynAckToSyn is no history letter either: set in the responder's
	// bits when its SYN/ACK comes after the initiator's SYN, which is
	// what makes it an answer; a SYN/ACK sent first answers nothing.
	hSynAckToSyn
)

// Flow is one conversation. Index 0 of the per-direction arrays is the
// initiator (Orig), 1 the responder (Resp). Fields are ordered by size so
// that a million tracked flows cost as little as they can; the struct
// holds no pointers, so the garbage collector never scans the flow pages.
type Flow struct {
	Key Key
	// Fields are ordered so that none pads: State fills the two bytes
	// after the 38-byte key, and the record is 144 bytes, not 152
	// (TestFlowRecordSize holds it).
	state [2]uint8

	First, Last int64     // Unix ns
	Bytes       [2]uint64 // IP-layer bytes
	Pkts        [2]uint32
	isn         [2]uint32

	Frags uint32 // IP fragments counted to this flow
	// Meta is a recogniser-owned index (0: none); Protocol the recognised
	// application protocol (0: unknown).
	Meta  uint32
	plIdx int32 // 1 + index into the table's payload slab; 0: none
	links
	SYNs     uint16 // SYNs sent by the initiator (retransmissions included)
	Protocol uint16
	icmpPkts uint16
	Input    uint16 // input where the flow was first seen

	histSeen [2]uint8
	history  [12]byte
	histLen  uint8
	isnSet   uint8
	ICMPType uint8
	ICMPCode uint8
	Ended    EndReason
	list     listNode

	// InitIsA says which side of the key initiated.
	InitIsA bool
	// Guessed marks an initiator chosen by the port heuristic because the
	// start of the conversation was not captured.
	Guessed bool
	everEst bool
	// Unreach: an ICMP destination unreachable answered this flow.
	Unreach    bool
	ICMPv6     bool
	OnlyByICMP bool // the flow is known only from an ICMP error quoting it
	plDone     bool
}

// EndReason says why a flow left the table.
type EndReason uint8

// Reasons a flow leaves the table.
const (
	endActive  EndReason = iota // still in the table
	endIdle                     // idle timeout (packet time)
	endClosed                   // closed or reset, then quiet for the linger time
	endEvicted                  // pushed out by the table cap
	endFlush                    // end of input
	endReused                   // a new connection reused the tuple
)

func (r EndReason) String() string {
	return [...]string{"active", "idle", "closed", "evicted", "end-of-input", "tuple-reused"}[r]
}

// Initiator returns the initiator's address and port.
func (f *Flow) Initiator() (capture.Addr, uint16) {
	if f.InitIsA {
		return f.Key.A, f.Key.PortA
	}
	return f.Key.B, f.Key.PortB
}

// Ends points at the initiator's and responder's addresses in the key and
// gives the responder's port: for loops over many flows, where the copies
// Initiator and Responder return cost more than the work done with them.
func (f *Flow) Ends() (ini, res *capture.Addr, resPort uint16) {
	if f.InitIsA {
		return &f.Key.A, &f.Key.B, f.Key.PortB
	}
	return &f.Key.B, &f.Key.A, f.Key.PortA
}

// Responder returns the responder's address and port.
func (f *Flow) Responder() (capture.Addr, uint16) {
	if f.InitIsA {
		return f.Key.B, f.Key.PortB
	}
	return f.Key.A, f.Key.PortA
}

// HistoryString is Zeek's history field: upper case for the initiator,
// '^' first when the direction was guessed.
func (f *Flow) HistoryString() string {
	h := string(f.history[:f.histLen])
	if f.Guessed {
		return "^" + h
	}
	return h
}

// Handshake reports whether the flow shows the initiator's SYN, the
// responder's SYN/ACK and then the initiator's ACK, in that order.
func (f *Flow) Handshake() bool { return f.histSeen[Orig]&hShake != 0 }

// SentData reports whether dir (Orig or Resp) sent TCP payload bytes.
func (f *Flow) SentData(dir int) bool { return f.sawHist(dir, hData) }

// SentSYNACK reports whether dir (Orig or Resp) sent a SYN/ACK.
func (f *Flow) SentSYNACK(dir int) bool { return f.sawHist(dir, hSynAck) }

func (f *Flow) addHistory(dir int, bit uint8, letter byte) {
	if f.histSeen[dir]&bit != 0 {
		return
	}
	f.histSeen[dir] |= bit
	if int(f.histLen) < len(f.history) {
		if dir == Resp {
			letter += 'a' - 'A'
		}
		f.history[f.histLen] = letter
		f.histLen++
	}
}

func (f *Flow) sawHist(dir int, bit uint8) bool { return f.histSeen[dir]&bit != 0 }

// tcp advances the endpoint states for one segment from dir.
func (f *Flow) tcp(dir int, flags uint8, payload int) {
	other := 1 - dir
	syn, ack, fin, rst := flags&capture.FlagSYN != 0, flags&capture.FlagACK != 0, flags&capture.FlagFIN != 0, flags&capture.FlagRST != 0
	switch {
	case syn && !ack:
		f.addHistory(dir, hSyn, 'S')
		if dir == Orig {
			f.SYNs++
		}
		if f.state[dir] == stInactive {
			f.state[dir] = stSynSent
		}
	case syn && ack:
		f.addHistory(dir, hSynAck, 'H')
		if dir == Resp && f.histSeen[Orig]&hSyn != 0 {
			f.histSeen[Resp] |= hSynAckToSyn
		}
		if f.state[dir] == stInactive {
			f.state[dir] = stSynAckSent
		}
	}
	if payload > 0 {
		f.addHistory(dir, hData, 'D')
	} else if ack && !syn && !fin && !rst {
		f.addHistory(dir, hAck, 'A')
	}
	if dir == Orig && ack && !syn && !rst && f.histSeen[Resp]&hSynAckToSyn != 0 {
		f.histSeen[Orig] |= hShake
	}
	if !syn && !rst && (ack || payload > 0) {
		switch f.state[dir] {
		case stSynSent, stSynAckSent:
			if f.state[other] != stInactive {
				f.state[dir] = stEstablished
				if f.state[other] == stSynSent || f.state[other] == stSynAckSent {
					f.state[other] = stEstablished
				}
				f.everEst = true
			}
		case stInactive:
			f.state[dir] = stPartial
		}
	}
	if fin {
		f.addHistory(dir, hFin, 'F')
		if f.state[dir] != stReset {
			if f.state[dir] == stInactive {
				f.state[dir] = stPartial
			}
			f.state[dir] = stClosed
		}
	}
	if rst {
		f.addHistory(dir, hRst, 'R')
		f.state[dir] = stReset
	}
}

// done reports whether a TCP flow has finished (both closed, or a reset).
func (f *Flow) done() bool {
	o, r := f.state[Orig], f.state[Resp]
	return o == stReset || r == stReset || (o == stClosed && r == stClosed)
}

// ConnState is Zeek's conn_state code.
func (f *Flow) ConnState() string {
	switch f.Key.Proto {
	case capture.ProtoTCP:
		return f.tcpConnState()
	case capture.ProtoUDP, capture.ProtoICMP, capture.ProtoICMPv6:
		o, r := f.Pkts[Orig] > 0, f.Pkts[Resp] > 0
		switch {
		case o && r:
			return "SF"
		case o:
			return "S0"
		case r:
			return "SHR"
		}
	}
	return "OTH"
}

func (f *Flow) tcpConnState() string {
	os, rs := f.state[Orig], f.state[Resp]
	oInactive := os == stInactive || os == stPartial
	rInactive := rs == stInactive || rs == stPartial
	switch {
	case rs == stReset:
		if os == stSynSent || os == stSynAckSent || (os == stReset && !f.sawHist(Orig, hData) && !f.sawHist(Resp, hData)) {
			return "REJ"
		}
		if oInactive {
			return "RSTRH"
		}
		return "RSTR"
	case os == stReset:
		if rInactive {
			// Zeek: ^?S[^HAFGIQ]*R.* — a SYN, no answer, then the initiator's RST.
			if f.sawHist(Orig, hSyn) && !f.sawHist(Resp, hSynAck) && !f.sawHist(Orig, hAck) && !f.sawHist(Orig, hFin) {
				return "RSTOS0"
			}
			return "OTH"
		}
		return "RSTO"
	case rs == stClosed && os == stClosed:
		return "SF"
	case os == stClosed:
		if rInactive {
			return "SH"
		}
		return "S2"
	case rs == stClosed:
		if oInactive {
			return "SHR"
		}
		return "S3"
	case os == stSynSent && rs == stInactive:
		return "S0"
	case os == stEstablished && rs == stEstablished:
		return "S1"
	}
	return "OTH"
}

// StateWords is the plain-words summary of the connection state.
func (f *Flow) StateWords() string {
	if f.Key.Proto != capture.ProtoTCP {
		switch f.ConnState() {
		case "SF":
			return "bidirectional"
		case "S0":
			return "one-way"
		case "SHR":
			return "responder-only"
		}
		return "other"
	}
	switch cs := f.ConnState(); cs {
	case "S0":
		return "attempt"
	case "RSTOS0":
		return "attempt-aborted"
	case "REJ":
		return "rejected"
	case "S1":
		return "established"
	case "SF":
		return "closed"
	case "RSTO", "RSTR":
		if f.everEst {
			return "reset"
		}
		return "reset-midstream"
	case "RSTRH":
		return "reset-by-responder"
	case "S2", "S3":
		return "half-closed"
	case "SH", "SHR":
		return "half-open"
	default:
		if f.Guessed || f.state[Orig] == stPartial || f.state[Resp] == stPartial {
			return "midstream"
		}
		return "other"
	}
}

func (f *Flow) String() string {
	ia, ip := f.Initiator()
	ra, rp := f.Responder()
	return fmt.Sprintf("%d %s:%d -> %s:%d %s", f.Key.Proto, ia, ip, ra, rp, f.ConnState())
}

// ICMPMessage is an ICMP or ICMPv6 flow's message: the request's type
// (echo-request for an echo and its reply) and the code, as the key holds
// them. ok is false for other transports.
func (f *Flow) ICMPMessage() (ty, code uint8, ok bool) {
	if f.Key.Proto != capture.ProtoICMP && f.Key.Proto != capture.ProtoICMPv6 {
		return 0, 0, false
	}
	_, _, p := f.Ends()
	return uint8(p), uint8(p >> 8), true
}
