package classifier

import (
	"bytes"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

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

// Analyzer receives finished flows and, at the end, judges them. Flows are
// kept (without payload) because the server may be inferred from the very
// traffic being judged.
type Analyzer struct {
	m       *Matrix
	records []flow.Flow
	infer   *serverInference
	rec     *recognizer
}

// NewAnalyzer starts an analysis against m.
func NewAnalyzer(m *Matrix) *Analyzer {
	return &Analyzer{m: m, infer: newServerInference(), rec: &recognizer{now: func() int64 { return 0 }}}
}

// Attach makes the analyzer the table's consumer: it recognises protocols
// from the first payload bytes and receives every finished flow.
func (a *Analyzer) Attach(t *flow.Table) {
	t.OnEnd = a.OnEnd
	t.OnPayload = a.rec.onPayload
	a.rec.now = t.Now
}

// FlowConfig derives the flow table's settings from the matrix.
func (m *Matrix) FlowConfig() flow.Config {
	c := flow.Config{
		MaxFlows:     m.Limits.MaxFlows,
		TCPTimeout:   m.Limits.TCPTimeout,
		UDPTimeout:   m.Limits.UDPTimeout,
		ClosedLinger: m.Limits.ClosedLinger,
	}
	ps := flow.DefaultServicePorts()
	for _, p := range m.ServicePorts() {
		ps.Add(p)
	}
	c.ServicePorts = ps
	return c
}

// OnEnd is the flow table's end-of-flow hook.
func (a *Analyzer) OnEnd(f *flow.Flow) {
	a.rec.final(f)
	a.infer.observe(f)
	a.records = append(a.records, *f)
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
}

type unexpKey struct {
	proto uint8
	dir   Direction
	port  uint16
	peer  netip.Addr
}

// Report judges every flow and builds the report.
func (a *Analyzer) Report(meta Meta) (*report.Report, error) {
	m := a.m
	r := &report.Report{Schema: report.Schema, Tool: report.Tool{Name: "flowverify", Version: meta.ToolVersion}}
	r.Matrix = report.MatrixInfo{Name: m.Name, Profile: m.Profile, Description: m.Description, Config: m.ConfigFile}

	servers := map[netip.Addr]bool{}
	switch {
	case len(meta.Servers) > 0:
		for _, s := range meta.Servers {
			servers[s] = true
			r.Server.Addresses = append(r.Server.Addresses, s.String())
		}
		r.Server.Source = meta.ServerSource
	case !m.ServerAuto:
		for _, s := range m.Server {
			servers[s] = true
			r.Server.Addresses = append(r.Server.Addresses, s.String())
		}
		r.Server.Source = m.ServerFrom
	default:
		best, ev, err := a.infer.decide()
		if err != nil {
			return nil, err
		}
		servers[best] = true
		r.Server = report.Server{Addresses: []string{best.String()}, Source: "auto", Evidence: ev}
	}
	// Loopback traffic never leaves the host: in a capture taken on the
	// server (as on its loopback interface) both ends are the server.
	isServer := func(x netip.Addr) bool { return servers[x] || x.IsLoopback() }

	sort.SliceStable(a.records, func(i, j int) bool {
		x, y := &a.records[i], &a.records[j]
		if x.First != y.First {
			return x.First < y.First
		}
		return keyLess(&x.Key, &y.Key)
	})

	// Domain controllers as the traffic shows them: the peers the server
	// reached on the endpoint mapper.
	dyn := &dynamicPeers{epm: map[netip.Addr]bool{}}
	for i := range a.records {
		f := &a.records[i]
		ia, _ := f.Initiator()
		ra, rp := f.Responder()
		if f.Key.Proto == TCP && rp == 135 && isServer(ia.Netip()) && f.Pkts[flow.Resp] > 0 {
			dyn.epm[ra.Netip()] = true
		}
	}

	cx := &judgeCtx{isServer: isServer, dyn: dyn, rec: a.rec, lifetime: m.Limits.EPMLifetime, explain: meta.WithFlows}
	// Flows per rule over time, for the report's timeline.
	var tFirst, tLast int64
	for i := range a.records {
		f := &a.records[i]
		if tFirst == 0 || f.First < tFirst {
			tFirst = f.First
		}
		tLast = max(tLast, f.First)
	}
	tl := &report.Timeline{Buckets: timelineBuckets, Start: capture.FormatTime(tFirst), End: capture.FormatTime(tLast),
		Rules: map[string][]int{}, Unexpected: make([]int, timelineBuckets)}
	bucket := func(t int64) int {
		if tLast <= tFirst {
			return 0
		}
		return min(int((t-tFirst)*int64(timelineBuckets)/(tLast-tFirst+1)), timelineBuckets-1)
	}
	for _, rule := range m.Rules {
		tl.Rules[rule.ID] = make([]int, timelineBuckets)
	}
	aggs := make([]ruleAgg, len(m.Rules))
	for i := range aggs {
		aggs[i] = ruleAgg{peers: map[netip.Addr]*peerAgg{}, protocols: map[string]int{}}
	}
	unexp := map[unexpKey]*report.Unexpected{}
	var unexpOrder []unexpKey
	var blocked []report.Blocked
	blockedTotal := 0
	sum := &r.Summary
	for i := range a.records {
		f := &a.records[i]
		j := m.judge(f, cx)
		if f.Guessed {
			sum.Guessed++
		}
		switch j.Verdict {
		case Allowed, Blocked, Mismatch:
			g := &aggs[j.Rule]
			g.flows++
			g.packets += uint64(f.Pkts[0]) + uint64(f.Pkts[1])
			g.bytes += f.Bytes[0] + f.Bytes[1]
			g.protocols[a.protocolName(f)]++
			p := g.peers[j.Peer]
			if p == nil {
				p = &peerAgg{}
				g.peers[j.Peer] = p
			}
			p.flows++
			tl.Rules[m.Rules[j.Rule].ID][bucket(f.First)]++
			switch j.Verdict {
			case Allowed:
				g.allowed++
				p.allowed++
				sum.Allowed++
			case Blocked:
				g.blocked++
				p.blocked++
				blockedTotal++
				if len(blocked) < maxListed {
					blocked = append(blocked, blockedEntry(m.Rules[j.Rule].ID, f, j.Block))
				}
			case Mismatch:
				g.mismatch++
			}
			if len(j.Ambiguous) > 0 {
				g.ambiguous++
			}
			if m.Rules[j.Rule].Learn == "epm" {
				if j.Learned != nil {
					if len(g.learned) < 5 {
						g.learned = append(g.learned, fmt.Sprintf("port %d on %s learned from endpoint mapper reply in flow %s at %s",
							j.Learned.Port, j.Learned.Addr, j.Learned.From, capture.FormatTime(j.Learned.At)))
					}
					g.learnedN++
				} else {
					g.byRange++
				}
			}
			if f.Guessed {
				g.midstream++
			}
			if j.Dir == Outbound {
				if _, sp := f.Initiator(); sp < 49152 {
					g.lowSrcPort++
				}
			}
		case Unexpected:
			k := unexpKey{f.Key.Proto, j.Dir, j.Port, j.Peer}
			u := unexp[k]
			if u == nil {
				u = &report.Unexpected{Transport: TransportName(k.proto), Direction: k.dir.String(), Port: int(k.port),
					Peer: k.peer.String(), Protocol: a.protocolName(f), First: capture.FormatTime(f.First),
					Hint: m.hint(k.proto, k.port, k.dir)}
				unexp[k] = u
				unexpOrder = append(unexpOrder, k)
			}
			tl.Unexpected[bucket(f.First)]++
			if u.Protocol == "unknown" {
				u.Protocol = a.protocolName(f)
			}
			u.Flows++
			if j.Block != "" {
				u.Failed++
			}
			u.Packets += uint64(f.Pkts[0]) + uint64(f.Pkts[1])
			u.Bytes += f.Bytes[0] + f.Bytes[1]
			u.Last = capture.FormatTime(f.Last)
		case Ignored:
			sum.Ignored++
		case NotJudged:
			if j.Dir == Local {
				sum.Local++
			} else {
				sum.Transit++
			}
		}
		if meta.WithFlows {
			r.Flows = append(r.Flows, a.flowEntry(f, &j, meta.Inputs))
		}
	}

	r.Timeline = tl
	findings := map[string]int{}
	for _, k := range report.FindingKinds() {
		findings[k] = 0
	}
	pending := meta.Window > 0 && meta.Observed < meta.Window
	for i := range m.Rules {
		rr := a.ruleReport(&m.Rules[i], &aggs[i])
		if pending && rr.Status == "missing" {
			rr.Status = "not-seen"
			rr.Reason = fmt.Sprintf("no attempt yet; missing only after a full window (%s of %s observed)", meta.Observed.Round(time.Second), meta.Window)
		}
		switch rr.Status {
		case "missing", "blocked", "mismatch", "partial":
			findings[rr.Status]++
		}
		r.Rules = append(r.Rules, rr)
	}
	sort.SliceStable(unexpOrder, func(i, j int) bool {
		x, y := unexp[unexpOrder[i]], unexp[unexpOrder[j]]
		if x.Flows != y.Flows {
			return x.Flows > y.Flows
		}
		return x.First < y.First
	})
	for i, k := range unexpOrder {
		if i >= maxListed {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%d more unexpected groups not listed", len(unexpOrder)-maxListed))
			break
		}
		r.Unexpected = append(r.Unexpected, *unexp[k])
	}
	findings["unexpected"] = len(unexpOrder)
	r.Blocked = blocked
	if blockedTotal > len(blocked) {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d more blocked attempts not listed", blockedTotal-len(blocked)))
	}
	if r.Unexpected == nil {
		r.Unexpected = []report.Unexpected{}
	}
	if r.Blocked == nil {
		r.Blocked = []report.Blocked{}
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
		for i := range a.records {
			f := &a.records[i]
			if first == 0 || (f.First > 0 && f.First < first) {
				first = f.First
			}
			last = max(last, f.Last)
		}
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
	sum.Flows = len(a.records)
	sum.Evicted = tc.Evicted
	sum.Dropped = meta.Drops
	sum.Fragments = tc.Fragments
	sum.NonIP = tc.NonIP
	sum.Verdict = "conforms"
	for _, k := range report.FindingKinds() {
		if findings[k] > 0 {
			sum.Verdict = "findings"
		}
	}
	return r, nil
}

func (a *Analyzer) ruleReport(rule *Rule, g *ruleAgg) report.Rule {
	m := a.m
	rr := report.Rule{ID: rule.ID, Description: rule.Description, Direction: rule.Direction.String(),
		Transport: TransportName(rule.Transport), Ports: rule.Ports.String(), Role: strings.Join(rule.Roles, ","),
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
		st := "ok"
		if pa.allowed == 0 {
			st = "blocked"
			unreached++
		}
		rr.Peers = append(rr.Peers, report.Peer{Address: p.String(), Status: st, Flows: pa.flows, Allowed: pa.allowed, Blocked: pa.blocked})
	}
	// Hosts a role lists one by one are peers the rule must reach.
	for _, name := range rule.Roles {
		for _, h := range m.Roles[name].Hosts() {
			if g.peers[h] == nil {
				rr.Missing = append(rr.Missing, h.String())
			}
		}
	}
	rr.Status = report.RuleStatus(rule.Required, g.allowed, g.blocked, g.mismatch, unreached, len(rr.Missing))
	switch rr.Status {
	case "mismatch":
		// A proxy or a wrong service answering a documented port is a
		// finding even when other flows of the rule work.
		var seen []string
		for p, n := range g.protocols {
			if p != "unknown" && !rule.accepts(protocolID(p)) {
				seen = append(seen, fmt.Sprintf("%s (%d)", p, n))
			}
		}
		sort.Strings(seen)
		rr.Reason = fmt.Sprintf("%d of %d flow(s) speak %s; the rule expects %s", g.mismatch, g.flows, strings.Join(seen, ", "), strings.Join(rule.Protocols, " or "))
	case "partial":
		rr.Reason = fmt.Sprintf("%d peer(s) reached, %d failed, %d listed peer(s) never tried", len(peers)-unreached, unreached, len(rr.Missing))
	case "blocked":
		rr.Reason = fmt.Sprintf("%d attempt(s), none answered", g.blocked)
	case "missing":
		rr.Reason = "required, and no attempt was seen"
	}
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
	if f.Key.Proto != TCP || b.Attempts == 0 {
		b.Attempts = int(f.Pkts[flow.Orig])
	}
	if b.Attempts == 0 {
		b.Attempts = 1
	}
	if reason == Unreachable {
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

func (a *Analyzer) protocolName(f *flow.Flow) string {
	id, _ := a.rec.proto(f)
	return id.String()
}

// Learned lists the endpoints the endpoint mapper handed out.
func (a *Analyzer) Learned() []Learned { return a.rec.learned }

func (a *Analyzer) flowEntry(f *flow.Flow, j *Judgement, inputs []*capture.InputStats) report.Flow {
	m := a.m
	ia, ip := f.Initiator()
	ra, rp := f.Responder()
	e := report.Flow{Transport: TransportName(f.Key.Proto), Initiator: HostPort(ia, ip), Responder: HostPort(ra, rp),
		Guessed: f.Guessed, Direction: j.Dir.String(), State: f.StateWords(), ConnState: f.ConnState(),
		Protocol: a.protocolName(f), Verdict: j.Verdict.String(), Reason: j.Reason,
		Packets:   report.Counts{Initiator: uint64(f.Pkts[0]), Responder: uint64(f.Pkts[1])},
		Bytes:     report.Counts{Initiator: f.Bytes[0], Responder: f.Bytes[1]},
		Fragments: f.Frags, First: capture.FormatTime(f.First), Last: capture.FormatTime(f.Last),
		End: f.Ended.String(), Notes: j.Notes}
	if f.Key.Proto == TCP {
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
	if int(f.Input) < len(inputs) {
		e.Input = inputs[f.Input].Name
	}
	return e
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
