package classifier

import (
	"fmt"
	"github.com/flowverify/flowverify/internal/words"
	"math/bits"
	"net"
	"net/netip"
	"sort"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
)

type candidate struct {
	kinds uint16
	peers [16]map[netip.Addr]struct{}
}

// serverInference collects per-address evidence from finished flows: the
// kinds of traffic the matrix's rows say mark the server (their evidence
// weight), such as receiving agents' streams or opening a directory's
// services.
type serverInference struct {
	kinds []matrix.ServerEvidence
	// noEvidence says what no address showed, for the error.
	noEvidence string
	cands      map[netip.Addr]*candidate
	// rules, for weaker evidence: the matrix's rows each address took the
	// server's side of (bit i: rule i), offered as candidates when no
	// address shows the strong kinds.
	rules []matrix.Rule
	weak  map[netip.Addr]uint64
}

// maxCandidates bounds the addresses strong evidence is kept for.
const maxCandidates = 10000

// maxWeak bounds the addresses weak evidence is kept for.
const maxWeak = 10000

func newServerInference(m *matrix.Matrix) *serverInference {
	return &serverInference{kinds: m.ServerEvidence(), noEvidence: m.NoEvidence(), cands: map[netip.Addr]*candidate{}, rules: m.Rules, weak: map[netip.Addr]uint64{}}
}

// observeWeak notes which rows of the matrix a flow would be, and on
// which side the server would stand.
func (s *serverInference) observeWeak(f *flow.Flow) {
	ia, _ := f.Initiator()
	ra, rport := f.Responder()
	for i := range s.rules[:min(len(s.rules), 64)] {
		r := &s.rules[i]
		// A learned range (dynamic RPC) is any high port: no evidence.
		if r.Learn != matrix.LearnNone || r.Transport != f.Key.Proto || !r.Ports.Contains(rport) {
			continue
		}
		var who []netip.Addr
		switch r.Direction {
		case matrix.Outbound:
			who = []netip.Addr{ia.Netip()}
		case matrix.Inbound:
			who = []netip.Addr{ra.Netip()}
		case matrix.Bidirectional:
			who = []netip.Addr{ia.Netip(), ra.Netip()}
		}
		for _, a := range who {
			if _, ok := s.weak[a]; ok || len(s.weak) < maxWeak {
				s.weak[a] |= 1 << i
			}
		}
	}
}

func (s *serverInference) observe(f *flow.Flow) {
	s.observeWeak(f)
	ia, _ := f.Initiator()
	ra, rport := f.Responder()
	for i, k := range s.kinds {
		if k.Transport != f.Key.Proto || k.Port != rport {
			continue
		}
		who, peer := ia.Netip(), ra.Netip()
		if k.Responder {
			who, peer = peer, who
		}
		if who.IsLoopback() {
			continue
		}
		c := s.cands[who]
		if c == nil {
			if len(s.cands) >= maxCandidates {
				continue // a flood of sources opening 88: the server is not among the newcomers
			}
			c = &candidate{}
			s.cands[who] = c
		}
		c.kinds |= 1 << i
		if c.peers[i] == nil {
			c.peers[i] = map[netip.Addr]struct{}{}
		}
		if len(c.peers[i]) < 1000 {
			c.peers[i][peer] = struct{}{}
		}
	}
}

// macLookup says which Ethernet station an address was seen behind.
type macLookup func(capture.Addr) ([6]byte, bool)

type scored struct {
	a netip.Addr
	n int
}

// ranked lists the addresses with strong evidence, the most kinds (by
// weight) first, then by address, for a stable answer.
func (s *serverInference) ranked() []scored {
	list := make([]scored, 0, len(s.cands))
	for a, c := range s.cands {
		list = append(list, scored{a, s.score(c.kinds)})
	}
	byScore(list)
	return list
}

// score weighs a set of kinds.
func (s *serverInference) score(kinds uint16) int {
	n := 0
	for i, k := range s.kinds {
		if kinds&(1<<i) != 0 {
			n += k.Weight
		}
	}
	return n
}

func byScore(list []scored) {
	sort.Slice(list, func(i, j int) bool {
		if list[i].n != list[j].n {
			return list[i].n > list[j].n
		}
		return list[i].a.Less(list[j].a)
	})
}

// decide picks the address with the most kinds of evidence, then the
// server's address of the other family (Windows runs IPv4 and IPv6 side
// by side): one that shows matrix evidence too and sits behind the same
// Ethernet station. A tie within a family, or no evidence at all, is a
// *NoServerError.
func (s *serverInference) decide(mac macLookup) ([]netip.Addr, []string, error) {
	list := s.ranked()
	if len(list) == 0 {
		return nil, nil, &NoServerError{missing: s.noEvidence}
	}
	best := list[0]
	partner, pairEv := s.partner(best, list[1:], mac)
	var tied []netip.Addr
	for _, c := range list {
		if c.n == best.n && c.a.Is4() == best.a.Is4() {
			tied = append(tied, c.a)
		}
	}
	if len(tied) > 1 {
		return nil, nil, &NoServerError{Tied: tied, kinds: best.n}
	}
	addrs := []netip.Addr{best.a}
	ev := s.evidence(best.a, "")
	if partner.a.IsValid() {
		addrs = append(addrs, partner.a)
		ev = append(ev, s.evidence(partner.a, partner.a.String()+" ")...)
	}
	ev = append(ev, pairEv...)
	for _, c := range list[1:] {
		if c.a != partner.a {
			ev = append(ev, fmt.Sprintf("next candidate %s shows %s of evidence against %d", c.a, words.Count(c.n, "kind"), best.n))
			break
		}
	}
	return addrs, ev, nil
}

// evidence states what one address showed; who, when set, names it.
func (s *serverInference) evidence(a netip.Addr, who string) []string {
	c := s.cands[a]
	var ev []string
	for i, k := range s.kinds {
		if c.kinds&(1<<i) != 0 {
			ev = append(ev, fmt.Sprintf("%s%s %s %s", who, k.Text, map[bool]string{true: "from", false: "to"}[k.Responder], words.Count(len(c.peers[i]), "peer")))
		}
	}
	return ev
}

// partner finds the server's address of the other family among the other
// candidates (best first): the first behind best's Ethernet station; with
// no Ethernet addresses to compare, the single strongest one, and only if
// it is the responder of some evidence kind too, which a workstation
// opening the same services as the server does not.
func (s *serverInference) partner(best scored, rest []scored, mac macLookup) (scored, []string) {
	var other []scored
	for _, c := range rest {
		if c.a.Is4() != best.a.Is4() {
			other = append(other, c)
		}
	}
	if len(other) == 0 {
		return scored{}, nil
	}
	lookup := func(a netip.Addr) ([6]byte, bool) {
		if mac == nil {
			return [6]byte{}, false
		}
		return mac(capture.AddrFromNetip(a))
	}
	bm, bok := lookup(best.a)
	var ev []string
	for _, c := range other {
		cm, cok := lookup(c.a)
		switch {
		case bok && cok && bm == cm:
			return c, []string{fmt.Sprintf("%s and %s are one station: both send and receive their matrix traffic behind MAC %s", best.a, c.a, net.HardwareAddr(bm[:]))}
		case bok && cok:
			ev = append(ev, fmt.Sprintf("%s shows matrix evidence but is behind MAC %s, the server %s: another host", c.a, net.HardwareAddr(cm[:]), net.HardwareAddr(bm[:])))
		}
	}
	if bok {
		return scored{}, ev
	}
	top := other[0]
	if len(other) > 1 && other[1].n == top.n {
		return scored{}, []string{fmt.Sprintf("no Ethernet addresses to pair the server's other family: %s and %s show the same evidence", top.a, other[1].a)}
	}
	if s.cands[top.a].kinds&s.responderKinds() == 0 {
		return scored{}, []string{fmt.Sprintf("%s opens what the server opens too, but answers none of the server's inbound evidence and no Ethernet address ties it to the server: not taken as the server", top.a)}
	}
	return top, []string{fmt.Sprintf("%s is taken as the server's other address: it answers the server's inbound evidence too (no Ethernet addresses to compare)", top.a)}
}

// responderKinds are the evidence kinds where the server is the
// responder.
func (s *serverInference) responderKinds() uint16 {
	var m uint16
	for i, k := range s.kinds {
		if k.Responder {
			m |= 1 << i
		}
	}
	return m
}

// tableConfig is the matrix's flow table settings with the server
// inference's station recording: the flows on the ports of the evidence
// kinds record which Ethernet station each address is behind.
func tableConfig(m *matrix.Matrix) flow.Config {
	c := flowConfig(m)
	c.MACPorts = new(flow.PortSet)
	for _, k := range m.ServerEvidence() {
		c.MACPorts.Add(k.Port)
	}
	return c
}

// candidates lists the addresses that showed matrix evidence, strongest
// first, at most n: what a report without a server offers instead.
func (s *serverInference) candidates(n int) []report.Candidate {
	list := s.ranked()
	var out []report.Candidate
	for _, c := range list[:min(n, len(list))] {
		out = append(out, report.Candidate{Address: c.a.String(), Score: c.n, Evidence: s.evidence(c.a, "")})
	}
	if len(out) > 0 {
		return out
	}
	// None shows the strong kinds: offer the addresses that took the
	// server's side of some row, by how many rows.
	list = list[:0]
	for a, rules := range s.weak {
		if !a.IsLoopback() {
			list = append(list, scored{a, bits.OnesCount64(rules)})
		}
	}
	byScore(list)
	for _, c := range list[:min(n, len(list))] {
		var ev []string
		for i := range s.rules[:min(len(s.rules), 64)] {
			if s.weak[c.a]&(1<<i) != 0 {
				ev = append(ev, "takes the server's side of "+s.rules[i].ID+" ("+matrix.TransportName(s.rules[i].Transport)+" "+s.rules[i].Ports.String()+")")
			}
		}
		out = append(out, report.Candidate{Address: c.a.String(), Score: c.n, Evidence: ev})
	}
	return out
}
