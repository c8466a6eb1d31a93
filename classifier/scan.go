// Why: a scanner must be told once, the same way for server inference
// and for the report's scan finding, from every flow whatever the mode.

package classifier

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
)

// probe is what scan detection reads of one finished flow. The
// end-of-input look-ahead carries it in judged, so that flows judged
// ahead are counted in the same order as the others.
type probe struct {
	first, last int64
	ini, res    capture.Addr
	port        uint16 // the responder's
	proto       uint8
	bits        uint8
}

// probe.bits
const (
	pAnswered = 1 << iota // matrix.Answered: a completed handshake, a reply
	pFailed               // an attempt that failed: no answer, refused, unreachable
	pAccepted             // the target accepted (a SYN/ACK) though the flow did not complete
	pSession              // answered, and application data crossed: no probe (session)
)

func (p *probe) of(f *flow.Flow) {
	fa := answerFacts(f)
	p.first, p.last = f.First, f.Last
	p.ini, _ = f.Initiator()
	p.res, p.port = f.Responder()
	p.proto = f.Key.Proto
	p.bits = 0
	switch {
	case matrix.Answered(&fa):
		p.bits = pAnswered
	case f.SYNs > 0 || f.Unreach:
		p.bits = pFailed
		if f.Key.Proto == matrix.TCP && f.SentSYNACK(flow.Resp) {
			p.bits |= pAccepted
		}
	}
	if session(&fa) {
		p.bits |= pSession
	}
}

// session says whether an answered flow carried application data. A
// scan's probes carry none (a refused SYN, a SYN/ACK the scanner resets,
// a connect scan's bare handshake, an echo request and its reply); a
// scanner's working session does, and it must stay a finding of its own
// rather than hide in the scan's count. A UDP reply is the responder's
// data.
func session(fa *matrix.FlowFacts) bool {
	if !matrix.Answered(fa) {
		return false
	}
	switch fa.Transport {
	case matrix.TCP:
		return fa.IniData || fa.ResData
	case matrix.UDP:
		return true
	}
	return false
}

// isSession is session of a flow's own facts.
func isSession(f *flow.Flow) bool {
	fa := answerFacts(f)
	return session(&fa)
}

// probeKey is one target of failed attempts: a port of a host.
type probeKey struct {
	ini, res netip.Addr
	port     uint16
	proto    uint8
}

// prober is what one initiator's failed attempts add up to.
type prober struct {
	failed      int // distinct targets whose attempts failed
	first, last int64
	listed      bool // in scans.seen
}

// scans tells a scanner: an address whose attempts at many distinct
// ports or hosts failed (no answer, refused, unreachable), with few
// answered (matrix.ScanLimits). Its flows are never evidence of the
// server, whatever they reached, and neither are the kinds only it
// showed a peer; the report gives it one finding and folds its
// unexpected probes into it (never a session: see session).
type scans struct {
	lim    matrix.ScanLimits
	tried  map[probeKey]uint8 // probe.bits of the targets
	failed map[netip.Addr]*prober
	ok     map[netip.Addr]int // answered flows, by initiator
	// seen are the scanners as they cross the limits, at most maxScans:
	// folding asks about every unexpected flow, and a short list is
	// cheaper than the maps.
	seen []capture.Addr
}

// maxProbes bounds the failed targets remembered.
const maxProbes = 100000

// maxScans bounds the scanners a report lists, maxScanTargets the hosts
// listed of each.
const (
	maxScans       = 100
	maxScanTargets = 10
)

func newScans(m *matrix.Matrix) *scans {
	lim := m.Site.Scan
	if lim.MinTargets == 0 {
		// A matrix built by hand, not loaded.
		lim = matrix.ScanLimits{MinTargets: matrix.DefaultScanTargets, FailShare: matrix.DefaultScanFailShare}
	}
	return &scans{lim: lim, tried: map[probeKey]uint8{}, failed: map[netip.Addr]*prober{}, ok: map[netip.Addr]int{}}
}

// noteFlow counts one finished flow.
func (s *scans) noteFlow(f *flow.Flow) {
	var p probe
	p.of(f)
	s.note(&p)
}

// note counts one flow its initiator opened to the responder's port. An
// answered flow adds to the target list only of an initiator that has
// failed already, a site's ordinary traffic must not fill it, and only
// when it is a probe: a session is no target the scan found open, it
// is an unexpected row of its own.
func (s *scans) note(p *probe) {
	ia := p.ini.Netip()
	k := probeKey{ia, p.res.Netip(), p.port, p.proto}
	if p.bits&pAnswered != 0 {
		if _, seen := s.ok[ia]; seen || len(s.ok) < maxCandidates {
			s.ok[ia]++
		}
		if s.failed[ia] != nil && p.bits&pSession == 0 {
			s.target(k, pAnswered)
		}
		return
	}
	if p.bits&pFailed == 0 {
		return
	}
	if _, dup := s.tried[k]; dup || len(s.tried) >= maxProbes {
		return
	}
	s.tried[k] = p.bits & (pFailed | pAccepted)
	pr := s.failed[ia]
	if pr == nil {
		pr = &prober{first: p.first}
		s.failed[ia] = pr
	}
	pr.failed++
	pr.first, pr.last = min(pr.first, p.first), max(pr.last, p.last)
	if !pr.listed && len(s.seen) < maxScans && s.scanner(ia) {
		pr.listed = true
		s.seen = append(s.seen, p.ini)
	}
}

// target notes an answered target of an initiator that failed elsewhere.
func (s *scans) target(k probeKey, bits uint8) {
	if _, ok := s.tried[k]; ok || len(s.tried) < maxProbes {
		s.tried[k] |= bits
	}
}

// known says whether a crossed the scan limits while flows were read.
func (s *scans) known(a capture.Addr) bool {
	return len(s.seen) > 0 && slices.Contains(s.seen, a)
}

func (s *scans) scanner(a netip.Addr) bool {
	pr := s.failed[a]
	return pr != nil && s.lim.Scanner(pr.failed, s.ok[a])
}

// scanners lists the scanners by address.
func (s *scans) scanners() []netip.Addr {
	var out []netip.Addr
	for a := range s.failed {
		if s.scanner(a) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y netip.Addr) int { return x.Compare(y) })
	return out
}

// lines say which scanners server inference set aside (aside), at most
// three, and which it did not, as they answer the server's inbound
// evidence.
func (s *scans) lines(aside map[netip.Addr]bool) []string {
	list := s.scanners()
	var out []string
	for _, a := range list[:min(3, len(list))] {
		why := ": a scan, never evidence of the server"
		if !aside[a] {
			why = ": a scan, but it answers the matrix's inbound evidence from peers that scan nothing, so its evidence of the server stands"
		}
		out = append(out, s.finding(a).Line()+why)
	}
	return out
}

// finding is one scanner's report entry, its folded flows not yet
// counted.
func (s *scans) finding(a netip.Addr) report.Scan {
	pr := s.failed[a]
	hosts := map[netip.Addr]bool{}
	ports := map[uint16]bool{}
	protos := map[uint8]bool{}
	sc := report.Scan{Scanner: a.String(), First: capture.FormatTime(pr.first), Last: capture.FormatTime(pr.last)}
	for k, bits := range s.tried {
		if k.ini != a {
			continue
		}
		hosts[k.res], ports[k.port], protos[k.proto] = true, true, true
		sc.Tried++
		if bits&(pAnswered|pAccepted) != 0 {
			sc.Answered++
		}
	}
	sc.Hosts, sc.Ports = len(hosts), len(ports)
	targets := make([]netip.Addr, 0, len(hosts))
	for h := range hosts {
		targets = append(targets, h)
	}
	slices.SortFunc(targets, func(x, y netip.Addr) int { return x.Compare(y) })
	for _, h := range targets[:min(maxScanTargets, len(targets))] {
		sc.Targets = append(sc.Targets, h.String())
	}
	var ps matrix.Ports
	for _, p := range slices.Sorted(maps.Keys(ports)) {
		if n := len(ps); n > 0 && ps[n-1].Hi+1 == p {
			ps[n-1].Hi = p
			continue
		}
		ps = append(ps, matrix.PortRange{Lo: p, Hi: p})
	}
	sc.PortList = ps.String()
	var names []string
	for _, p := range slices.Sorted(maps.Keys(protos)) {
		names = append(names, matrix.TransportName(p))
	}
	sc.Transport = strings.Join(names, ",")
	return sc
}

// scanningServer is the server's address that is a known scanner, if
// one is: its failed outbound attempts fold into its scan as they come,
// rather than into groups past maxGroups.
func (g *aggregator) scanningServer() (capture.Addr, bool) {
	seen := g.a.infer.probes.seen
	for ; g.scanSeen < len(seen) && g.scanServer == nil; g.scanSeen++ {
		if a := seen[g.scanSeen]; g.a.servers[a.Netip()] {
			g.scanServer = &a
		}
	}
	if g.scanServer == nil {
		return capture.Addr{}, false
	}
	return *g.scanServer, true
}

// scanFold is what the report folds into the scanners' findings: their
// unexpected probes, counted by scanner.
type scanFold struct {
	s       *scans
	list    []netip.Addr
	servers map[netip.Addr]bool
	flows   map[netip.Addr]int
}

// scanFold starts the fold with the flows folded while reading.
func (g *aggregator) scanFold() *scanFold {
	sf := &scanFold{s: g.a.infer.probes, list: g.a.infer.probes.scanners(), servers: g.a.servers, flows: map[netip.Addr]int{}}
	for a, n := range g.scanFolded {
		sf.flows[a.Netip()] += n
	}
	return sf
}

// take folds u into a scan when a scanner sent its probes: an inbound
// group from the scanner, or, when the scanner is the server, an
// outbound group to one of the targets it failed to reach. A group with
// a session in it stays a row, the probes beside it included: a
// scanner's working session is new traffic that diff and --baseline
// must see.
func (sf *scanFold) take(u *groupAgg) bool {
	if len(sf.list) == 0 || u.key.peer == othersPeer() || u.sessions > 0 {
		return false
	}
	peer := u.key.peer.Netip()
	switch u.key.dir {
	case matrix.Inbound:
		if !sf.s.scanner(peer) {
			return false
		}
		sf.flows[peer] += u.flows
		return true
	case matrix.Outbound:
		for _, a := range sf.list {
			if _, ok := sf.s.tried[probeKey{a, peer, u.key.port, u.key.proto}]; ok && sf.servers[a] {
				sf.flows[a] += u.flows
				return true
			}
		}
	}
	return false
}

// scanReport lists the scanners, most targets first, with the flows
// folded into each, and returns how many there are.
func (g *aggregator) scanReport(r *report.Report, sf *scanFold) int {
	for _, a := range sf.list {
		sc := sf.s.finding(a)
		nameScan(g.a.m, &sc)
		sc.Folded = sf.flows[a]
		r.Scans = append(r.Scans, sc)
	}
	slices.SortStableFunc(r.Scans, func(x, y report.Scan) int { return cmp.Compare(y.Tried, x.Tried) })
	n := len(r.Scans)
	if n > maxScans {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d more scans not listed", n-maxScans))
		r.Scans = r.Scans[:maxScans]
	}
	return n
}
