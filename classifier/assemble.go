package classifier

import (
	"cmp"
	"errors"
	"fmt"
	"github.com/flowverify/flowverify/internal/words"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/classifier/protocol"
	"github.com/flowverify/flowverify/report"
)

// timelineBuckets is how many slices the report's timeline has.
const timelineBuckets = 48

// report judges every flow and builds the report.
func (a *analyzer) report(meta meta) (*report.Report, error) {
	m := a.m
	if meta.withFlows && !a.withFlows {
		a.withFlows = true
	}
	if err := a.decideServer(meta); err != nil {
		return nil, err
	}
	g := a.agg
	if len(a.records) > 0 {
		a.flushRecords()
	}
	r := &report.Report{Schema: report.Schema, Tool: report.Tool{Name: "flowverify", Version: meta.toolVersion}}
	r.Matrix = report.MatrixInfo{Name: m.Name, Profile: m.Profile, Description: m.Description, Config: m.ConfigFile, Site: siteInfo(m.Site)}
	r.Server = a.server
	r.Hosts = hostsReport(m)
	r.Summary = g.sum
	r.Timeline = g.timeline(m)
	r.Aggregates = &report.Aggregates{FoldLimit: maxGroups}
	a.ruleReports(r, g, meta)
	sf := g.scanFold()
	findings := matrix.CountFindings(r.RuleStatuses(), g.unexpectedReport(r, m, sf), g.scanReport(r, sf))
	g.blockedReport(r)
	if g.listFlows {
		g.flowReport(r)
	}
	a.inputsReport(r, g, meta)
	r.Notes = a.notes(g)
	drops := a.caveats(r, meta)
	sum, tc := &r.Summary, meta.table
	sum.Findings = findings
	sum.Packets = tc.Packets
	sum.Flows = g.n
	sum.Evicted = tc.Evicted
	sum.MaxActive = tc.MaxActive
	sum.Dropped = drops
	sum.Fragments = tc.Fragments
	sum.NonIP = tc.NonIP
	if a.unjudged > 0 {
		sum.Flows += a.unjudged
		sum.NotJudged += a.unjudged
		r.Notices = append(r.Notices, report.Notice{Kind: report.NoticeUnjudged, Flows: a.unjudged, Held: decideAfter})
	}
	sum.Infrastructure = tc.Infrastructure
	sum.Verdict = matrix.Decide(r.Facts())
	return r, nil
}

// siteInfo is what the report keeps of the site model, for renderers of
// a report read back; nil when the matrix says nothing of it.
func siteInfo(s matrix.Site) *report.Site {
	if s.Product == "" && len(s.Groups) == 0 {
		return nil
	}
	out := &report.Site{Product: s.Product}
	for _, g := range s.Groups {
		side := report.SideRight
		if g.Left {
			side = report.SideLeft
		}
		out.Groups = append(out.Groups, report.SiteGroup{Name: g.Name, Side: side, Roles: append([]string{}, g.Roles...)})
	}
	return out
}

// noServerReason says why no server was found: nothing read at all, or
// what inference missed.
func noServerReason(err error, meta meta) string {
	var packets uint64
	for _, in := range meta.inputs {
		packets += in.Packets
	}
	if packets == 0 {
		return "0 packets read: nothing to infer the server from"
	}
	if ns, ok := errors.AsType[*NoServerError](err); ok {
		return ns.reason()
	}
	return err.Error()
}

// decideServer settles the server's addresses: given by the caller, known
// already, named by the matrix, or inferred from the flows seen.
func (a *analyzer) decideServer(meta meta) error {
	switch {
	case len(meta.servers) > 0:
		a.setServers(meta.servers, meta.serverSource, nil)
	case a.agg != nil:
	case !a.m.ServerAuto:
		a.setServers(a.m.Server, a.m.ServerFrom, nil)
	default:
		addrs, ev, err := a.infer.decide(a.macs())
		if err != nil {
			// Nothing can be judged, but everything read is still
			// reported: inputs, damage, flows, and the candidates.
			a.setServers(nil, matrix.ServerNone, []string{noServerReason(err, meta)})
			a.server.Err = err
			a.server.Candidates = a.infer.candidates(5)
			return nil
		}
		a.setServers(addrs, matrix.ServerInferred, ev)
	}
	return nil
}

// timeline buckets every rule's flows and the unexpected ones over the
// span they cover together.
func (g *aggregator) timeline(m *matrix.Matrix) *report.Timeline {
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
	return tl
}

// ruleReports adds every rule with its status and returns the findings
// counted so far. Within a monitor's first window a rule with no attempt
// is not missing yet.
func (a *analyzer) ruleReports(r *report.Report, g *aggregator, meta meta) {
	judged := a.server.Source != matrix.ServerNone
	if !judged {
		r.Notices = append(r.Notices, report.Notice{Kind: report.NoticeNoServer})
	}
	scope := matrix.RuleFacts{Judged: judged, Complete: meta.window <= 0 || meta.observed >= meta.window,
		Observed: meta.observed, Window: meta.window}
	for i := range a.m.Rules {
		r.Rules = append(r.Rules, a.ruleReport(&a.m.Rules[i], &g.rules[i], scope))
	}
}

// unexpectedReport lists the unexpected groups, most flows first, and
// returns how many there are; a scanner's groups fold into its scan (sf).
func (g *aggregator) unexpectedReport(r *report.Report, m *matrix.Matrix, sf *scanFold) int {
	// The sort keys sit beside the pointer: a scan's groups are scattered
	// over the heap, and comparisons that followed the pointers would miss
	// the cache at every step.
	type group struct {
		flows int
		first int64
		k     unexpKey
		a     *groupAgg
	}
	groups := make([]group, 0, g.unexp.n)
	g.unexp.each(func(u *groupAgg) {
		if !sf.take(u) {
			groups = append(groups, group{u.flows, u.first, u.key, u})
		}
	})
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
		ru := report.Unexpected{Transport: matrix.TransportName(k.proto), Direction: k.dir, Port: int(k.port),
			Peer: peer, Host: hostNamed(m, k.peer.Netip()), Protocol: protocol.ID(u.proto).String(), Flows: u.flows, Failed: u.failed, Packets: u.packets, Bytes: u.bytes,
			First: capture.FormatTime(u.first), Last: capture.FormatTime(u.last), Hint: m.Hint(k.proto, k.port, k.dir)}
		if k.proto == capture.ProtoICMP || k.proto == capture.ProtoICMPv6 {
			// The key's port holds the message's type and code.
			ru.Port, ru.ICMPType, ru.ICMPCode = 0, intPtr(int(k.port&0xff)), intPtr(int(k.port>>8))
		}
		r.Unexpected = append(r.Unexpected, ru)
		r.Aggregates.Unexpected = append(r.Aggregates.Unexpected, u.typed(m))
	}
	for _, u := range g.others {
		if !slices.ContainsFunc(groups[:min(len(groups), maxListed)], func(gr group) bool { return gr.a == u }) {
			r.Aggregates.Unexpected = append(r.Aggregates.Unexpected, u.typed(m))
		}
	}
	if g.overflowed > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("more than %d unexpected groups: %d flows of further peers and ports are counted under peer \"(others)\", port 0", maxGroups, g.overflowed))
	}
	if r.Unexpected == nil {
		r.Unexpected = []report.Unexpected{}
	}
	return len(groups)
}

// typed is the group as report.Aggregates carries it.
func (u *groupAgg) typed(m *matrix.Matrix) report.UnexpectedAgg {
	k := u.key
	t := report.UnexpectedAgg{Transport: k.proto, Dir: k.dir, Port: k.port, Flows: u.flows, Protocol: protocol.ID(u.proto),
		Hint: m.Hint(k.proto, k.port, k.dir)}
	if k.peer == othersPeer() {
		t.Folded, t.Port = true, 0
	} else {
		t.Peer = k.peer.Netip()
	}
	if k.proto == capture.ProtoICMP || k.proto == capture.ProtoICMPv6 {
		t.ICMP, t.Port, t.ICMPType, t.ICMPCode = true, 0, uint8(k.port), uint8(k.port>>8)
	}
	return t
}

// blockedReport lists the failed attempts, earliest first, and their
// typed rows in the same order.
func (g *aggregator) blockedReport(r *report.Report) {
	order := make([]int, len(g.blocked))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return g.blocked[order[i]].First < g.blocked[order[j]].First })
	rows, typed := make([]report.Blocked, len(order)), make([]report.BlockedAgg, len(order))
	for i, k := range order {
		rows[i], typed[i] = g.blocked[k], g.blockedAgg[k]
	}
	g.blocked, g.blockedAgg = rows, typed
	r.Blocked, r.Aggregates.Blocked = g.blocked, typed
	if g.blockedTotal > len(g.blocked) {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d more blocked attempts not listed", g.blockedTotal-len(g.blocked)))
	}
	if r.Blocked == nil {
		r.Blocked = []report.Blocked{}
	}
}

// flowReport lists every flow (--flows); the list gives them in time
// order, from disk when there are many.
func (g *aggregator) flowReport(r *report.Report) {
	if g.flows.Len() > 0 {
		r.Flows = g.flows
	}
}

// inputsReport lists the inputs with their damage and sets the window:
// the inputs' span, or the flows' for live inputs, cut to the monitor's
// window.
func (a *analyzer) inputsReport(r *report.Report, g *aggregator, meta meta) {
	var first, last int64
	for _, in := range meta.inputs {
		in.Finish()
		ri := report.Input{Name: in.Name, Format: string(in.Format), Compressed: in.Compressed, Compression: in.Compression, Packets: in.Packets,
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
			ri.Damage = in.Damage
			r.Summary.Damaged = true
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
	if meta.window > 0 && last > 0 {
		first = max(first, last-int64(meta.window))
	}
	r.Window = report.Window{Start: capture.FormatTime(first), End: capture.FormatTime(last)}
	if meta.window > 0 {
		r.Window.Length, r.Window.Observed = meta.window.Seconds(), min(meta.observed, meta.window).Seconds()
	}
}

// caveats adds the warnings that make the answer less certain and returns
// the packets the capture dropped.
func (a *analyzer) caveats(r *report.Report, meta meta) uint64 {
	tc := meta.table
	if tc.Evicted > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d flows were evicted by the flow-table cap (%d): verdicts may be incomplete", tc.Evicted, a.m.Limits.MaxFlows))
	}
	if meta.windowShed > 0 {
		w := fmt.Sprintf("%s left the window early to keep it within the flow cap (%d): unexpected counts cover only the flows kept", words.Count(meta.windowShed, "finished flow"), a.m.Limits.MaxFlows)
		if meta.windowShedRule > 0 {
			w += fmt.Sprintf("; %d of them were on rule ports, so rule verdicts may be incomplete", meta.windowShedRule)
		}
		r.Warnings = append(r.Warnings, w)
	}
	if tc.Fragments > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d IP fragments seen (counted to their flows, not reassembled; %d without a first fragment)", tc.Fragments, tc.OrphanFrags))
	}
	var tunnels []string
	for k := uint8(1); k < capture.EncapKinds; k++ {
		if n := tc.Encap[k]; n > 0 {
			if r.Summary.Undecoded == nil {
				r.Summary.Undecoded = map[string]uint64{}
			}
			r.Summary.Undecoded[capture.EncapName(k)] = n
			tunnels = append(tunnels, fmt.Sprintf("%d %s", n, capture.EncapName(k)))
		}
	}
	if len(tunnels) > 0 {
		r.Warnings = append(r.Warnings, "frames in encapsulations flowverify does not open, so nothing inside them is judged: "+strings.Join(tunnels, ", "))
	}
	if tc.SplitHeaders > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s: TCP header split across fragments (ports read, flags unseen; judged by whether the peer answered)", words.Count(tc.SplitHeaders, "first fragment")))
	}
	if n := r.Summary.Unconfirmed; n > 0 {
		r.Warnings = append(r.Warnings, words.Count(n, "attempt")+" on rule ports with neither an answer from the peer nor a failure in the flow: unconfirmed, not a pass")
	}
	if r.Summary.Guessed > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d flows were seen mid-stream: their initiator was guessed from the ports", r.Summary.Guessed))
	}
	drops := meta.drops
	if drops == 0 {
		for _, in := range meta.inputs {
			drops += in.Drops
		}
	}
	if drops > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d packets dropped by the capture", drops))
	}
	return drops
}

func (a *analyzer) ruleReport(rule *matrix.Rule, g *ruleAgg, scope matrix.RuleFacts) report.Rule {
	rr := report.Rule{ID: rule.ID, Description: rule.Description, Direction: rule.Direction,
		Transport: matrix.TransportName(rule.Transport), Ports: rule.Ports.String(), Role: strings.Join(rule.Roles, ","),
		Required: rule.Required, Flows: g.flows, Allowed: g.allowed, BlockedN: g.blocked, Mismatch: g.mismatch,
		Packets: g.packets, Bytes: g.bytes, Protocols: g.protocols, Local: rule.Local, Unconfirmed: g.unconfirmed}
	rr.Peers = a.rulePeers(g)
	rr.Missing = a.missingPeers(rule, rr.Peers)
	// After Missing, which a role's addresses are looked up in one by one.
	rr.Peers = a.pairPeers(rr.Peers)
	t := matrix.Tally{Required: rule.Required, Allowed: g.allowed, Blocked: g.blocked, Mismatch: g.mismatch, Unconfirmed: g.unconfirmed,
		MissingPeers: len(rr.Missing)}
	for _, p := range rr.Peers {
		t.CountPeer(p.Status)
	}
	if g.fail.Total() > 0 {
		fail := g.fail
		rr.Failures, t.Failures = &fail, &fail
		if g.allowed > 0 {
			rr.Evidence = append(rr.Evidence, "some attempts failed: "+fail.Text())
		}
	}
	f := scope
	f.Tally, f.Flows, f.Seen, f.Expects = t, g.flows, otherProtocols(rule, g), rule.Protocols
	rr.Status, rr.Reason = matrix.JudgeRule(f)
	if rr.PortOnly() {
		rr.Evidence = append(rr.Evidence, report.EvidencePortOnly)
	}
	rr.Evidence = append(rr.Evidence, ruleEvidence(rule, g, t)...)
	return rr
}

// missingPeers are the hosts and addresses a rule's roles list one by one
// that no flow tried: peers the rule must reach. A host is reached when
// any of its addresses is.
func (a *analyzer) missingPeers(rule *matrix.Rule, peers []report.Peer) []string {
	var missing []string
	reached := map[string]bool{}
	for _, p := range peers {
		reached[p.Key()] = true
	}
	for _, name := range rule.Roles {
		for _, p := range a.m.Roles[name].Peers {
			if !reached[p.Key()] {
				reached[p.Key()] = true
				missing = append(missing, p.Key())
			}
		}
	}
	return missing
}

// otherProtocols lists the protocols heard on a rule that it does not
// accept, with their flows: a proxy or a wrong service answering a
// documented port is a finding (mismatch) even when other flows of the
// rule work.
func otherProtocols(rule *matrix.Rule, g *ruleAgg) []string {
	if g.mismatch == 0 {
		return nil
	}
	var seen []string
	for p, n := range g.protocols {
		if id := protocolID(p); id != protocol.Unknown && !rule.Accepts(id) {
			seen = append(seen, fmt.Sprintf("%s (%d)", p, n))
		}
	}
	sort.Strings(seen)
	return seen
}

// ruleEvidence says what else the flows of a rule showed: how they were
// matched, and what leaves the status less certain.
func ruleEvidence(rule *matrix.Rule, g *ruleAgg, t matrix.Tally) []string {
	var ev []string
	if g.learnedN > 0 {
		ev = append(ev, words.Count(g.learnedN, "flow")+" attributed through learned endpoints")
		ev = append(ev, g.learned...)
	}
	if g.outsideN > 0 {
		ports := make([]string, len(g.outside))
		for i, p := range g.outside {
			ports[i] = fmt.Sprint(p)
		}
		ev = append(ev, fmt.Sprintf("%s to ports the endpoint mapper named outside the documented range %s (%s): the site fixes or narrows its RPC ports; strict_range: true would not accept them",
			words.Count(g.outsideN, "flow"), rule.Ports, strings.Join(ports, ", ")))
	}
	if g.byRange > 0 {
		ev = append(ev, fmt.Sprintf("%s matched by range %s to a peer that answered DCE/RPC on the endpoint mapper (tcp/135)", words.Count(g.byRange, "flow"), rule.Ports))
	}
	// Said unless the status already says it: the traffic's status, not
	// the report's (a rule not judged or not yet missing keeps the line).
	if g.unconfirmed > 0 && matrix.RuleStatus(t) != matrix.StatusUnconfirmed {
		ev = append(ev, words.Count(g.unconfirmed, "attempt")+" with neither an answer from the peer nor a failure in the flow")
	}
	if g.midstream > 0 {
		ev = append(ev, words.Count(g.midstream, "flow")+" seen mid-stream (initiator guessed)")
	}
	return ev
}

// rulePeers folds a rule's peer addresses into peers: the addresses of one
// named host are one peer, the others one each, in address order.
func (a *analyzer) rulePeers(g *ruleAgg) []report.Peer {
	addrs := make([]netip.Addr, 0, len(g.peers))
	for p := range g.peers {
		addrs = append(addrs, p)
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	out := []report.Peer{}
	at := map[string]int{}
	for _, addr := range addrs {
		pa := g.peers[addr]
		mp := a.m.PeerOf(addr)
		i, ok := at[mp.Key()]
		if !ok {
			i = len(out)
			at[mp.Key()] = i
			p := report.Peer{Host: mp.Host}
			if mp.Host == "" {
				p.Address = addr.String()
			} else {
				p.Addresses = addrStrings(mp.Addrs)
			}
			out = append(out, p)
		}
		p := &out[i]
		p.Flows += pa.flows
		p.Allowed += pa.allowed
		p.Blocked += pa.blocked
		p.Unconfirmed += pa.unconfirmed
		p.Status = matrix.PeerStatus(p.Allowed, p.Blocked, p.Unconfirmed)
	}
	// Named hosts first, by name; then addresses, in address order.
	slices.SortStableFunc(out, func(x, y report.Peer) int {
		switch {
		case x.Host == "" || y.Host == "":
			return strings.Compare(y.Host, x.Host) // the named one first; two unnamed keep address order
		}
		return strings.Compare(x.Host, y.Host)
	})
	return out
}

func addrStrings(as []netip.Addr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

// hostsReport lists the site's named hosts.
func hostsReport(m *matrix.Matrix) []report.Host {
	var out []report.Host
	for _, name := range m.HostOrder {
		out = append(out, report.Host{Name: name, Addresses: addrStrings(m.Hosts[name].Addrs)})
	}
	return out
}

// notes are what concerns the capture rather than one rule, said once:
// the server's source ports, and rules that match the same flows.
func (a *analyzer) notes(g *aggregator) []string {
	var out []string
	if n := g.src.note(); n != "" {
		out = append(out, n)
	}
	rules := a.m.Rules
	for i := range rules {
		if g.rules[i].ambiguous == 0 {
			continue
		}
		var with, roles []string
		for j := range rules[:min(len(rules), 64)] {
			if j != i && g.rules[i].tied&(1<<j) != 0 {
				with = append(with, rules[j].ID)
				roles = append(roles, rules[j].Roles...)
			}
		}
		if len(with) == 0 {
			continue
		}
		roles = append(roles, rules[i].Roles...)
		slices.Sort(roles)
		note := fmt.Sprintf("%s and %s match the same %s %s flows: %s went to %s, first in the matrix",
			rules[i].ID, strings.Join(with, ", "), matrix.TransportName(rules[i].Transport), rules[i].Ports,
			words.Count(g.rules[i].ambiguous, "flow"), rules[i].ID)
		if roles = slices.Compact(roles); len(roles) > 0 {
			note += "; list the peers in " + strings.Join(roles, " and ") + " to tell them apart"
		}
		out = append(out, note)
	}
	return out
}
