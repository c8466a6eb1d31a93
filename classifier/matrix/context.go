package matrix

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/protocol"
)

// FlowFacts is what Judge reads of one flow. The engine fills it from its
// flow table and its recognition, into one value it reuses, so judging
// needs neither and allocates nothing; a test writes it by hand.
type FlowFacts struct {
	Ini, Res         capture.Addr // the initiator's and the responder's address
	IniPort, ResPort uint16
	Transport        uint8 // IP protocol number: TCP, UDP, ICMP...
	First            int64 // packet time of the flow's first packet, Unix ns
	IniPkts, ResPkts uint32
	SYNs             uint16 // SYNs the initiator sent, retransmissions included
	// Opening is what a TCP flow's endpoint states say of its opening.
	Opening Opening
	// Handshake: the initiator's SYN, the responder's SYN/ACK to it and
	// the initiator's ACK, in that order.
	Handshake        bool
	IniData, ResData bool // TCP payload from the initiator, from the responder
	ResSYNACK        bool // the responder sent a SYN/ACK
	// Guessed: the initiator was chosen by the port heuristic because the
	// start of the conversation was not captured.
	Guessed bool
	// Unreach: an ICMP destination unreachable answered the flow, with
	// ICMPCode (of ICMPv6 when ICMPv6 is set).
	Unreach  bool
	ICMPv6   bool
	ICMPCode uint8
	// Protocol and Confidence are what recognition made of the flow, when
	// Recognised (recognition holds something for it).
	Protocol   protocol.ID
	Confidence protocol.Confidence
	Recognised bool
	// AnsweredRPC: the responder answered DCE/RPC in the flow (a
	// bind_ack, an alter_context_resp or a response).
	AnsweredRPC bool
}

// Opening is what a TCP flow's endpoint states say of its opening, in the
// terms of Zeek's conn_state.
type Opening uint8

// Openings of a TCP flow.
const (
	OpeningOther Opening = iota
	// OpeningUnanswered: S0, RSTOS0 or SH, the initiator's SYN (then
	// perhaps its RST or FIN) and no SYN/ACK.
	OpeningUnanswered
	// OpeningRefused: REJ, the SYN answered by a reset.
	OpeningRefused
)

// Evidence is what judging asks of the engine beyond a flow's facts:
// which endpoints an endpoint mapper handed out.
type Evidence interface {
	// LookupLearned is the endpoint handed out for addr:port and valid at
	// packet time t, or nil.
	LookupLearned(addr netip.Addr, port uint16, t int64, lifetime time.Duration) *Learned
	// AnyLearned says whether any endpoint was handed out at all.
	AnyLearned() bool
	// MayBeLearned says whether some endpoint mapper named port at all:
	// a flow to a port no rule lists can match a learn rule only then.
	MayBeLearned(port uint16) bool
}

// Learned is an endpoint the RPC endpoint mapper handed out.
type Learned struct {
	Addr      netip.Addr
	Port      uint16
	Interface string
	At        int64      // packet time of the ept_map response
	From      string     // the flow that carried the answer
	Mapper    netip.Addr // the endpoint mapper that answered
	Client    netip.Addr // who asked: only the server's own request counts
}

// Context is what judging needs beyond the matrix: the server, the
// domain controllers the traffic showed, and the engine's evidence.
type Context struct {
	Servers     ServerSet
	DCs         *DCs
	Evidence    Evidence
	EPMLifetime time.Duration
	Explain     bool // build reasons and notes (only the per-flow list shows them)
	Ports       *NamedPorts
}

// NamedPorts marks, for TCP and UDP, every port a rule or an ignore entry
// names. A flow to any other port can match nothing but a learned
// endpoint (Judge asks Evidence.MayBeLearned for those), so judging skips
// the walk over the rules: a scan's flows are nearly all of this kind.
type NamedPorts struct {
	set [2]portSet // TCP, UDP
}

// portSet is a bitmap of the 65536 ports.
type portSet [65536 / 64]uint64

func (s *portSet) add(p uint16)      { s[p>>6] |= 1 << (p & 63) }
func (s *portSet) has(p uint16) bool { return s[p>>6]&(1<<(p&63)) != 0 }

func NewNamedPorts(m *Matrix) *NamedPorts {
	np := &NamedPorts{}
	mark := func(proto uint8, ps Ports) {
		if i, ok := transportSlot(proto); ok {
			for _, r := range ps {
				for p := int(r.Lo); p <= int(r.Hi); p++ {
					np.set[i].add(uint16(p))
				}
			}
		}
	}
	for _, r := range m.Rules {
		mark(r.Transport, r.Ports)
	}
	for _, g := range m.Ignore {
		mark(g.Transport, g.Ports)
	}
	return np
}

func transportSlot(proto uint8) (int, bool) {
	switch proto {
	case capture.ProtoTCP:
		return 0, true
	case capture.ProtoUDP:
		return 1, true
	}
	return 0, false
}

// MayMatch says whether some rule or ignore entry could speak about a flow
// to port of proto.
func (np *NamedPorts) MayMatch(proto uint8, port uint16) bool {
	i, ok := transportSlot(proto)
	return np == nil || !ok || np.set[i].has(port)
}

// DCs is the set of peers that answered the server's DCE/RPC on the
// endpoint mapper: the domain controllers as the traffic shows them.
type DCs struct {
	ByEPM map[netip.Addr]bool
}

func (d *DCs) isDC(a netip.Addr) bool { return d != nil && d.ByEPM[a] }

// NoteDC records a peer that answered the server's DCE/RPC on the
// endpoint mapper: the domain controllers as the traffic shows them.
func (cx *Context) NoteDC(fa *FlowFacts) {
	if ra := cx.DCPeer(fa); ra != nil && fa.AnsweredRPC {
		cx.DCs.ByEPM[ra.Netip()] = true
	}
}

// DCPeer returns the peer of a flow that may show a domain controller:
// the server's TCP flow to port 135 with something back from the peer.
// It is one (NoteDC) only when recognition saw the peer answer DCE/RPC:
// a host that resets 135, or accepts it and speaks anything else, hands
// out no port and vouches for none of its dynamic range.
func (cx *Context) DCPeer(fa *FlowFacts) *capture.Addr {
	if fa.Transport != TCP || fa.ResPkts == 0 {
		return nil
	}
	if fa.ResPort == 135 && cx.Servers.Has(&fa.Ini) {
		return &fa.Res
	}
	return nil
}

// ServerSet holds the server's addresses as flows carry them. A server has
// a handful: comparing 16-byte arrays in a short slice spares converting
// both ends of every flow to netip.Addr to ask.
type ServerSet []capture.Addr

func NewServerSet(addrs []netip.Addr) ServerSet {
	var s ServerSet
	for _, a := range addrs {
		if a.Zone() == "" { // a zoned address never equals a packet's
			s = append(s, capture.AddrFromNetip(a))
		}
	}
	return s
}

// hasAddr is Has for a netip.Addr (judging's rare questions, not the
// per-flow ones).
func (s ServerSet) hasAddr(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	ca := capture.AddrFromNetip(a)
	return s.Has(&ca)
}

// Has reports whether a is one of the server's addresses or a loopback
// address (netip.Addr.IsLoopback on the unmapped address).
func (s ServerSet) Has(a *capture.Addr) bool {
	for i := range s {
		if s[i] == *a {
			return true
		}
	}
	if a.Is4() {
		return a[12] == 127
	}
	return binary.BigEndian.Uint64(a[0:8]) == 0 && binary.BigEndian.Uint64(a[8:16]) == 1
}
