package matrix

import (
	"strconv"
	"strings"
)

// ServerEvidence is a kind of traffic that marks the server, from a row with an
// evidence weight: the server answering on the row's port (inbound and
// bidirectional rows) or opening it (outbound rows).
type ServerEvidence struct {
	Transport uint8
	Port      uint16
	Responder bool // the server is the responder
	Weight    int
	Text      string // "receives AMQP on tcp/10001", "opens LDAP tcp/389"
}

// maxEvidence bounds the kinds: inference keeps one bit per kind and
// address.
const maxEvidence = 16

// ServerEvidence lists the kinds of server evidence the rows carry, in row
// order, one per port and side (rows sharing one count once, as the first
// of them says).
func (m *Matrix) ServerEvidence() []ServerEvidence { return m.evidence }

// buildEvidence derives the kinds from the rows built so far.
func (m *Matrix) buildEvidence(cerr configErr) error {
	type key struct {
		proto     uint8
		port      uint16
		responder bool
	}
	seen := map[key]bool{}
	m.evidence = nil
	for _, r := range m.Rules {
		if r.evidence == 0 {
			continue
		}
		for _, pr := range r.Ports {
			for p := int(pr.Lo); p <= int(pr.Hi); p++ {
				k := key{r.Transport, uint16(p), r.Direction != Outbound}
				if seen[k] {
					continue
				}
				seen[k] = true
				if len(m.evidence) == maxEvidence {
					return cerr("rules["+r.ID+"].evidence", "more than %d ports carry evidence; keep it to the rows that mark the server", maxEvidence)
				}
				m.evidence = append(m.evidence, ServerEvidence{Transport: r.Transport, Port: uint16(p), Responder: k.responder,
					Weight: r.evidence, Text: evidenceText(r, uint16(p))})
			}
		}
	}
	return nil
}

// evidenceText words one kind from its row: "receives syslog on
// udp/10000", "serves tcp/8080", "opens Kerberos tcp/88".
func evidenceText(r Rule, port uint16) string {
	tp := TransportName(r.Transport) + "/" + strconv.Itoa(int(port))
	switch {
	case r.Direction == Outbound && r.service != "":
		return "opens " + r.service + " " + tp
	case r.Direction == Outbound:
		return "opens " + tp
	case r.service != "":
		return "receives " + r.service + " on " + tp
	}
	return "serves " + tp
}

// NoEvidence says what no address showed, when inference finds nothing:
// "no address receives udp/10000 or tcp/8080, and none opens tcp/88 or
// 389".
func (m *Matrix) NoEvidence() string {
	var in, out []ServerEvidence
	for _, e := range m.evidence {
		if e.Responder {
			in = append(in, e)
		} else {
			out = append(out, e)
		}
	}
	switch {
	case len(in) > 0 && len(out) > 0:
		return "no address receives " + portList(in) + ", and none opens " + portList(out)
	case len(in) > 0:
		return "no address receives " + portList(in)
	case len(out) > 0:
		return "no address opens " + portList(out)
	}
	return "no rule of the matrix carries evidence of the server"
}

// portList writes kinds as "tcp/88, 135 or 389" when they share a
// transport, "udp/10000, tcp/10001 or tcp/8080" when they do not.
func portList(es []ServerEvidence) string {
	mixed := false
	for _, e := range es {
		mixed = mixed || e.Transport != es[0].Transport
	}
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = strconv.Itoa(int(e.Port))
		if i == 0 || mixed {
			parts[i] = TransportName(e.Transport) + "/" + parts[i]
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// checkEvidence refuses a weight where it cannot mark the server: a
// learned range is any high port, and a local row is the server talking
// to itself.
func checkEvidence(r Rule, key string, cerr configErr) error {
	switch {
	case r.evidence < 0:
		return cerr(key+".evidence", "%d: a weight is 0 (none) or more", r.evidence)
	case r.evidence == 0:
		return nil
	case r.Learn != LearnNone:
		return cerr(key+".evidence", "a learned row (learn: %s) is any port the peer names: no evidence of the server", r.Learn)
	case r.Direction == Local:
		return cerr(key+".evidence", "a local row never crosses to another host: no evidence of which address is the server")
	}
	return nil
}
