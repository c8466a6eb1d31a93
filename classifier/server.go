package classifier

import (
	"fmt"
	"math/bits"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/words"
	"github.com/flowverify/flowverify/report"
)

// candidate is what one address showed: which kinds, and with which peers.
type candidate struct {
	kinds uint32
	peers []map[netip.Addr]struct{} // by kind
}

// serverInference collects per-address evidence from finished flows: the
// kinds of traffic the matrix's rows and weak evidence say mark the server
// (their weights), such as receiving agents' streams or opening a
// directory's services. Only flows with an answer show a kind; a failed
// attempt counts on its rule when judged, never here.
type serverInference struct {
	kinds []matrix.ServerEvidence
	point matrix.CapturePoint
	// noEvidence says what no address showed, for the error.
	noEvidence string
	cands      map[netip.Addr]*candidate
	// rules, for weaker evidence: the matrix's rows each address took the
	// server's side of in an answered flow (bit i: rule i), offered as
	// candidates when no address shows any kind.
	rules []matrix.Rule
	weak  map[netip.Addr]uint64
	// ends counts the answered flows on the matrix's ports each address
	// is at one end of, of answered in all: the capture point. Flows on
	// other ports are left out, so that a flood of cheap exchanges on a
	// port no rule names cannot buy the share.
	ends     map[netip.Addr]int
	answered int
	host     oneHost
	probes   *scans
}

// maxCandidates bounds the addresses evidence is kept for.
const maxCandidates = 10000

// maxWeak bounds the addresses weak evidence is kept for.
const maxWeak = 10000

// maxPeers bounds the peers kept per address and kind.
const maxPeers = 1000

func newServerInference(m *matrix.Matrix) *serverInference {
	return &serverInference{kinds: m.ServerEvidence(), point: m.CapturePoint(), noEvidence: m.NoEvidence(),
		cands: map[netip.Addr]*candidate{}, rules: m.Rules, weak: map[netip.Addr]uint64{}, ends: map[netip.Addr]int{},
		probes: newScans(m)}
}

// answerFacts is what the evidence rule reads of a flow.
func answerFacts(f *flow.Flow) matrix.FlowFacts {
	return matrix.FlowFacts{Transport: f.Key.Proto, IniPkts: f.Pkts[flow.Orig], ResPkts: f.Pkts[flow.Resp], SYNs: f.SYNs,
		Handshake: f.Handshake(), IniData: f.SentData(flow.Orig), ResData: f.SentData(flow.Resp), Unreach: f.Unreach}
}

// observeWeak notes which rows of the matrix an answered flow would be,
// and on which side the server would stand.
func (s *serverInference) observeWeak(f *flow.Flow, ia, ra netip.Addr, rport uint16) {
	for i := range s.rules[:min(len(s.rules), 64)] {
		r := &s.rules[i]
		// A learned range (dynamic RPC) is any high port: no evidence.
		if r.Learn != matrix.LearnNone || r.Transport != f.Key.Proto || !r.Ports.Contains(rport) {
			continue
		}
		var who []netip.Addr
		switch r.Direction {
		case matrix.Outbound:
			who = []netip.Addr{ia}
		case matrix.Inbound:
			who = []netip.Addr{ra}
		case matrix.Bidirectional:
			who = []netip.Addr{ia, ra}
		}
		for _, a := range who {
			if _, ok := s.weak[a]; ok || len(s.weak) < maxWeak {
				s.weak[a] |= 1 << i
			}
		}
	}
}

func (s *serverInference) observe(f *flow.Flow) {
	fa := answerFacts(f)
	iaC, _ := f.Initiator()
	raC, rport := f.Responder()
	ia, ra := iaC.Netip(), raC.Netip()
	s.host.note(ia, ra)
	ok := matrix.Answered(&fa)
	shown := false
	for i := range s.kinds {
		k := &s.kinds[i]
		if k.Transport != f.Key.Proto || k.Port != rport || !k.Shows(&fa) {
			continue
		}
		shown = true
		who, peer := ia, ra
		if k.Responder {
			who, peer = peer, who
		}
		if who.IsLoopback() {
			continue
		}
		s.add(who, peer, i)
	}
	if !ok && !shown {
		return
	}
	s.observeWeak(f, ia, ra, rport)
	if !shown && !s.matrixPort(f.Key.Proto, rport) {
		return
	}
	s.answered++
	for _, a := range []netip.Addr{ia, ra} {
		if _, seen := s.ends[a]; seen || len(s.ends) < maxCandidates {
			s.ends[a]++
		}
		if ia == ra {
			break
		}
	}
}

// matrixPort says whether a flow to port is on a port the matrix names:
// an evidence kind's, or a row's that is not learned (a dynamic range is
// any high port, as cheap to flood as any other).
func (s *serverInference) matrixPort(proto uint8, port uint16) bool {
	for i := range s.kinds {
		if s.kinds[i].Transport == proto && s.kinds[i].Port == port {
			return true
		}
	}
	for i := range s.rules {
		r := &s.rules[i]
		if r.Learn == matrix.LearnNone && r.Transport == proto && r.Ports.Contains(port) {
			return true
		}
	}
	return false
}

// add notes that who showed kind i with peer.
func (s *serverInference) add(who, peer netip.Addr, i int) {
	c := s.cands[who]
	if c == nil {
		if len(s.cands) >= maxCandidates {
			return // a flood of sources opening 88: the server is not among the newcomers
		}
		c = &candidate{peers: make([]map[netip.Addr]struct{}, len(s.kinds))}
		s.cands[who] = c
	}
	c.kinds |= 1 << i
	if c.peers[i] == nil {
		c.peers[i] = map[netip.Addr]struct{}{}
	}
	if len(c.peers[i]) < maxPeers {
		c.peers[i][peer] = struct{}{}
	}
}

// macLookup says which Ethernet station an address was seen behind.
type macLookup func(capture.Addr) ([6]byte, bool)

// scored is one address's standing: its weight n (rows, weak evidence and
// the capture point apart), the distinct rows and entries its kinds come
// from, and the kinds that counted.
type scored struct {
	a                     netip.Addr
	n, rows               int
	rowWeight, weakWeight int
	kinds                 uint32
	point                 bool
	// both: its rows' kinds have it serve and open, from two rows or
	// more.
	both bool
}

// ranked lists the addresses with evidence, strongest first: by weight,
// then by the number of rows, then by address for a stable answer. A
// scanner set aside (aside, from setAside) is none of them, and a kind counts only
// with a peer that is not one (and, for a kind that asks it, plays its
// part).
func (s *serverInference) ranked(aside map[netip.Addr]bool) []scored {
	parts := s.partHosts(aside)
	list := make([]scored, 0, len(s.cands))
	for a, c := range s.cands {
		if aside[a] {
			continue
		}
		sc := scored{a: a}
		sources, rowSources := map[string]bool{}, map[string]bool{}
		var serves, opens bool
		for i := range s.kinds {
			k := &s.kinds[i]
			// A peer set aside spoils only the kinds it opened (a sweep's
			// datagram to udp/10000 shows syslog); one that answered, as a
			// domain controller that spoofed SYNs made a scanner still
			// does, counts.
			spoil := aside
			if !k.Responder {
				spoil = nil
			}
			if c.kinds&(1<<i) == 0 || !counts(c.peers[i], k.OnlyWith, parts, spoil) || k.WithServing && !s.serving(sc.kinds, k) {
				continue
			}
			sc.kinds |= 1 << i
			sources[k.Source] = true
			if k.Weak {
				sc.weakWeight += k.Weight
				continue
			}
			sc.rowWeight += k.Weight
			rowSources[k.Source] = true
			serves, opens = serves || k.Responder, opens || !k.Responder
		}
		if sc.kinds == 0 {
			continue
		}
		sc.rows, sc.both = len(sources), serves && opens && len(rowSources) >= 2
		sc.point = s.atCapturePoint(a)
		sc.n = sc.rowWeight + sc.weakWeight
		if sc.point {
			sc.n += s.point.Weight
		}
		list = append(list, sc)
	}
	byScore(list)
	return list
}

// serving says whether kinds hold the serving side of k's port, which
// comes before the opening side of a bidirectional row.
func (s *serverInference) serving(kinds uint32, k *matrix.ServerEvidence) bool {
	for i, o := range s.kinds {
		if kinds&(1<<i) != 0 && o.Responder && o.Transport == k.Transport && o.Port == k.Port {
			return true
		}
	}
	return false
}

// setAside are the scanners inference leaves out: those that answer none
// of the matrix's inbound evidence (a row's kind where the server is the
// responder) from a peer that is no scanner. A sweep never shows such a
// kind, but spoofed failed SYNs "from" the server make it a scanner: that
// must not erase what it earned by answering its agents. The scan finding
// is the scan code's and stands either way.
func (s *serverInference) setAside() map[netip.Addr]bool {
	aside := map[netip.Addr]bool{}
	resp := s.responderKinds()
	for _, a := range s.probes.scanners() {
		if !s.answers(a, resp) {
			aside[a] = true
		}
	}
	return aside
}

// answers says whether a showed one of kinds with a peer that is no
// scanner.
func (s *serverInference) answers(a netip.Addr, kinds uint32) bool {
	c := s.cands[a]
	if c == nil {
		return false
	}
	for i := range s.kinds {
		if c.kinds&kinds&(1<<i) == 0 {
			continue
		}
		for p := range c.peers[i] {
			if !s.probes.scanner(p) {
				return true
			}
		}
	}
	return false
}

// counts says whether a kind's peers let it count: one of them is not set
// aside and, when part is set, plays that part.
func counts(peers map[netip.Addr]struct{}, part string, parts map[string]map[netip.Addr]bool, aside map[netip.Addr]bool) bool {
	for p := range peers {
		if !aside[p] && (part == "" || parts[part][p]) {
			return true
		}
	}
	return false
}

// partHosts are the peers that play each part by the kinds that need no
// part of their peer: a host that answered the server's Kerberos is a
// domain controller.
func (s *serverInference) partHosts(aside map[netip.Addr]bool) map[string]map[netip.Addr]bool {
	parts := map[string]map[netip.Addr]bool{}
	for a, c := range s.cands {
		if aside[a] {
			continue
		}
		for i, k := range s.kinds {
			if k.Part == "" || k.OnlyWith != "" || c.kinds&(1<<i) == 0 {
				continue
			}
			if parts[k.Part] == nil {
				parts[k.Part] = map[netip.Addr]bool{}
			}
			for p := range c.peers[i] {
				parts[k.Part][p] = true
			}
		}
	}
	return parts
}

// atCapturePoint says whether a is at one end of nearly every answered flow.
func (s *serverInference) atCapturePoint(a netip.Addr) bool {
	return s.point.Weight > 0 && s.answered >= s.point.MinFlows && s.ends[a]*100 >= s.point.Share*s.answered
}

func byScore(list []scored) {
	sort.Slice(list, func(i, j int) bool {
		if list[i].n != list[j].n {
			return list[i].n > list[j].n
		}
		if list[i].rows != list[j].rows {
			return list[i].rows > list[j].rows
		}
		return list[i].a.Less(list[j].a)
	})
}

// decide names the server: the one host of a capture whose every flow
// stays on it (its loopback), else the address whose evidence weighs
// most, then the server's address of the other family (Windows runs IPv4
// and IPv6 side by side): one that shows matrix evidence too and sits
// behind the same Ethernet station. A tie within a family, in weight and
// rows, or no evidence at all, is a *NoServerError.
func (s *serverInference) decide(mac macLookup) ([]netip.Addr, []string, error) {
	if addrs, ok := s.host.only(); ok {
		return addrs, []string{s.host.words(addrs)}, nil
	}
	aside := s.setAside()
	list := s.ranked(aside)
	if len(list) == 0 {
		return nil, nil, &NoServerError{missing: strings.Join(append([]string{s.missing(aside)}, s.probes.lines(aside)...), "; ")}
	}
	best, apart, err := s.pick(list)
	if err != nil {
		return nil, nil, err
	}
	rest := slices.DeleteFunc(slices.Clone(list), func(c scored) bool { return c.a == best.a })
	partner, pairEv := s.partner(best, rest, mac)
	addrs := []netip.Addr{best.a}
	ev := s.evidence(best, "")
	if partner.a.IsValid() {
		addrs = append(addrs, partner.a)
		ev = append(ev, s.evidence(partner, partner.a.String()+" ")...)
	}
	ev = append(ev, pairEv...)
	if apart == "" {
		apart = decidedBy(best, rest, partner.a)
	}
	ev = append(ev, apart)
	return addrs, append(ev, s.probes.lines(aside)...), nil
}

// missing says what no address showed; when a scanner set aside showed
// some of it, that no other address did.
func (s *serverInference) missing(aside map[netip.Addr]bool) string {
	for a := range aside {
		if c := s.cands[a]; c != nil && c.kinds != 0 {
			return "apart from scanners, " + s.noEvidence
		}
	}
	return s.noEvidence
}

// pick names the strongest of list (best first) or says why none is: an
// address of its family shows evidence of the same weight from as many
// rows; or several, like best, both serve and open the matrix's traffic
// on two rows or more, as only a server does, and nothing sets them apart
// (two sites' servers in one analysis: judging against one would leave
// the other's traffic unjudged). When something does, apart says what.
func (s *serverInference) pick(list []scored) (win scored, apart string, err error) {
	best := list[0]
	var same []netip.Addr
	var rivals []scored
	allRivals := true
	for _, c := range list {
		if c.a.Is4() != best.a.Is4() {
			continue
		}
		rival := best.both && c.both
		if rival {
			rivals = append(rivals, c)
		}
		if c.n == best.n && c.rows == best.rows {
			same = append(same, c.a)
			allRivals = allRivals && rival
		}
	}
	switch {
	case len(same) > 1 && !allRivals:
		return scored{}, "", &NoServerError{Tied: same, weight: best.n, rows: best.rows}
	case len(rivals) > 1:
		return s.apart(rivals)
	}
	return best, "", nil
}

// rivalFactor is how many times the answered flows on the matrix's ports
// of the next rival the server's must be for the flows to set them apart:
// forging a rival's conversations is cheap, forging twice the real
// server's traffic is not, and within the factor the answer is a tie.
const rivalFactor = 2

// apart sets one of rivals (each serves and opens the matrix's traffic)
// apart: the one at the capture point, or, when they serve the same peers,
// the one at one end of rivalFactor times the answered flows on the
// matrix's ports of any other. An agent streams to one server, so two
// addresses that both claim its stream are one site's server and a
// forgery (or a move in progress), not two sites.
func (s *serverInference) apart(rivals []scored) (scored, string, error) {
	tied := make([]netip.Addr, len(rivals))
	for i, c := range rivals {
		tied[i] = c.a
	}
	byFlows := slices.Clone(rivals)
	slices.SortStableFunc(byFlows, func(x, y scored) int { return s.ends[y.a] - s.ends[x.a] })
	top, next := byFlows[0], byFlows[1]
	var others []string
	for _, c := range byFlows[1:] {
		others = append(others, c.a.String())
	}
	line := fmt.Sprintf("%s %s and opens the matrix's traffic too", strings.Join(others, ", "), map[bool]string{true: "serves", false: "each serve"}[len(others) == 1])
	switch {
	case top.point:
		return top, fmt.Sprintf("%s, but the capture point sets %s apart: %d of the %d answered flows on the matrix's ports against %d",
			line, top.a, s.ends[top.a], s.answered, s.ends[next.a]), nil
	case s.samePeers(top, byFlows[1:]) && s.ends[top.a] >= rivalFactor*s.ends[next.a]:
		return top, fmt.Sprintf("%s, for the same peers: one server and a forgery or a move; %s is at one end of %d answered flows on the matrix's ports against %d, at least %d times as many",
			line, top.a, s.ends[top.a], s.ends[next.a], rivalFactor), nil
	}
	return scored{}, "", &NoServerError{Tied: tied, rivals: true}
}

// samePeers says whether each of others shares a peer with top on a kind
// where the server is the responder (an agent streaming to both).
func (s *serverInference) samePeers(top scored, others []scored) bool {
	tc := s.cands[top.a]
	for _, o := range others {
		oc, shared := s.cands[o.a], false
		for i := range s.kinds {
			if shared || top.kinds&o.kinds&s.responderKinds()&(1<<i) == 0 {
				continue
			}
			for p := range tc.peers[i] {
				if _, ok := oc.peers[i][p]; ok {
					shared = true
					break
				}
			}
		}
		if !shared {
			return false
		}
	}
	return true
}

// decidedBy says what set best apart from the next candidate (other than
// its partner): its weight, made of rows, weak evidence and the capture
// point, or at equal weight its number of rows.
func decidedBy(best scored, rest []scored, partner netip.Addr) string {
	parts := []string{fmt.Sprintf("%d from the rows", best.rowWeight)}
	if best.weakWeight > 0 {
		parts = append(parts, fmt.Sprintf("%d from weak evidence", best.weakWeight))
	}
	if best.point {
		parts = append(parts, fmt.Sprintf("%d from the capture point", best.n-best.rowWeight-best.weakWeight))
	}
	weight := fmt.Sprintf("weight %d (%s)", best.n, strings.Join(parts, ", "))
	for _, c := range rest {
		if c.a == partner {
			continue
		}
		if c.n == best.n {
			return fmt.Sprintf("decided by the number of rows: %d against %d for the next candidate %s, both of %s",
				best.rows, c.rows, c.a, weight)
		}
		return fmt.Sprintf("decided by %s against %d for the next candidate %s", weight, c.n, c.a)
	}
	return "decided by " + weight + ": no other address shows evidence"
}

// evidence states what one address showed; who, when set, names it.
func (s *serverInference) evidence(sc scored, who string) []string {
	c := s.cands[sc.a]
	var ev []string
	for i, k := range s.kinds {
		if sc.kinds&(1<<i) == 0 {
			continue
		}
		line := fmt.Sprintf("%s%s %s %s", who, k.Text, map[bool]string{true: "from", false: "to"}[k.Responder], words.Count(len(c.peers[i]), "peer"))
		switch {
		case k.OnlyWith != "":
			line += " (weak evidence: with a host that plays " + k.OnlyWith + ")"
		case k.Weak:
			line += " (weak evidence)"
		}
		ev = append(ev, line)
	}
	if sc.point {
		ev = append(ev, fmt.Sprintf("%sat one end of %d of %d answered flows on the matrix's ports (the capture point)", who, s.ends[sc.a], s.answered))
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
	if top.kinds&s.responderKinds() == 0 {
		return scored{}, []string{fmt.Sprintf("%s opens what the server opens too, but answers none of the server's inbound evidence and no Ethernet address ties it to the server: not taken as the server", top.a)}
	}
	return top, []string{fmt.Sprintf("%s is taken as the server's other address: it answers the server's inbound evidence too (no Ethernet addresses to compare)", top.a)}
}

// responderKinds are the evidence kinds of the matrix's rows where the
// server is the responder.
func (s *serverInference) responderKinds() uint32 {
	var m uint32
	for i, k := range s.kinds {
		if k.Responder && !k.Weak {
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
	aside := s.setAside()
	list := s.ranked(aside)
	var out []report.Candidate
	for _, c := range list[:min(n, len(list))] {
		out = append(out, report.Candidate{Address: c.a.String(), Score: c.n, Evidence: s.evidence(c, "")})
	}
	if len(out) > 0 {
		return out
	}
	// None shows a kind: offer the addresses that took the server's side
	// of some row in an answered flow, by how many rows.
	list = list[:0]
	for a, rules := range s.weak {
		if !a.IsLoopback() && !aside[a] {
			list = append(list, scored{a: a, n: bits.OnesCount64(rules)})
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

// oneHost follows whether every flow stays on one host: both ends one
// address, or both loopback (127.0.0.0/8, ::1). Such a capture is of the
// server's own loopback, and that host is the server.
type oneHost struct {
	flows int
	off   bool
	addrs []netip.Addr // the addresses seen, while few
}

// maxHostAddrs bounds the addresses one host's own traffic is followed on.
const maxHostAddrs = 8

func (h *oneHost) note(ia, ra netip.Addr) {
	h.flows++
	if h.off {
		return
	}
	if ia != ra && (!ia.IsLoopback() || !ra.IsLoopback()) {
		h.off = true
		return
	}
	for _, a := range []netip.Addr{ia, ra} {
		if slices.Contains(h.addrs, a) {
			continue
		}
		if len(h.addrs) == maxHostAddrs {
			h.off = true
			return
		}
		h.addrs = append(h.addrs, a)
	}
}

// only gives the host's addresses when every flow stayed on it: its
// loopback addresses and at most one other.
func (h *oneHost) only() ([]netip.Addr, bool) {
	if h.off || h.flows == 0 {
		return nil, false
	}
	others := 0
	for _, a := range h.addrs {
		if !a.IsLoopback() {
			others++
		}
	}
	if others > 1 {
		return nil, false
	}
	out := slices.Clone(h.addrs)
	slices.SortFunc(out, func(x, y netip.Addr) int { return x.Compare(y) })
	return out, true
}

func (h *oneHost) words(addrs []netip.Addr) string {
	list := make([]string, len(addrs))
	for i, a := range addrs {
		list[i] = a.String()
	}
	return fmt.Sprintf("every one of the %s stays on one host (%s): a capture of the server's own traffic, judged by its local rows",
		words.Count(h.flows, "flow"), strings.Join(list, ", "))
}
