// Package classifier is the engine that turns flows into verdicts: the
// Analyzer streams finished flows through the matrix's judging, folds them
// into a report's aggregates and builds the report; the two-core pipeline
// and end-of-input flush, the monitor's sliding window, server inference,
// protocol recognition and the endpoint-mapper learner live here. The
// policy itself is classifier/matrix.
package classifier

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/flowverify/flowverify/classifier/matrix"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/protocol"
	"github.com/flowverify/flowverify/report"
)

// timelineBuckets is how many slices the report's timeline has.
const timelineBuckets = 48

// maxListed bounds the blocked and unexpected lists of a report; the
// summary still counts everything.
const maxListed = 1000

// maxGroups bounds the unexpected groups held while streaming: past it,
// new peers of a (transport, direction, port) are counted in one group
// whose peer reads "(others)". A scan must not cost a group per address.
const maxGroups = 10000

// decideAfter is how many finished flows are held while the server is
// being inferred; then the decision is taken and flows stream.
const decideAfter = 100000

// Analyzer receives finished flows and judges them. While the server is
// unknown (--server auto) flows are held, then judged; once it is known
// each flow is judged as it ends and only aggregates stay, so memory
// follows the number of concurrent flows, not the size of the capture.
type Analyzer struct {
	m       *matrix.Matrix
	records []flow.Flow // held flows: server not yet known, or the monitor's window
	infer   *serverInference
	rec     *recognizer

	withFlows  bool
	hold       bool     // never stream: the monitor keeps its window of flows
	inputNames []string // input index -> name, for listed flows
	servers    map[netip.Addr]bool
	server     report.Server
	agg        *aggregator
	allRules   bool  // tests: no namedPorts shortcut
	nextPrune  int64 // packet time of the next look for learned endpoints to forget
	ahead      aheadCounts
}

// NewAnalyzer starts an analysis against m.
func NewAnalyzer(m *matrix.Matrix) *Analyzer {
	return &Analyzer{m: m, infer: newServerInference(), rec: &recognizer{now: func() int64 { return 0 }}}
}

// ListFlows asks for every flow in the report (--flows); names maps a
// flow's input index to the input's name.
func (a *Analyzer) ListFlows(on bool, names []string) { a.withFlows, a.inputNames = on, names }

// Attach makes the analyzer the table's consumer: it recognises protocols
// from the first payload bytes and receives every finished flow.
func (a *Analyzer) Attach(t *flow.Table) {
	t.OnEnd = a.OnEnd
	t.OnPayload = a.rec.onPayload
	a.rec.now = t.Now
	a.rec.table = t
}

// Stream decides the server now when the matrix names it, so flows are
// judged as they end. Offline analysis calls it before reading.
func (a *Analyzer) Stream() {
	if !a.m.ServerAuto {
		a.setServers(a.m.Server, a.m.ServerFrom, nil)
	}
}

func (a *Analyzer) setServers(addrs []netip.Addr, source string, evidence []string) {
	a.servers = map[netip.Addr]bool{}
	a.server = report.Server{Source: source, Evidence: evidence}
	for _, s := range addrs {
		a.servers[s] = true
		a.server.Addresses = append(a.server.Addresses, s.String())
	}
	a.agg = newAggregator(a, a.withFlows)
}

// OnEnd is the flow table's end-of-flow hook.
func (a *Analyzer) OnEnd(f *flow.Flow) {
	a.rec.final(f)
	if a.agg != nil {
		a.agg.add(f)
		a.rec.release(f.Meta)
		return
	}
	a.infer.observe(f)
	a.records = append(a.records, f.Detached())
	if len(a.records) >= decideAfter && a.m.ServerAuto && !a.hold {
		if best, ev, err := a.infer.decide(); err == nil {
			ev = append(ev, fmt.Sprintf("decided after the first %d flows", len(a.records)))
			a.setServers([]netip.Addr{best}, "auto", ev)
			a.flushRecords()
		}
	}
}

// flushRecords judges the held flows in start order.
func (a *Analyzer) flushRecords() {
	sort.SliceStable(a.records, func(i, j int) bool {
		x, y := &a.records[i], &a.records[j]
		if x.First != y.First {
			return x.First < y.First
		}
		return keyLess(&x.Key, &y.Key)
	})
	a.agg.seedDCs(a.records)
	for i := range a.records {
		a.agg.add(&a.records[i])
	}
	a.records = nil
}

// Meta is what the caller knows about the run beyond the flows.
type Meta struct {
	ToolVersion string
	Inputs      []*capture.InputStats
	Table       flow.Counters
	WithFlows   bool
	Drops       uint64
	// Observed is how much packet time the report covers; when shorter than
	// Window, required rules with no attempt are not called missing yet
	// (monitor). Zero Window means offline: judge what was read.
	Observed time.Duration
	Window   time.Duration
	// Servers overrides the matrix's server setting (monitor: the
	// interfaces' own addresses).
	Servers      []netip.Addr
	ServerSource string
}

type peerAgg struct {
	flows, allowed, blocked int
}

type ruleAgg struct {
	flows, allowed, blocked, mismatch int
	packets, bytes                    uint64
	peers                             map[netip.Addr]*peerAgg
	ambiguous, lowSrcPort, midstream  int
	byRange, learnedN                 int
	learned                           []string
	protocols                         map[string]int
	hist                              histogram
}

// groupAgg accumulates one unexpected group; it is formatted only if it
// makes the report's list.
type groupAgg struct {
	key            unexpKey
	next           *groupAgg // same hash
	first, last    int64
	flows, failed  int
	packets, bytes uint64
	proto          uint16
}

type unexpKey struct {
	proto uint8
	dir   matrix.Direction
	port  uint16
	peer  capture.Addr // a plain array hashes faster than netip.Addr
}

// othersPeer stands for every peer past maxGroups: the unspecified
// address, which no real peer has.
func othersPeer() capture.Addr { return capture.Addr{} }

// aggregator holds what a report needs, flow by flow.
type aggregator struct {
	a            *Analyzer
	cx           *matrix.Context
	rules        []ruleAgg
	unexp        groupTable
	others       []*groupAgg // the fold-over groups, one per transport and direction
	unexpHist    histogram
	blocked      []report.Blocked
	blockedTotal int
	overflowed   int
	sum          report.Summary
	flows        []report.Flow
	listFlows    bool
	n            int
	first, last  int64
}

func newAggregator(a *Analyzer, listFlows bool) *aggregator {
	g := &aggregator{a: a, unexp: newGroupTable(), listFlows: listFlows}
	g.cx = &matrix.Context{Servers: matrix.NewServerSet(slices.Collect(maps.Keys(a.servers))), DCs: &matrix.DCs{ByEPM: map[netip.Addr]bool{}}, Evidence: a.rec,
		EPMLifetime: a.m.Limits.EPMLifetime, Explain: listFlows}
	if !a.allRules {
		g.cx.Ports = matrix.NewNamedPorts(a.m)
	}
	g.rules = make([]ruleAgg, len(a.m.Rules))
	for i := range g.rules {
		g.rules[i] = ruleAgg{peers: map[netip.Addr]*peerAgg{}, protocols: map[string]int{}}
	}
	return g
}

func (g *aggregator) seedDCs(fs []flow.Flow) {
	for i := range fs {
		g.cx.NoteDC(&fs[i])
	}
}

// othersGroup finds the fold-over group of k's transport and direction
// among the few there are, sparing a scan's every flow a map lookup.
func (g *aggregator) othersGroup(k *unexpKey) *groupAgg {
	for _, u := range g.others {
		if u.key.equal(k) {
			return u
		}
	}
	return nil
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
	kind        uint8 // the look-ahead's: fold it, end it in turn, or wait
}

// judged.bits
const (
	jGuessed   = 1 << iota // the flow was seen mid-stream
	jFailed                // the attempt failed (Judgement.Block)
	jAmbiguous             // other rules matched as well
	jLearned               // an endpoint-mapper answer named its port
	jLowSrc                // outbound from below the dynamic port range
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
	if j.Block != "" {
		s.bits |= jFailed
	}
	if len(j.Ambiguous) > 0 {
		s.bits |= jAmbiguous
	}
	if j.Learned != nil {
		s.bits |= jLearned
	}
	if j.Dir == matrix.Outbound {
		if _, sp := f.Initiator(); sp < 49152 {
			s.bits |= jLowSrc
		}
	}
}

// add judges one flow and folds it into the aggregates.
func (g *aggregator) add(f *flow.Flow) {
	g.cx.NoteDC(f)
	var j matrix.Judgement
	g.a.m.Judge(f, g.cx, &j)
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
	}
	return s.bits&jLearned != 0 && len(g.rules[s.rule].learned) < 5
}

// fold adds a judged flow to the aggregates; f and j may be nil unless
// needsFlow(s).
func (g *aggregator) fold(s *judged, f *flow.Flow, j *matrix.Judgement) {
	m := g.a.m
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
	case matrix.Allowed, matrix.Blocked, matrix.Mismatch:
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
			sum.Allowed++
		case matrix.Blocked:
			r.blocked++
			p.blocked++
			g.blockedTotal++
			if len(g.blocked) < maxListed {
				g.blocked = append(g.blocked, blockedEntry(m.Rules[s.rule].ID, f, j.Block))
			}
		case matrix.Mismatch:
			r.mismatch++
		}
		if s.bits&jAmbiguous != 0 {
			r.ambiguous++
		}
		if m.Rules[s.rule].Learn == "epm" {
			if s.bits&jLearned != 0 {
				if len(r.learned) < 5 {
					r.learned = append(r.learned, fmt.Sprintf("port %d on %s learned from endpoint mapper reply in flow %s at %s",
						j.Learned.Port, j.Learned.Addr, j.Learned.From, capture.FormatTime(j.Learned.At)))
				}
				r.learnedN++
			} else {
				r.byRange++
			}
		}
		if s.bits&jGuessed != 0 {
			r.midstream++
		}
		if s.bits&jLowSrc != 0 {
			r.lowSrcPort++
		}
	case matrix.Unexpected:
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
		u.packets += s.pkts
		u.bytes += s.bytes
		u.first = min(u.first, s.first)
		u.last = max(u.last, s.last)
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
		g.flows = append(g.flows, g.a.flowEntry(f, j))
	}
}

// Report judges every flow and builds the report.
func (a *Analyzer) Report(meta Meta) (*report.Report, error) {
	m := a.m
	if meta.WithFlows && !a.withFlows {
		a.withFlows = true
	}
	switch {
	case len(meta.Servers) > 0:
		a.setServers(meta.Servers, meta.ServerSource, nil)
	case a.agg != nil:
	case !m.ServerAuto:
		a.setServers(m.Server, m.ServerFrom, nil)
	default:
		best, ev, err := a.infer.decide()
		if err != nil {
			return nil, err
		}
		a.setServers([]netip.Addr{best}, "auto", ev)
	}
	g := a.agg
	if len(a.records) > 0 {
		a.flushRecords()
	}
	r := &report.Report{Schema: report.Schema, Tool: report.Tool{Name: "flowverify", Version: meta.ToolVersion}}
	r.Matrix = report.MatrixInfo{Name: m.Name, Profile: m.Profile, Description: m.Description, Config: m.ConfigFile}
	r.Server = a.server
	sum := &r.Summary
	*sum = g.sum

	tl := &report.Timeline{Buckets: timelineBuckets, Rules: map[string][]int{}}
	lo, hi := int64(0), int64(0)
	for i := range g.rules {
		lo, hi = g.rules[i].hist.span(lo, hi)
	}
	lo, hi = g.unexpHist.span(lo, hi)
	tl.Start, tl.End = capture.FormatTime(lo), capture.FormatTime(hi)
	for i, rule := range m.Rules {
		tl.Rules[rule.ID] = g.rules[i].hist.buckets(lo, hi, timelineBuckets)
	}
	tl.Unexpected = g.unexpHist.buckets(lo, hi, timelineBuckets)
	r.Timeline = tl

	findings := map[string]int{}
	for _, k := range matrix.FindingNames() {
		findings[k] = 0
	}
	pending := meta.Window > 0 && meta.Observed < meta.Window
	for i := range m.Rules {
		rr := a.ruleReport(&m.Rules[i], &g.rules[i])
		if pending && rr.Status == matrix.StatusMissing {
			rr.Status = matrix.StatusNotSeen
			rr.Reason = fmt.Sprintf("no attempt yet; missing only after a full window (%s of %s observed)", meta.Observed.Round(time.Second), meta.Window)
		}
		if rr.Status.Failing() {
			findings[string(rr.Status)]++
		}
		r.Rules = append(r.Rules, rr)
	}
	// The sort keys sit beside the pointer: a scan's 10,000 groups are
	// scattered over the heap, and comparisons that followed the pointers
	// were half of building its report.
	type group struct {
		flows int
		first int64
		k     unexpKey
		a     *groupAgg
	}
	groups := make([]group, 0, g.unexp.n)
	g.unexp.each(func(u *groupAgg) { groups = append(groups, group{u.flows, u.first, u.key, u}) })
	slices.SortFunc(groups, func(x, y group) int {
		switch {
		case x.flows != y.flows:
			return cmp.Compare(y.flows, x.flows)
		case x.first != y.first:
			return cmp.Compare(x.first, y.first)
		case unexpLess(x.k, y.k):
			return -1
		case unexpLess(y.k, x.k):
			return 1
		}
		return 0
	})
	for i, gr := range groups {
		if i >= maxListed {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%d more unexpected groups not listed", len(groups)-maxListed))
			break
		}
		k, u := gr.k, gr.a
		peer := k.peer.String()
		if k.peer == othersPeer() {
			peer = "(others)"
		}
		r.Unexpected = append(r.Unexpected, report.Unexpected{Transport: matrix.TransportName(k.proto), Direction: k.dir.String(), Port: int(k.port),
			Peer: peer, Protocol: protocol.ID(u.proto).String(), Flows: u.flows, Failed: u.failed, Packets: u.packets, Bytes: u.bytes,
			First: capture.FormatTime(u.first), Last: capture.FormatTime(u.last), Hint: m.Hint(k.proto, k.port, k.dir)})
	}
	if g.overflowed > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("more than %d unexpected groups: %d flows of further peers and ports are counted under peer \"(others)\", port 0", maxGroups, g.overflowed))
	}
	findings["unexpected"] = len(groups)
	sort.SliceStable(g.blocked, func(i, j int) bool { return g.blocked[i].First < g.blocked[j].First })
	r.Blocked = g.blocked
	if g.blockedTotal > len(g.blocked) {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d more blocked attempts not listed", g.blockedTotal-len(g.blocked)))
	}
	if r.Unexpected == nil {
		r.Unexpected = []report.Unexpected{}
	}
	if r.Blocked == nil {
		r.Blocked = []report.Blocked{}
	}
	if g.listFlows {
		sort.SliceStable(g.flows, func(i, j int) bool {
			if g.flows[i].First != g.flows[j].First {
				return g.flows[i].First < g.flows[j].First
			}
			return g.flows[i].Initiator+g.flows[i].Responder < g.flows[j].Initiator+g.flows[j].Responder
		})
		r.Flows = g.flows
	}

	// Inputs and the honest caveats.
	var first, last int64
	for _, in := range meta.Inputs {
		in.Finish()
		ri := report.Input{Name: in.Name, Format: string(in.Format), Compressed: in.Compressed, Packets: in.Packets,
			Bytes: in.Bytes, First: capture.FormatTime(in.First), Last: capture.FormatTime(in.Last), Warnings: in.Warnings, Drops: in.Drops}
		ri.LinkTypes = []string{}
		seen := map[string]bool{}
		for _, lt := range in.LinkTypes {
			if s := lt.String(); !seen[s] {
				seen[s] = true
				ri.LinkTypes = append(ri.LinkTypes, s)
			}
		}
		if in.Damage != nil {
			ri.Damaged = true
			off := in.Damage.Offset
			ri.DamageAt = &off
			sum.Damaged = true
		}
		r.Inputs = append(r.Inputs, ri)
		if in.Packets > 0 {
			if first == 0 || in.First < first {
				first = in.First
			}
			if in.Last > last {
				last = in.Last
			}
		}
	}
	if first == 0 {
		// Live inputs keep no timestamps of their own: take the flows'.
		first, last = g.first, g.last
	}
	if meta.Window > 0 && last > 0 {
		first = max(first, last-int64(meta.Window))
	}
	r.Window = report.Window{Start: capture.FormatTime(first), End: capture.FormatTime(last)}
	tc := meta.Table
	if tc.Evicted > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d flows were evicted by the flow-table cap (%d): verdicts may be incomplete", tc.Evicted, m.Limits.MaxFlows))
	}
	if tc.Fragments > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d IP fragments seen (counted to their flows, not reassembled; %d without a first fragment)", tc.Fragments, tc.OrphanFrags))
	}
	if sum.Guessed > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d flows were seen mid-stream: their initiator was guessed from the ports", sum.Guessed))
	}
	if meta.Drops == 0 {
		for _, in := range meta.Inputs {
			meta.Drops += in.Drops
		}
	}
	if meta.Drops > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d packets dropped by the capture", meta.Drops))
	}
	sum.Findings = findings
	sum.Packets = tc.Packets
	sum.Flows = g.n
	sum.Evicted = tc.Evicted
	sum.MaxActive = tc.MaxActive
	sum.Dropped = meta.Drops
	sum.Fragments = tc.Fragments
	sum.NonIP = tc.NonIP
	sum.Verdict = "conforms"
	for _, k := range matrix.FindingNames() {
		if findings[k] > 0 {
			sum.Verdict = "findings"
		}
	}
	return r, nil
}

func (a *Analyzer) ruleReport(rule *matrix.Rule, g *ruleAgg) report.Rule {
	m := a.m
	rr := report.Rule{ID: rule.ID, Description: rule.Description, Direction: rule.Direction.String(),
		Transport: matrix.TransportName(rule.Transport), Ports: rule.Ports.String(), Role: strings.Join(rule.Roles, ","),
		Required: rule.Required, Flows: g.flows, Allowed: g.allowed, BlockedN: g.blocked, Mismatch: g.mismatch,
		Packets: g.packets, Bytes: g.bytes, Protocols: g.protocols, Peers: []report.Peer{}}
	rr.Local = rule.Local
	var peers []netip.Addr
	for p := range g.peers {
		peers = append(peers, p)
	}
	sort.Slice(peers, func(i, j int) bool { return peers[i].Less(peers[j]) })
	unreached := 0
	for _, p := range peers {
		pa := g.peers[p]
		if pa.allowed == 0 {
			unreached++
		}
		rr.Peers = append(rr.Peers, report.Peer{Address: p.String(), Status: matrix.PeerStatus(pa.allowed), Flows: pa.flows, Allowed: pa.allowed, Blocked: pa.blocked})
	}
	// Hosts a role lists one by one are peers the rule must reach.
	for _, name := range rule.Roles {
		for _, h := range m.Roles[name].Hosts() {
			if g.peers[h] == nil {
				rr.Missing = append(rr.Missing, h.String())
			}
		}
	}
	t := matrix.Tally{Required: rule.Required, Allowed: g.allowed, Blocked: g.blocked, Mismatch: g.mismatch, Unreached: unreached, MissingPeers: len(rr.Missing)}
	rr.Status = matrix.RuleStatus(t)
	var seen []string
	if rr.Status == matrix.StatusMismatch {
		// A proxy or a wrong service answering a documented port is a
		// finding even when other flows of the rule work.
		for p, n := range g.protocols {
			if p != "unknown" && !rule.Accepts(protocolID(p)) {
				seen = append(seen, fmt.Sprintf("%s (%d)", p, n))
			}
		}
		sort.Strings(seen)
	}
	rr.Reason = matrix.StatusReason(rr.Status, t, len(peers)-unreached, g.flows, seen, rule.Protocols, "")
	if g.flows > 0 && len(g.protocols) == 1 && g.protocols["unknown"] == g.flows {
		rr.Evidence = append(rr.Evidence, "protocol not confirmed: judged by port and direction alone")
	}
	if g.learnedN > 0 {
		rr.Evidence = append(rr.Evidence, fmt.Sprintf("%d flow(s) attributed through learned endpoints", g.learnedN))
		rr.Evidence = append(rr.Evidence, g.learned...)
	}
	if g.byRange > 0 {
		rr.Evidence = append(rr.Evidence, fmt.Sprintf("%d flow(s) matched by range %s to a peer the server reached on the endpoint mapper (tcp/135)", g.byRange, rule.Ports))
	}
	if g.ambiguous > 0 {
		rr.Evidence = append(rr.Evidence, fmt.Sprintf("%d flow(s) matched other rules equally well; this rule won by config order", g.ambiguous))
	}
	if g.midstream > 0 {
		rr.Evidence = append(rr.Evidence, fmt.Sprintf("%d flow(s) seen mid-stream (initiator guessed)", g.midstream))
	}
	if g.lowSrcPort > 0 {
		rr.Evidence = append(rr.Evidence, fmt.Sprintf("information: %d flow(s) from server source ports outside 49152-65535", g.lowSrcPort))
	}
	return rr
}

func blockedEntry(rule string, f *flow.Flow, reason string) report.Blocked {
	ia, ip := f.Initiator()
	ra, rp := f.Responder()
	b := report.Blocked{Rule: rule, Initiator: HostPort(ia, ip), Responder: HostPort(ra, rp), Reason: reason,
		Attempts: int(f.SYNs), First: capture.FormatTime(f.First), Last: capture.FormatTime(f.Last)}
	if f.Key.Proto != matrix.TCP || b.Attempts == 0 {
		b.Attempts = int(f.Pkts[flow.Orig])
	}
	if b.Attempts == 0 {
		b.Attempts = 1
	}
	if reason == matrix.Unreachable {
		c := int(f.ICMPCode)
		b.ICMPCode = &c
	}
	return b
}

// HostPort writes host:port, IPv6 in brackets.
func HostPort(a capture.Addr, port uint16) string {
	return netip.AddrPortFrom(a.Netip(), port).String()
}

func protocolID(name string) protocol.ID {
	id, _ := protocol.ByName(name)
	return id
}

func (a *Analyzer) protocolName(f *flow.Flow) string { return protocolOf(f.Meta, f.Protocol).String() }

// pruneEvery is how often, in packet time, an offline analysis looks for
// learned endpoints that no flow can still be judged against.
const pruneEvery = 10 * time.Minute

// Tick is called between batches of packets. Every pruneEvery of packet
// time it forgets the endpoint-mapper answers that no flow still to be
// judged can match: a flow matches answers from at most the EPM lifetime
// before it started, and every flow still to be judged started after the
// oldest one in the table (or, for flows not seen yet, after now less a
// lifetime of slack for timestamps that step back within a file). Kept for
// the whole capture, they were most of the memory a long capture grew by
// (a 30M-packet mix peaked at 54 MiB against 36 MiB for 3M); judging is
// unchanged, as a test holds.
func (a *Analyzer) Tick(t *flow.Table) {
	now := t.Now()
	if now < a.nextPrune {
		return
	}
	a.nextPrune = now + int64(pruneEvery)
	if a.hold || a.agg == nil || len(a.records) > 0 || !a.rec.AnyLearned() {
		return // held flows (server not yet known) may be older than any in the table
	}
	lifetime := int64(a.m.Limits.EPMLifetime)
	oldest := now - lifetime
	t.Each(func(f *flow.Flow) { oldest = min(oldest, f.First) })
	a.rec.pruneLearned(oldest - lifetime)
}

// Learned lists the endpoints the endpoint mapper handed out.
func (a *Analyzer) Learned() []matrix.Learned { return a.rec.learned }

func (a *Analyzer) flowEntry(f *flow.Flow, j *matrix.Judgement) report.Flow {
	m := a.m
	ia, ip := f.Initiator()
	ra, rp := f.Responder()
	e := report.Flow{Transport: matrix.TransportName(f.Key.Proto), Initiator: HostPort(ia, ip), Responder: HostPort(ra, rp),
		Guessed: f.Guessed, Direction: j.Dir.String(), State: f.StateWords(), ConnState: f.ConnState(),
		Protocol: a.protocolName(f), Verdict: j.Verdict.String(), Reason: j.Reason,
		Packets:   report.Counts{Initiator: uint64(f.Pkts[0]), Responder: uint64(f.Pkts[1])},
		Bytes:     report.Counts{Initiator: f.Bytes[0], Responder: f.Bytes[1]},
		Fragments: f.Frags, First: capture.FormatTime(f.First), Last: capture.FormatTime(f.Last),
		End: f.Ended.String(), Notes: j.Notes}
	if f.Key.Proto == matrix.TCP {
		e.History = f.HistoryString()
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

// groupTable maps unexpected-group keys through a 64-bit hash of our own
// (Go's map hashes 20-byte keys with its slower generic path; this runs
// once or twice for every unexpected flow of a scan).
type groupTable struct {
	m map[uint64]*groupAgg
	n int
	// seen is a Bloom filter of the groups put, two bits of one word per
	// group: a scan asks about a new peer and port with nearly every flow,
	// and once the table is full those misses must not each walk a
	// 10,000-entry map. At 32 KiB it stays cached while a million flows
	// stream past; with maxGroups entries a false hit, which only costs
	// the map lookup, is about 1 in 180 (1 in 25 with one bit, and those
	// lookups were a sixth of judging a scan).
	seen *[1 << 12]uint64
}

func newGroupTable() groupTable {
	return groupTable{m: map[uint64]*groupAgg{}, seen: new([1 << 12]uint64)}
}

// Keys are passed and compared by pointer, field by field: a key just
// built from narrow fields and then copied or compared whole is read back
// with wide loads that cannot be forwarded from the pending narrow stores,
// a stall that was half of add's own time on a scan.
func (k *unexpKey) equal(o *unexpKey) bool {
	return k.proto == o.proto && k.dir == o.dir && k.port == o.port && k.peer == o.peer
}

func (k *unexpKey) hash() uint64 { return unexpHash(k.proto, k.dir, k.port, &k.peer) }

// unexpHash hashes a key from its parts, which the caller has at hand:
// read back from a key just stored, the adjacent proto and dir bytes were
// loaded as one word that no pending store could forward.
func unexpHash(proto uint8, dir matrix.Direction, port uint16, peer *capture.Addr) uint64 {
	a := binary.LittleEndian.Uint64(peer[0:8])
	b := binary.LittleEndian.Uint64(peer[8:16])
	c := uint64(proto)<<32 | uint64(dir)<<24 | uint64(port)
	h := (a ^ 0x9e3779b97f4a7c15) * 0xbf58476d1ce4e5b9
	h = (h ^ b ^ h>>29) * 0x94d049bb133111eb
	return (h ^ c ^ h>>32) * 0x9e3779b97f4a7c15
}

func seenBits(h uint64) (word uint64, bits uint64) {
	return h >> 52, 1<<(h>>46&63) | 1<<(h>>40&63)
}

func (t *groupTable) getHashed(k *unexpKey, h uint64) *groupAgg {
	if w, b := seenBits(h); t.seen[w]&b != b {
		return nil
	}
	for g := t.m[h]; g != nil; g = g.next {
		if g.key.equal(k) {
			return g
		}
	}
	return nil
}

func (t *groupTable) put(g *groupAgg) {
	h := g.key.hash()
	w, b := seenBits(h)
	t.seen[w] |= b
	g.next = t.m[h]
	t.m[h] = g
	t.n++
}

func (t *groupTable) each(fn func(*groupAgg)) {
	for _, g := range t.m {
		for ; g != nil; g = g.next {
			fn(g)
		}
	}
}

func unexpLess(a, b unexpKey) bool {
	if a.proto != b.proto {
		return a.proto < b.proto
	}
	if a.dir != b.dir {
		return a.dir < b.dir
	}
	if a.port != b.port {
		return a.port < b.port
	}
	return bytes.Compare(a.peer[:], b.peer[:]) < 0
}

func keyLess(a, b *flow.Key) bool {
	if c := bytes.Compare(a.A[:], b.A[:]); c != 0 {
		return c < 0
	}
	if c := bytes.Compare(a.B[:], b.B[:]); c != 0 {
		return c < 0
	}
	if a.PortA != b.PortA {
		return a.PortA < b.PortA
	}
	if a.PortB != b.PortB {
		return a.PortB < b.PortB
	}
	return a.Proto < b.Proto
}
