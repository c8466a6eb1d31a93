package matrix

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/protocol"
)

// Evidence is what judging asks of the engine about a flow beyond the
// flow itself: what recognition concluded and which endpoints an endpoint
// mapper handed out.
type Evidence interface {
	// Protocol is the flow's recognised protocol and the recogniser's
	// confidence; ok is false when recognition holds nothing for it.
	Protocol(f *flow.Flow) (id protocol.ID, conf protocol.Confidence, ok bool)
	// LookupLearned is the endpoint handed out for addr:port and valid at
	// packet time t, or nil.
	LookupLearned(addr netip.Addr, port uint16, t int64, lifetime time.Duration) *Learned
	// AnyLearned says whether any endpoint was handed out at all.
	AnyLearned() bool
	// MayBeLearned says whether some endpoint mapper named port at all:
	// a flow to a port no rule lists can match a learn rule only then.
	MayBeLearned(port uint16) bool
	// AnsweredRPC says whether the flow's responder answered DCE/RPC in
	// it (a bind_ack, an alter_context_resp or a response).
	AnsweredRPC(f *flow.Flow) bool
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
	set [2]flow.PortSet // TCP, UDP
}

func NewNamedPorts(m *Matrix) *NamedPorts {
	np := &NamedPorts{}
	mark := func(proto uint8, ps Ports) {
		if i, ok := transportSlot(proto); ok {
			for _, r := range ps {
				for p := int(r.Lo); p <= int(r.Hi); p++ {
					np.set[i].Add(uint16(p))
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
	return np == nil || !ok || np.set[i].Has(port)
}

// DCs is the set of peers that answered the server's DCE/RPC on the
// endpoint mapper: the domain controllers as the traffic shows them.
type DCs struct {
	ByEPM map[netip.Addr]bool
}

func (d *DCs) isDC(a netip.Addr) bool { return d != nil && d.ByEPM[a] }

// NoteDC records a peer that answered the server's DCE/RPC on the
// endpoint mapper: the domain controllers as the traffic shows them.
func (cx *Context) NoteDC(f *flow.Flow) {
	if ra := cx.DCPeer(f); ra != nil && cx.Evidence.AnsweredRPC(f) {
		cx.DCs.ByEPM[ra.Netip()] = true
	}
}

// DCPeer returns the peer of a flow that may show a domain controller:
// the server's TCP flow to port 135 with something back from the peer.
// It is one (NoteDC) only when recognition saw the peer answer DCE/RPC:
// a host that resets 135, or accepts it and speaks anything else, hands
// out no port and vouches for none of its dynamic range.
func (cx *Context) DCPeer(f *flow.Flow) *capture.Addr {
	if f.Key.Proto != TCP || f.Pkts[flow.Resp] == 0 {
		return nil
	}
	ia, ra, rp := f.Ends()
	if rp == 135 && cx.Servers.Has(ia) {
		return ra
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

// HasAddr is Has for a netip.Addr (judging's rare questions, not the
// per-flow ones).
func (s ServerSet) HasAddr(a netip.Addr) bool {
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
