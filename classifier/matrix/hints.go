package matrix

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/protocol"
)

// Hint explains an unexpected flow as well as port and direction allow,
// from the most particular word to the most general: a row that
// documents this port the other way round; the matrix's own hints (its
// author's word on the port, which may know the site); the protocols'
// word on a well-known port, followed by what this matrix lists for that
// protocol; a row that lists the port on the other transport; and,
// outbound within site.dynamic_ports, that no endpoint mapper named the
// port. The protocol package describes protocols only: whatever is said
// of the matrix is computed here from its rows, so it holds for any
// profile or file.
func (m *Matrix) Hint(proto uint8, port uint16, dir Direction) string {
	if proto == capture.ProtoICMP || proto == capture.ProtoICMPv6 {
		return icmpHint(proto, port)
	}
	if h := m.reversedHint(proto, port, dir); h != "" {
		return h
	}
	for _, h := range m.hints {
		if h.transport == proto && h.ports.Contains(port) {
			return h.text
		}
	}
	if h, ok := protocol.Ports().Hint(protocol.Transport(proto), port); ok {
		if lists := m.listsFor(protocol.Ports().Usual(port)); lists != "" {
			return h + "; " + lists
		}
		if other := m.otherTransport(proto, port); other != "" {
			return h + "; " + other
		}
		return h
	}
	if other := m.otherTransport(proto, port); other != "" {
		return fmt.Sprintf("%s %d: %s", TransportName(proto), port, other)
	}
	if dir == Outbound && m.Site.inDynamicRange(port) {
		if ids := m.learnedRows(proto, port); len(ids) > 0 {
			return "high port to a host not seen on the RPC endpoint mapper: not attributable to " + strings.Join(ids, ", ")
		}
	}
	return ""
}

// icmpHint names an ICMP message; port holds its type and code, which no
// rule's port speaks about.
func icmpHint(proto uint8, port uint16) string {
	v6, ty, code := proto == capture.ProtoICMPv6, uint8(port), uint8(port>>8)
	name := protocol.ICMPName(v6, ty, code)
	if protocol.IsEchoRequest(v6, ty) && code == 0 {
		name += " (ping)"
	}
	return TransportName(proto) + " " + name + ": no rule of the matrix lists ICMP"
}

// reversedHint: a documented port used the other way round is the
// likeliest mistake.
func (m *Matrix) reversedHint(proto uint8, port uint16, dir Direction) string {
	if dir != Inbound && dir != Outbound {
		return ""
	}
	for _, r := range m.Rules {
		if r.Transport == proto && r.Ports.Contains(port) && r.Direction != Bidirectional && r.Direction != dir && r.Learn == LearnNone {
			return fmt.Sprintf("%s %d is documented %s (%s), seen %s", TransportName(proto), port, r.Direction, r.ID, dir)
		}
	}
	return ""
}

// listsFor says where this matrix's rows expect a protocol ("the matrix
// lists tcp/389 for ldap"), each transport and port set once in rule
// order; "" when no row names it.
func (m *Matrix) listsFor(id protocol.ID) string {
	if id == protocol.Unknown {
		return ""
	}
	var where []string
	for _, r := range m.Rules {
		if !slices.Contains(r.Protocols, id.String()) {
			continue
		}
		if w := TransportName(r.Transport) + "/" + r.Ports.String(); !slices.Contains(where, w) {
			where = append(where, w)
		}
	}
	if len(where) == 0 {
		return ""
	}
	return "the matrix lists " + strings.Join(where, ", ") + " for " + id.String()
}

// otherTransport says which row lists the port on the other transport
// ("the matrix lists tcp 389 only"), or "".
func (m *Matrix) otherTransport(proto uint8, port uint16) string {
	for _, r := range m.Rules {
		if r.Transport != proto && r.Ports.Contains(port) && r.Learn == LearnNone {
			return fmt.Sprintf("the matrix lists %s %s only", TransportName(r.Transport), r.Ports)
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
