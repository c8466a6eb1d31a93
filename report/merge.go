package report

import (
	"fmt"
	"sort"
	"time"

	"github.com/flowverify/flowverify/classifier/matrix"
)

// Merge combines reports of several sensors, files or days judged against
// the same matrix: flows, peers and evidence add up and every status is
// recomputed from the sums.
func Merge(reports []*Report, allowMatrixChange bool) (*Report, error) {
	if len(reports) == 0 {
		return nil, fmt.Errorf("nothing to merge")
	}
	first := reports[0]
	for _, r := range reports[1:] {
		if !SameMatrix(first, r) && !allowMatrixChange {
			return nil, fmt.Errorf("reports judged against different matrices (%s/%s and %s/%s)", first.Matrix.Profile, first.Matrix.Name, r.Matrix.Profile, r.Matrix.Name)
		}
	}
	mg := newMerger(first)
	for _, r := range reports {
		mg.add(r)
	}
	return mg.finish(reports), nil
}

// merger adds reports up, rule by rule and group by group, in the order
// they first appear.
type merger struct {
	out        *Report
	servers    map[string]bool
	start, end string
	rules      map[string]*Rule
	ruleOrder  []string
	peers      map[string]map[string]*Peer
	missing    map[string]map[string]bool
	evidence   map[string]map[string]bool
	unexp      map[string]*Unexpected
	unexpOrder []string
}

func newMerger(first *Report) *merger {
	return &merger{out: &Report{Schema: Schema, Tool: first.Tool, Matrix: first.Matrix, Server: Server{Source: "merged"}},
		servers: map[string]bool{}, rules: map[string]*Rule{}, peers: map[string]map[string]*Peer{},
		missing: map[string]map[string]bool{}, evidence: map[string]map[string]bool{}, unexp: map[string]*Unexpected{}}
}

// add folds one report in.
func (mg *merger) add(r *Report) {
	out := mg.out
	out.Inputs = append(out.Inputs, r.Inputs...)
	for _, a := range r.Server.Addresses {
		if !mg.servers[a] {
			mg.servers[a] = true
			out.Server.Addresses = append(out.Server.Addresses, a)
		}
	}
	out.Server.Evidence = append(out.Server.Evidence, r.Server.Evidence...)
	if out.Server.Host == "" {
		out.Server.Host = r.Server.Host
	}
	for _, h := range r.Hosts {
		if mg.out.hostAddrs(h.Name) == nil {
			out.Hosts = append(out.Hosts, h)
		}
	}
	if r.Window.Start != "" && (mg.start == "" || r.Window.Start < mg.start) {
		mg.start = r.Window.Start
	}
	if r.Window.End > mg.end {
		mg.end = r.Window.End
	}
	for _, rr := range r.Rules {
		mg.addRule(rr)
	}
	for _, u := range r.Unexpected {
		mg.addUnexpected(u)
	}
	out.Blocked = append(out.Blocked, r.Blocked...)
	if r.Flows.Len() > 0 {
		if out.Flows == nil {
			out.Flows = NewFlowList()
		}
		r.Flows.Each(func(f *Flow) error { out.Flows.Add(*f, FlowStart(f)); return nil })
	}
	out.Warnings = append(out.Warnings, r.Warnings...)
	s, sum := r.Summary, &out.Summary
	sum.Packets = addU64(sum.Packets, s.Packets)
	sum.Flows = addInt(sum.Flows, s.Flows)
	sum.Allowed = addInt(sum.Allowed, s.Allowed)
	sum.Ignored = addInt(sum.Ignored, s.Ignored)
	sum.Transit = addInt(sum.Transit, s.Transit)
	sum.Local = addInt(sum.Local, s.Local)
	sum.Evicted = addU64(sum.Evicted, s.Evicted)
	sum.Dropped = addU64(sum.Dropped, s.Dropped)
	sum.Fragments = addU64(sum.Fragments, s.Fragments)
	sum.NonIP = addU64(sum.NonIP, s.NonIP)
	sum.Infrastructure = addU64(sum.Infrastructure, s.Infrastructure)
	sum.Guessed = addInt(sum.Guessed, s.Guessed)
	sum.Damaged = sum.Damaged || s.Damaged
}

func (mg *merger) addRule(rr Rule) {
	g := mg.rules[rr.ID]
	if g == nil {
		c := rr
		c.Flows, c.Allowed, c.BlockedN, c.Mismatch, c.Packets, c.Bytes = 0, 0, 0, 0, 0, 0
		c.Protocols, c.Peers, c.Missing, c.Evidence, c.Reason, c.Failures = map[string]int{}, nil, nil, nil, "", nil
		g = &c
		mg.rules[rr.ID] = g
		mg.ruleOrder = append(mg.ruleOrder, rr.ID)
		mg.peers[rr.ID], mg.missing[rr.ID], mg.evidence[rr.ID] = map[string]*Peer{}, map[string]bool{}, map[string]bool{}
	}
	g.Flows = addInt(g.Flows, rr.Flows)
	g.Allowed = addInt(g.Allowed, rr.Allowed)
	g.BlockedN = addInt(g.BlockedN, rr.BlockedN)
	g.Mismatch = addInt(g.Mismatch, rr.Mismatch)
	g.Packets = addU64(g.Packets, rr.Packets)
	g.Bytes = addU64(g.Bytes, rr.Bytes)
	for p, n := range rr.Protocols {
		g.Protocols[p] = addInt(g.Protocols[p], n)
	}
	for _, p := range rr.Peers {
		q := mg.peers[rr.ID][p.Key()]
		if q == nil {
			q = &Peer{Host: p.Host, Address: p.Address, Addresses: p.Addresses}
			mg.peers[rr.ID][p.Key()] = q
		}
		q.Flows = addInt(q.Flows, p.Flows)
		q.Allowed = addInt(q.Allowed, p.Allowed)
		q.Blocked = addInt(q.Blocked, p.Blocked)
	}
	for _, m := range rr.Missing {
		mg.missing[rr.ID][m] = true
	}
	if rr.Failures != nil {
		if g.Failures == nil {
			g.Failures = &matrix.Failures{}
		}
		g.Failures.Add(rr.Failures)
	}
	for _, e := range rr.Evidence {
		mg.evidence[rr.ID][e] = true
	}
}

func (mg *merger) addUnexpected(u Unexpected) {
	k := unexpectedKey(u)
	g := mg.unexp[k]
	if g == nil {
		c := u
		c.Flows, c.Failed, c.Packets, c.Bytes = 0, 0, 0, 0
		g = &c
		mg.unexp[k] = g
		mg.unexpOrder = append(mg.unexpOrder, k)
	}
	g.Flows = addInt(g.Flows, u.Flows)
	g.Failed = addInt(g.Failed, u.Failed)
	g.Packets = addU64(g.Packets, u.Packets)
	g.Bytes = addU64(g.Bytes, u.Bytes)
	if u.First < g.First {
		g.First = u.First
	}
	if u.Last > g.Last {
		g.Last = u.Last
	}
	if g.Protocol == "unknown" {
		g.Protocol = u.Protocol
	}
}

// finish decides every rule's status over the sums and writes the summary.
func (mg *merger) finish(reports []*Report) *Report {
	out := mg.out
	out.Window = Window{Start: mg.start, End: mg.end}
	findings := map[string]int{}
	for _, k := range matrix.FindingNames() {
		findings[k] = 0
	}
	for _, id := range mg.ruleOrder {
		g := mg.finishRule(id)
		if g.Status.Failing() {
			findings[string(g.Status)]++
		}
		out.Rules = append(out.Rules, *g)
	}
	for _, k := range mg.unexpOrder {
		out.Unexpected = append(out.Unexpected, *mg.unexp[k])
	}
	sort.SliceStable(out.Unexpected, func(i, j int) bool { return out.Unexpected[i].Flows > out.Unexpected[j].Flows })
	findings["unexpected"] = len(out.Unexpected)
	if out.Unexpected == nil {
		out.Unexpected = []Unexpected{}
	}
	if out.Blocked == nil {
		out.Blocked = []Blocked{}
	}
	out.Summary.Findings = findings
	out.Summary.Verdict = matrix.Decide(out.Facts())
	out.Timeline = mergeTimelines(reports, mg.start, mg.end)
	return out
}

// finishRule sorts a merged rule's peers, missing peers and evidence and
// decides its status.
func (mg *merger) finishRule(id string) *Rule {
	g := mg.rules[id]
	var addrs []string
	for a := range mg.peers[id] {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	unreached := 0
	g.Peers = []Peer{}
	for _, a := range addrs {
		p := mg.peers[id][a]
		p.Status = matrix.PeerStatus(p.Allowed)
		if p.Allowed == 0 {
			unreached++
		}
		g.Peers = append(g.Peers, *p)
	}
	for m := range mg.missing[id] {
		if mg.peers[id][m] == nil {
			g.Missing = append(g.Missing, m)
		}
	}
	sort.Strings(g.Missing)
	for e := range mg.evidence[id] {
		g.Evidence = append(g.Evidence, e)
	}
	sort.Strings(g.Evidence)
	t := matrix.Tally{Required: g.Required, Allowed: g.Allowed, Blocked: g.BlockedN, Mismatch: g.Mismatch, Unreached: unreached, MissingPeers: len(g.Missing), Failures: g.Failures}
	g.Status = matrix.RuleStatus(t)
	g.Reason = matrix.StatusReason(g.Status, t, len(addrs)-unreached, g.Flows, nil, nil, "in any report")
	return g
}

// mergeTimelines re-buckets every report's timeline over the merged span,
// placing each slice by its midpoint.
func mergeTimelines(reports []*Report, start, end string) *Timeline {
	t0, err1 := time.Parse(time.RFC3339Nano, start)
	t1, err2 := time.Parse(time.RFC3339Nano, end)
	if err1 != nil || err2 != nil {
		return nil
	}
	const n = 48
	out := &Timeline{Buckets: n, Start: start, End: end, Rules: map[string][]int{}, Unexpected: make([]int, n)}
	span := t1.Sub(t0)
	place := func(dst []int, src []int, s, e time.Time) {
		for i, c := range src {
			if c == 0 {
				continue
			}
			mid := s.Add(time.Duration((float64(i) + 0.5) / float64(len(src)) * float64(e.Sub(s))))
			b := 0
			if span > 0 {
				b = min(int(float64(mid.Sub(t0))/float64(span)*n), n-1)
			}
			dst[max(b, 0)] += c
		}
	}
	for _, r := range reports {
		tl := r.Timeline
		if tl == nil {
			continue
		}
		s, err1 := time.Parse(time.RFC3339Nano, tl.Start)
		e, err2 := time.Parse(time.RFC3339Nano, tl.End)
		if err1 != nil || err2 != nil {
			continue
		}
		for id, counts := range tl.Rules {
			if out.Rules[id] == nil {
				out.Rules[id] = make([]int, n)
			}
			place(out.Rules[id], counts, s, e)
		}
		place(out.Unexpected, tl.Unexpected, s, e)
	}
	return out
}
