package matrix

import (
	"fmt"
	"strconv"
	"strings"
)

// ServerEvidence is a kind of traffic that marks the server, from a row with an
// evidence weight or a site.weak_evidence entry: the server answering on the
// port (inbound rows, and bidirectional ones) or opening it (outbound rows,
// and, for an address that also serves it, bidirectional ones: only the
// server both serves and opens a port such as 8080).
type ServerEvidence struct {
	Transport uint8
	Port      uint16
	Responder bool // the server is the responder
	Weight    int
	Text      string // "receives AMQP on tcp/10001", "opens LDAP tcp/389"
	// Source is the row's id, or site.weak_evidence[i]: between candidates
	// of equal weight the one whose evidence comes from more sources wins.
	Source string
	// Weak marks a site.weak_evidence entry: the server's usual talk
	// beyond the matrix, which no row allows.
	Weak bool
	// OneWay: a datagram the server received is the evidence (a one_way
	// row); other kinds need the peer's answer.
	OneWay bool
	// Part is the part of the site the peer plays; OnlyWith, when set,
	// makes the kind count only with a peer that plays that part by other
	// evidence (DNS to a host that answers Kerberos or LDAP).
	Part, OnlyWith string
	// WithServing: the opening side of a bidirectional row counts only
	// for an address that serves the port too: any browser opens 8080,
	// only the server both serves and opens it.
	WithServing bool
}

// CapturePoint is when an address at one end of nearly every answered flow
// counts as evidence: a sniffer on the server sees the server in all of
// its flows. Share is a percentage, MinFlows the fewest answered flows it
// is judged on, Weight what it adds to an address that shows other
// evidence too; 0, as when the matrix says nothing of it, is no evidence.
type CapturePoint struct {
	Share, MinFlows, Weight int
}

// maxEvidence bounds the kinds: inference keeps one bit per kind and
// address.
const maxEvidence = 32

// maxWeight bounds every evidence weight (rows, weak signs, the capture
// point): inference adds them up per address, and a weight near the
// largest int wraps the sum and ranks the server last. The profiles'
// weights are 1 to 3.
const maxWeight = 100

// ServerEvidence lists the kinds of server evidence the rows carry, in row
// order, one per port and side (rows sharing one count once, as the first
// of them says), then the weak evidence of the site block.
func (m *Matrix) ServerEvidence() []ServerEvidence { return m.evidence }

// CapturePoint says when the capture point is evidence.
func (m *Matrix) CapturePoint() CapturePoint { return m.capturePoint }

// Shows says whether a flow on the kind's transport and port shows it:
// the evidence rule's answer (a completed handshake, bytes from the
// responder, a reply), or for a one_way row a datagram the server
// received. A failed attempt (no answer, an RST, an ICMP error) never
// shows a kind.
func (e *ServerEvidence) Shows(f *FlowFacts) bool {
	if f.Unreach {
		return false
	}
	dir := Outbound
	if e.Responder {
		dir = Inbound
	}
	return answered(f, &Rule{OneWay: e.OneWay}, dir)
}

// Answered says whether a flow shows the peer answering, whatever rule it
// matches.
func Answered(f *FlowFacts) bool { return !f.Unreach && answered(f, &Rule{}, Outbound) }

// rawWeak is one site.weak_evidence entry.
type rawWeak struct {
	Transport string `mapstructure:"transport"`
	Ports     string `mapstructure:"ports"`
	Direction string `mapstructure:"direction"`
	Service   string `mapstructure:"service"`
	Part      string `mapstructure:"part"`
	OnlyWith  string `mapstructure:"only_with"`
	Evidence  int    `mapstructure:"evidence"`
}

// rawCapturePoint is site.capture_point.
type rawCapturePoint struct {
	Share    int `mapstructure:"share"`
	MinFlows int `mapstructure:"min_flows"`
	Evidence int `mapstructure:"evidence"`
}

type evidenceKey struct {
	proto     uint8
	port      uint16
	responder bool
}

// kindList collects the kinds, one per port and side.
type kindList struct {
	seen map[evidenceKey]bool
	list []ServerEvidence
	cerr configErr
}

// add appends one kind per port of ports on each side, unless an earlier
// kind has that port and side.
func (kl *kindList) add(key string, ports Ports, sides []bool, e ServerEvidence, text func(port uint16, responder bool) string) error {
	for _, pr := range ports {
		for p := int(pr.Lo); p <= int(pr.Hi); p++ {
			for _, responder := range sides {
				k := evidenceKey{e.Transport, uint16(p), responder}
				if kl.seen[k] {
					continue
				}
				kl.seen[k] = true
				if len(kl.list) == maxEvidence {
					return kl.cerr(key, "more than %d ports carry evidence; keep it to the traffic that marks the server", maxEvidence)
				}
				e.Port, e.Responder, e.Text = uint16(p), responder, text(uint16(p), responder)
				e.WithServing = !responder && len(sides) == 2
				kl.list = append(kl.list, e)
			}
		}
	}
	return nil
}

// sides are the server's sides of a direction: responder (true), initiator
// (false).
func sides(d Direction) []bool {
	switch d {
	case Outbound:
		return []bool{false}
	case Bidirectional:
		return []bool{true, false}
	}
	return []bool{true}
}

// buildEvidence derives the kinds from the rows built so far, then from
// the site's weak evidence, and reads the capture point.
func (m *Matrix) buildEvidence(rs rawSite, cerr configErr) error {
	kl := &kindList{seen: map[evidenceKey]bool{}, cerr: cerr}
	for _, r := range m.Rules {
		if r.evidence == 0 {
			continue
		}
		e := ServerEvidence{Transport: r.Transport, Weight: r.evidence, Source: r.ID, OneWay: r.OneWay, Part: r.Part}
		if err := kl.add("rules["+r.ID+"].evidence", r.Ports, sides(r.Direction), e, func(p uint16, responder bool) string {
			return evidenceText(r.service, r.Transport, p, responder)
		}); err != nil {
			return err
		}
	}
	for i, w := range rs.WeakEvidence {
		if err := m.addWeak(kl, fmt.Sprintf("site.weak_evidence[%d]", i), w); err != nil {
			return err
		}
	}
	m.evidence = kl.list
	return m.buildCapturePoint(rs.CapturePoint, cerr)
}

// addWeak checks one weak_evidence entry and adds its kinds.
func (m *Matrix) addWeak(kl *kindList, key string, w rawWeak) error {
	cerr := kl.cerr
	const dirs = "inbound (the server serves the ports), outbound (it opens them) or bidirectional"
	for _, n := range []struct{ key, value, want string }{{"transport", w.Transport, "tcp or udp"},
		{"ports", w.Ports, "a port, a list or a range, such as 445 or 49152-65535"}, {"direction", w.Direction, dirs}} {
		if strings.TrimSpace(n.value) == "" {
			return cerr(key+"."+n.key, "%w", &MissingKeyError{Key: key + "." + n.key, Want: n.want})
		}
	}
	tr, err := parseTransport(w.Transport)
	if err != nil {
		return cerr(key+".transport", "%v", err)
	}
	ports, err := parsePorts(w.Ports)
	if err != nil {
		return cerr(key+".ports", "%v", err)
	}
	dir, err := parseDirection(w.Direction)
	if err != nil || dir == Local {
		return cerr(key+".direction", "%q: "+dirs, w.Direction)
	}
	if w.Evidence < 1 || w.Evidence > maxWeight {
		return cerr(key+".evidence", "%d: a weak sign's weight is 1 to %d", w.Evidence, maxWeight)
	}
	if err := m.checkPart(w.Part, key+".part", cerr); err != nil {
		return err
	}
	if err := m.checkPart(w.OnlyWith, key+".only_with", cerr); err != nil {
		return err
	}
	service := strings.TrimSpace(w.Service)
	e := ServerEvidence{Transport: tr, Weight: w.Evidence, Source: key, Weak: true, Part: w.Part, OnlyWith: w.OnlyWith}
	return kl.add(key, ports, sides(dir), e, func(p uint16, responder bool) string {
		return evidenceText(service, tr, p, responder)
	})
}

// buildCapturePoint reads site.capture_point: with a weight, the share
// and the fewest flows must be given too; without one, a share or a
// fewest given is still checked, as a mistake in it is one all the same.
func (m *Matrix) buildCapturePoint(rc rawCapturePoint, cerr configErr) error {
	on := rc.Evidence != 0
	switch {
	case rc.Evidence < 0 || rc.Evidence > maxWeight:
		return cerr("site.capture_point.evidence", "%d: a weight is 0 (none) to %d", rc.Evidence, maxWeight)
	case (on || rc.Share != 0) && (rc.Share < 51 || rc.Share > 100):
		return cerr("site.capture_point.share", "%d: the percentage of the answered flows, 51-100", rc.Share)
	case (on || rc.MinFlows != 0) && rc.MinFlows < 1:
		return cerr("site.capture_point.min_flows", "%d: the fewest answered flows the share is taken of, 1 or more", rc.MinFlows)
	}
	m.capturePoint = CapturePoint{Share: rc.Share, MinFlows: rc.MinFlows, Weight: rc.Evidence}
	return nil
}

// evidenceText words one kind: "receives syslog on udp/10000", "serves
// tcp/8080", "opens Kerberos tcp/88".
func evidenceText(service string, transport uint8, port uint16, responder bool) string {
	tp := TransportName(transport) + "/" + strconv.Itoa(int(port))
	switch {
	case !responder && service != "":
		return "opens " + service + " " + tp
	case !responder:
		return "opens " + tp
	case service != "":
		return "receives " + service + " on " + tp
	}
	return "serves " + tp
}

// NoEvidence says what no address showed, when inference finds nothing:
// "no address receives udp/10000 or tcp/8080, and none opens tcp/88 or
// 389". It names the rows' kinds, not the weak ones, and a bidirectional
// row's port once, as received: no address receiving it means none
// opened it with an answer either.
func (m *Matrix) NoEvidence() string {
	var in, out []ServerEvidence
	inPorts := map[evidenceKey]bool{}
	for _, e := range m.evidence {
		switch {
		case e.Weak:
		case e.Responder:
			in = append(in, e)
			inPorts[evidenceKey{e.Transport, e.Port, true}] = true
		case !inPorts[evidenceKey{e.Transport, e.Port, true}]:
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
	case r.evidence < 0 || r.evidence > maxWeight:
		return cerr(key+".evidence", "%d: a weight is 0 (none) to %d", r.evidence, maxWeight)
	case r.evidence == 0:
		return nil
	case r.Learn != LearnNone:
		return cerr(key+".evidence", "a learned row (learn: %s) is any port the peer names: no evidence of the server", r.Learn)
	case r.Direction == Local:
		return cerr(key+".evidence", "a local row never crosses to another host: no evidence of which address is the server")
	}
	return nil
}
