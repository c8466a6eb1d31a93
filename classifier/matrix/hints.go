package matrix

import (
	"fmt"
	"strings"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/protocol"
)

// portHint says what unexpected traffic to a port likely is: the
// profile's word first (what it means next to this server), then the
// protocols' (the well-known service there).
func (m *Matrix) portHint(proto uint8, port uint16) (string, bool) {
	for _, h := range m.hints {
		if h.transport == proto && h.ports.Contains(port) {
			return h.text, true
		}
	}
	return protocol.Ports().Hint(protocol.Transport(proto), port)
}

// Hint explains an unexpected flow as well as port and direction allow.
func (m *Matrix) Hint(proto uint8, port uint16, dir Direction) string {
	if proto == capture.ProtoICMP || proto == capture.ProtoICMPv6 {
		// port holds the message's type and code: no rule's port speaks
		// about it.
		v6, ty, code := proto == capture.ProtoICMPv6, uint8(port), uint8(port>>8)
		name := protocol.ICMPName(v6, ty, code)
		if protocol.IsEchoRequest(v6, ty) && code == 0 {
			name += " (ping)"
		}
		return TransportName(proto) + " " + name + ": no rule of the matrix lists ICMP"
	}
	// A documented port used the other way round is the likeliest mistake.
	for _, r := range m.Rules {
		if r.Transport == proto && r.Ports.Contains(port) && r.Direction != Bidirectional && r.Direction != dir && (dir == Inbound || dir == Outbound) && r.Learn == LearnNone {
			return fmt.Sprintf("%s %d is documented %s (%s), seen %s", TransportName(proto), port, r.Direction, r.ID, dir)
		}
	}
	for _, r := range m.Rules {
		if r.Transport != proto && r.Ports.Contains(port) && r.Learn == LearnNone {
			if h, ok := m.portHint(proto, port); ok {
				return h
			}
			return fmt.Sprintf("%s %d: the matrix lists %s %s only", TransportName(proto), port, TransportName(r.Transport), r.Ports)
		}
	}
	if h, ok := m.portHint(proto, port); ok {
		return h
	}
	if dir == Outbound && m.Site.inDynamicRange(port) {
		if ids := m.learnedRows(proto, port); len(ids) > 0 {
			return "high port to a host not seen on the RPC endpoint mapper: not attributable to " + strings.Join(ids, ", ")
		}
	}
	return ""
}

// learnedRows are the rows that learn their ports from the endpoint
// mapper and would take this one had a mapper named it.
func (m *Matrix) learnedRows(proto uint8, port uint16) []string {
	var ids []string
	for _, r := range m.Rules {
		if r.Learn == LearnEPM && r.Transport == proto && (r.Ports.Contains(port) || !r.StrictRange) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}
