package classifier

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
)

// maxListed bounds the blocked and unexpected lists of a report; the
// summary still counts everything.
const maxListed = 1000

type peerAgg struct {
	flows, allowed, blocked, unconfirmed int
}

type ruleAgg struct {
	flows, allowed, blocked, mismatch int
	unconfirmed                       int // attempts seen in one direction only
	packets, bytes                    uint64
	peers                             map[netip.Addr]*peerAgg
	ambiguous, midstream              int
	byRange, learnedN                 int
	learned                           []string
	outside                           []uint16 // learned ports outside the rule's ports, the first few
	outsideN                          int      // flows to them
	protocols                         map[string]int
	hist                              histogram
	fail                              matrix.Failures
	tied                              uint64 // rules that tied with this one (bit i: rule i)
}

// aggregator holds what a report needs, flow by flow.
type aggregator struct {
	a            *analyzer
	cx           *matrix.Context
	rules        []ruleAgg
	unexp        groupTable
	others       []*groupAgg // the fold-over groups, one per transport and direction
	unexpHist    histogram
	blocked      []report.Blocked
	blockedAgg   []report.BlockedAgg // blocked's rows, typed (report.Aggregates)
	blockedTotal int
	overflowed   int
	// scanFolded counts the unexpected flows of each scanner, folded into
	// its scan finding instead of groups of their own.
	scanFolded map[capture.Addr]int
	// scanSeen is how many scanners scanningServer has looked at, and
	// scanServer the first of them that is the server.
	scanSeen    int
	scanServer  *capture.Addr
	sum         report.Summary
	src         portSpan // the server's source ports on outbound TCP flows
	flows       *report.FlowList
	listFlows   bool
	n           int
	first, last int64
}

func newAggregator(a *analyzer, listFlows bool) *aggregator {
	g := &aggregator{a: a, unexp: newGroupTable(), listFlows: listFlows, src: portSpan{site: a.m.Site}, scanFolded: map[capture.Addr]int{}}
	if listFlows {
		g.flows = report.NewFlowList()
	}
	g.cx = &matrix.Context{Servers: matrix.NewServerSet(slices.Collect(maps.Keys(a.servers))), DCs: &matrix.DCs{ByEPM: map[netip.Addr]bool{}}, Evidence: a.rec,
		EPMLifetime: a.m.Limits.EPMLifetime, Explain: listFlows, Ports: a.ports}
	g.rules = make([]ruleAgg, len(a.m.Rules))
	for i := range g.rules {
		g.rules[i] = ruleAgg{peers: map[netip.Addr]*peerAgg{}, protocols: map[string]int{}}
	}
	return g
}

func (g *aggregator) seedDCs(fs []flow.Flow) {
	var fa matrix.FlowFacts
	for i := range fs {
		g.a.rec.facts(&fs[i], &fa)
		g.cx.NoteDC(&fa)
	}
}

// judged is what folding a judged flow into the aggregates reads, beside
// the flow itself for the few things a report lists whole (see needsFlow).
// The end-of-input look-ahead hands these across instead of flows.
type judged struct {
	first, last int64
	pkts, bytes uint64
	peer        capture.Addr
	rule        int32
	meta        uint32
	pos         flow.Pos
	port        uint16
	protocol    uint16
	proto       uint8
	verdict     matrix.Verdict
	dir         matrix.Direction
	bits        uint8
	kind        uint8              // the look-ahead's: fold it, end it in turn, or wait
	block       matrix.BlockReason // how a failed attempt failed
	srcPort     uint16             // the server's source port of an outbound TCP flow
	tied        uint64             // the rules (bit i: rule i) that matched as well as the winner
	probe       probe              // the look-ahead's, for scan detection
}

// judged.bits
const (
	jGuessed   = 1 << iota // the flow was seen mid-stream
	jFailed                // the attempt failed (Judgement.Block)
	jAmbiguous             // other rules matched as well
	jLearned               // an endpoint-mapper answer named its port
	jSession               // an unexpected flow that carried data (session): no scan probe
)

func (s *judged) of(f *flow.Flow, j *matrix.Judgement) {
	s.first, s.last = f.First, f.Last
	s.pkts = uint64(f.Pkts[0]) + uint64(f.Pkts[1])
	s.bytes = f.Bytes[0] + f.Bytes[1]
	s.peer, s.rule, s.port, s.verdict, s.dir = j.PeerAddr, int32(j.Rule), j.Port, j.Verdict, j.Dir
	s.meta, s.protocol, s.proto = f.Meta, f.Protocol, f.Key.Proto
	s.bits = 0
	if f.Guessed {
		s.bits |= jGuessed
	}
	s.block = j.Block
	if j.Block != matrix.NoFailure {
		s.bits |= jFailed
	}
	s.tied = 0
	if len(j.Ambiguous) > 0 {
		s.bits |= jAmbiguous
		for _, k := range j.Ambiguous {
			if k < 64 {
				s.tied |= 1 << k
			}
		}
	}
	if j.Learned != nil {
		s.bits |= jLearned
	}
	if j.Verdict == matrix.Unexpected && isSession(f) {
		s.bits |= jSession
	}
	s.srcPort = 0
	if j.Dir == matrix.Outbound && f.Key.Proto == matrix.TCP {
		_, s.srcPort = f.Initiator()
	}
}

// add judges one flow and folds it into the aggregates.
func (g *aggregator) add(f *flow.Flow) {
	var j matrix.Judgement
	if g.a.server.Source == matrix.ServerNone {
		// No server: the flow is read and listed, never judged.
		j = matrix.Judgement{Verdict: matrix.NotJudged, Dir: matrix.Transit, Rule: -1, Ignore: -1}
		var s judged
		s.of(f, &j)
		g.sum.NotJudged++
		g.n++
		if g.first == 0 || s.first < g.first {
			g.first = s.first
		}
		g.last = max(g.last, s.last)
		if g.listFlows {
			g.flows.Add(g.a.flowEntry(f, &j), f.First)
		}
		return
	}
	var fa matrix.FlowFacts
	g.a.rec.facts(f, &fa)
	g.cx.NoteDC(&fa)
	g.a.m.Judge(&fa, g.cx, &j)
	var s judged
	s.of(f, &j)
	g.fold(&s, f, &j)
}

// needsFlow reports whether folding s reads the flow and its judgement:
// a blocked attempt the report still lists, a learned endpoint it still
// quotes, the list of every flow.
func (g *aggregator) needsFlow(s *judged) bool {
	switch {
	case g.listFlows:
		return true
	case s.verdict == matrix.Blocked && len(g.blocked) < maxListed:
		return true
	case s.block == matrix.Unreachable:
		return true // the ICMP message and its sender are in the flow
	}
	return s.bits&jLearned != 0 && len(g.rules[s.rule].learned) < 5
}

// fold adds a judged flow to the aggregates; f and j may be nil unless
// needsFlow(s).
func (g *aggregator) fold(s *judged, f *flow.Flow, j *matrix.Judgement) {
	g.n++
	if g.first == 0 || s.first < g.first {
		g.first = s.first
	}
	g.last = max(g.last, s.last)
	sum := &g.sum
	if s.bits&jGuessed != 0 {
		sum.Guessed++
	}
	switch s.verdict {
	case matrix.Allowed, matrix.Blocked, matrix.Mismatch, matrix.Unconfirmed:
		g.foldRule(s, f, j)
	case matrix.Unexpected:
		g.foldUnexpected(s)
	case matrix.Ignored:
		sum.Ignored++
	case matrix.NotJudged:
		if s.dir == matrix.Local {
			sum.Local++
		} else {
			sum.Transit++
		}
	}
	if g.listFlows {
		g.flows.Add(g.a.flowEntry(f, j), f.First)
	}
}

// foldRule adds a flow that a rule matched to the rule's aggregates.
func (g *aggregator) foldRule(s *judged, f *flow.Flow, j *matrix.Judgement) {
	m := g.a.m
	r := &g.rules[s.rule]
	r.flows++
	r.packets += s.pkts
	r.bytes += s.bytes
	r.protocols[protocolOf(s.meta, s.protocol).String()]++
	r.hist.add(s.first)
	peer := s.peer.Netip()
	p := r.peers[peer]
	if p == nil {
		p = &peerAgg{}
		r.peers[peer] = p
	}
	p.flows++
	switch s.verdict {
	case matrix.Allowed:
		r.allowed++
		p.allowed++
		g.sum.Allowed++
	case matrix.Blocked:
		r.blocked++
		p.blocked++
		g.blockedTotal++
		switch s.block {
		case matrix.NoAnswer:
			r.fail.NoAnswer++
		case matrix.Refused:
			r.fail.Refused++
		case matrix.Unreachable:
			r.fail.AddUnreach(g.a.unreach(f))
		}
		if len(g.blocked) < maxListed {
			g.blocked = append(g.blocked, g.a.blockedEntry(m.Rules[s.rule].ID, f, j.Block))
			g.blockedAgg = append(g.blockedAgg, report.BlockedAgg{Rule: m.Rules[s.rule].ID, Dir: s.dir, Transport: s.proto,
				Peer: peer, Port: s.port, Reason: j.Block})
		}
	case matrix.Mismatch:
		r.mismatch++
	case matrix.Unconfirmed:
		r.unconfirmed++
		p.unconfirmed++
		g.sum.Unconfirmed++
	}
	if s.bits&jAmbiguous != 0 {
		r.ambiguous++
		r.tied |= s.tied
	}
	if m.Rules[s.rule].Learn == matrix.LearnEPM {
		if s.bits&jLearned != 0 {
			if len(r.learned) < 5 {
				r.learned = append(r.learned, fmt.Sprintf("port %d on %s learned from the endpoint mapper of %s, reply in flow %s at %s",
					j.Learned.Port, j.Learned.Addr, j.Learned.Mapper, j.Learned.From, capture.FormatTime(j.Learned.At)))
			}
			r.learnedN++
			if !m.Rules[s.rule].Ports.Contains(s.port) {
				r.outsideN++
				if len(r.outside) < 5 && !slices.Contains(r.outside, s.port) {
					r.outside = append(r.outside, s.port)
				}
			}
		} else {
			r.byRange++
		}
	}
	if s.bits&jGuessed != 0 {
		r.midstream++
	}
	if s.srcPort != 0 {
		g.src.add(s.srcPort)
	}
}

// foldUnexpected adds an unexpected flow to its group: one per transport,
// direction, port and peer, until a scan makes too many. A known
// scanner's probes fold into its scan finding; those it sent before it
// was known are taken out of their groups at the end (unexpectedReport).
// Its sessions stay rows (scanFold.take).
func (g *aggregator) foldUnexpected(s *judged) {
	if s.dir == matrix.Inbound && s.bits&jSession == 0 && g.a.infer.probes.known(s.peer) {
		g.scanFolded[s.peer]++
		return
	}
	if s.dir == matrix.Outbound && s.bits&jFailed != 0 {
		if a, ok := g.scanningServer(); ok {
			g.scanFolded[a]++
			return
		}
	}
	var k unexpKey // field by field: a literal is built aside and copied (see equal)
	k.proto, k.dir, k.port, k.peer = s.proto, s.dir, s.port, s.peer
	u := g.unexp.getHashed(&k, unexpHash(s.proto, s.dir, s.port, &s.peer))
	if u == nil && g.unexp.n >= maxGroups {
		// A scan: further peers and ports fold into one group per
		// transport and direction.
		k.port, k.peer = 0, othersPeer()
		u = g.othersGroup(&k)
		g.overflowed++
	}
	if u == nil {
		u = &groupAgg{first: s.first, key: k}
		g.unexp.put(u)
		if k.peer == othersPeer() {
			g.others = append(g.others, u)
		}
	}
	g.unexpHist.add(s.first)
	if u.proto == 0 {
		u.proto = s.protocol
	}
	u.flows++
	if s.bits&jFailed != 0 {
		u.failed++
	}
	if s.bits&jSession != 0 {
		u.sessions++
	}
	u.packets += s.pkts
	u.bytes += s.bytes
	u.first = min(u.first, s.first)
	u.last = max(u.last, s.last)
}

func (a *analyzer) blockedEntry(rule string, f *flow.Flow, reason matrix.BlockReason) report.Blocked {
	ini, resp := flowEnds(f)
	b := report.Blocked{Rule: rule, Initiator: ini, Responder: resp, Reason: reason,
		Attempts: int(f.SYNs), First: capture.FormatTime(f.First), Last: capture.FormatTime(f.Last)}
	b.InitiatorHost, b.ResponderHost = endHosts(a.m, f)
	if f.Key.Proto != matrix.TCP || b.Attempts == 0 {
		b.Attempts = int(f.Pkts[flow.Orig])
	}
	if b.Attempts == 0 {
		b.Attempts = 1
	}
	if reason == matrix.Unreachable {
		c := int(f.ICMPCode)
		b.ICMPCode = &c
		u := a.unreach(f)
		b.ICMP = u.Why()
	}
	return b
}

func (a *analyzer) flowEntry(f *flow.Flow, j *matrix.Judgement) report.Flow {
	m := a.m
	ini, resp := flowEnds(f)
	e := report.Flow{Transport: matrix.TransportName(f.Key.Proto), Initiator: ini, Responder: resp,
		Guessed: f.Guessed, Direction: j.Dir, State: f.StateWords(), ConnState: f.ConnState(),
		Protocol: a.protocolName(f), Verdict: j.Verdict, Reason: j.Reason,
		Packets:   report.Counts{Initiator: uint64(f.Pkts[0]), Responder: uint64(f.Pkts[1])},
		Bytes:     report.Counts{Initiator: f.Bytes[0], Responder: f.Bytes[1]},
		Fragments: f.Frags, First: capture.FormatTime(f.First), Last: capture.FormatTime(f.Last),
		End: f.Ended.String(), Notes: j.Notes}
	if f.Key.Proto == matrix.TCP {
		e.History = f.HistoryString()
	}
	if ty, code, ok := f.ICMPMessage(); ok {
		e.ICMPType, e.ICMPCode = intPtr(int(ty)), intPtr(int(code))
	}
	if _, fp := a.rec.proto(f); fp != nil {
		e.Confidence = fp.conf.String()
		e.ProtocolMeta = fp.meta.Map()
	}
	if j.Rule >= 0 {
		e.Rule = m.Rules[j.Rule].ID
	} else if j.Ignore >= 0 {
		e.Rule = m.Ignore[j.Ignore].ID
	}
	if f.OnlyByICMP {
		e.Notes = append(e.Notes, "known only from an ICMP error quoting it")
	}
	if int(f.Input) < len(a.inputNames) {
		e.Input = a.inputNames[f.Input]
	}
	return e
}

func intPtr(n int) *int { return &n }

// unreach describes the ICMP message that answered a failed attempt, and
// who sent it.
func (a *analyzer) unreach(f *flow.Flow) matrix.Unreach {
	u := matrix.Unreach{V6: f.ICMPv6, Type: f.ICMPType, Code: f.ICMPCode, Attempts: 1}
	if a.table != nil {
		if from, ok := a.table.UnreachFrom(&f.Key); ok {
			u.From = from.String()
		}
	}
	return u
}

// portSpan is the range of the server's source ports and how many flows
// came from outside the dynamic range the matrix names (site.dynamic_ports).
type portSpan struct {
	site       matrix.Site
	lo, hi     uint16
	n, outside int
}

func (p *portSpan) add(port uint16) {
	if p.n == 0 || port < p.lo {
		p.lo = port
	}
	p.hi = max(p.hi, port)
	p.n++
	if p.site.OutsideDynamicRange(port) {
		p.outside++
	}
}

// note says, once for the capture, what the server's source ports tell:
// ports outside site.dynamic_ports, as a Linux host's 32768-60999 are
// outside Windows' 49152-65535, mean a host firewall limiting source
// ports would block them; nothing when every port is in the range, or
// the matrix names none.
func (p *portSpan) note() string {
	if p.outside == 0 {
		return ""
	}
	what := "lie outside"
	if p.lo >= 32768 && p.hi <= 60999 {
		what = "look like Linux's range (32768-60999), not"
	}
	r := p.site.DynamicPorts[0]
	where := fmt.Sprintf("outside %s", p.site.DynamicPorts)
	if r.Hi == 65535 {
		where = fmt.Sprintf("below %d", r.Lo)
	}
	return fmt.Sprintf("the server's source ports %d-%d (%d of %d outbound TCP flows %s) %s the site's dynamic range %s (site.dynamic_ports): a host firewall that limits source ports would need to allow them",
		p.lo, p.hi, p.outside, p.n, where, what, p.site.DynamicPorts)
}
