package report

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowverify/flowverify/internal/words"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/classifier/protocol"
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
	judged := false
	for _, r := range reports {
		judged = judged || !r.NoServer()
	}
	mg := newMerger(first, judged)
	for _, r := range reports {
		mg.add(r)
	}
	return mg.finish(reports), nil
}

// merger adds reports up, rule by rule and group by group, in the order
// they first appear.
type merger struct {
	out *Report
	// judged: some report had a server. Then only such reports are
	// judged; with none the merge judges nothing either (not-judged),
	// rather than calling every required rule missing.
	judged bool
	// complete: some judged report covered all of its span (an analysis,
	// or a monitor past one full window), so a required rule no report
	// saw tried is missing. window is the least observed monitor window,
	// carried so that a merge of monitors still observing says so.
	complete   bool
	window     *Window
	servers    map[string]bool
	candidates map[string]*Candidate
	candOrder  []string
	start, end string
	rules      map[string]*Rule
	ruleOrder  []string
	peers      map[string][]*mergedPeer
	missing    map[string]map[string]peerID
	evidence   map[string]map[string]bool
	unexp      map[string]*Unexpected
	unexpOrder []string
	scans      map[string]*scanMerge
	scanOrder  []string
	warned     map[string]bool
}

// mergedPeer is one peer of a rule over every report: the reports may
// write it under a host name or as a bare address.
type mergedPeer struct {
	id                                   peerID
	flows, allowed, blocked, unconfirmed int
}

func newMerger(first *Report, judged bool) *merger {
	source := matrix.ServerMerged
	if !judged {
		source = matrix.ServerNone
	}
	return &merger{out: &Report{Schema: Schema, Tool: first.Tool, Matrix: first.Matrix, Server: Server{Source: source}},
		judged: judged, servers: map[string]bool{}, candidates: map[string]*Candidate{},
		rules: map[string]*Rule{}, peers: map[string][]*mergedPeer{},
		missing: map[string]map[string]peerID{}, evidence: map[string]map[string]bool{}, unexp: map[string]*Unexpected{},
		scans: map[string]*scanMerge{}, warned: map[string]bool{}}
}

// warn adds a warning once.
func (mg *merger) warn(w string) {
	if !mg.warned[w] {
		mg.warned[w] = true
		mg.out.Warnings = append(mg.out.Warnings, w)
	}
}

// inputNames names a report by its inputs: the merger is given reports,
// not their files.
func inputNames(r *Report) string {
	var names []string
	for _, in := range r.Inputs {
		names = append(names, in.Name)
	}
	if len(names) == 0 {
		return "a report with no inputs"
	}
	return strings.Join(names, ", ")
}

// add folds one report in.
func (mg *merger) add(r *Report) {
	out := mg.out
	out.Inputs = append(out.Inputs, r.Inputs...)
	// A report that judged nothing, merged with ones that did, adds what
	// it read to the counts and nothing to the rules: its flows stay
	// not judged, and a warning says so.
	judge := !r.NoServer() || !mg.judged
	if r.NoServer() {
		if mg.judged {
			w := fmt.Sprintf("%s: no server was known, nothing was judged: its %s counted in not_judged, not against the matrix", inputNames(r), flowsAre(r.Summary.NotJudged))
			if n := len(r.Scans); n > 0 {
				verb := " are"
				if n == 1 {
					verb = " is"
				}
				w += "; its " + words.Count(n, "scan") + verb + " kept, as a scan is told without a server"
			}
			mg.warn(w)
		}
		mg.addCandidates(r.Server.Candidates)
	}
	if judge {
		mg.addServer(r)
	}
	mg.addHosts(r)
	if r.Window.Start != "" && (mg.start == "" || r.Window.Start < mg.start) {
		mg.start = r.Window.Start
	}
	if r.Window.End > mg.end {
		mg.end = r.Window.End
	}
	if judge {
		mg.addWindow(r.Window)
		for _, rr := range r.Rules {
			mg.addRule(r, rr)
		}
		for _, u := range r.Unexpected {
			mg.addUnexpected(u)
		}
		out.Blocked = append(out.Blocked, r.Blocked...)
	}
	for _, s := range r.Scans {
		mg.addScan(s)
	}
	if r.Flows.Len() > 0 {
		if out.Flows == nil {
			out.Flows = NewFlowList()
		}
		r.Flows.Each(func(f *Flow) error {
			start, _ := f.SortKey() // checked when the report was read
			out.Flows.Add(*f, start)
			return nil
		})
	}
	out.Warnings = append(out.Warnings, r.Warnings...)
	mg.addSummary(r.Summary)
}

// addSummary adds a report's summary counts to the merged ones.
func (mg *merger) addSummary(s Summary) {
	sum := &mg.out.Summary
	sum.Packets = addU64(sum.Packets, s.Packets)
	sum.Flows = addInt(sum.Flows, s.Flows)
	sum.Allowed = addInt(sum.Allowed, s.Allowed)
	sum.Unconfirmed = addInt(sum.Unconfirmed, s.Unconfirmed)
	sum.Ignored = addInt(sum.Ignored, s.Ignored)
	sum.Transit = addInt(sum.Transit, s.Transit)
	sum.Local = addInt(sum.Local, s.Local)
	sum.Evicted = addU64(sum.Evicted, s.Evicted)
	sum.Dropped = addU64(sum.Dropped, s.Dropped)
	sum.Fragments = addU64(sum.Fragments, s.Fragments)
	sum.NonIP = addU64(sum.NonIP, s.NonIP)
	sum.Infrastructure = addU64(sum.Infrastructure, s.Infrastructure)
	sum.Guessed = addInt(sum.Guessed, s.Guessed)
	sum.NotJudged = addInt(sum.NotJudged, s.NotJudged)
	// The most flows active at once in any one report: the reports'
	// flows were never in one table together.
	sum.MaxActive = max(sum.MaxActive, s.MaxActive)
	for k, n := range s.Undecoded {
		if sum.Undecoded == nil {
			sum.Undecoded = map[string]uint64{}
		}
		sum.Undecoded[k] = addU64(sum.Undecoded[k], n)
	}
	sum.Damaged = sum.Damaged || s.Damaged
}

func (mg *merger) addServer(r *Report) {
	out := mg.out
	for _, a := range r.Server.Addresses {
		if !mg.servers[a] {
			mg.servers[a] = true
			out.Server.Addresses = append(out.Server.Addresses, a)
		}
	}
	for _, e := range r.Server.Evidence {
		if !slices.Contains(out.Server.Evidence, e) {
			out.Server.Evidence = append(out.Server.Evidence, e)
		}
	}
	if out.Server.Host == "" {
		out.Server.Host = r.Server.Host
	}
}

// addCandidates keeps, for reports without a server, each candidate
// address once with its strongest score and all its evidence: the
// merged not-judged report still says where to look.
func (mg *merger) addCandidates(cs []Candidate) {
	for _, c := range cs {
		g := mg.candidates[c.Address]
		if g == nil {
			g = &Candidate{Address: c.Address}
			mg.candidates[c.Address] = g
			mg.candOrder = append(mg.candOrder, c.Address)
		}
		g.Score = max(g.Score, c.Score)
		for _, e := range c.Evidence {
			if !slices.Contains(g.Evidence, e) {
				g.Evidence = append(g.Evidence, e)
			}
		}
	}
}

// addHosts keeps every named host once. Two reports that give one
// address different names are the same machine renamed: its peers are
// merged under the name given first, and a warning says so.
func (mg *merger) addHosts(r *Report) {
	out := mg.out
	for _, h := range r.Hosts {
		id := newPeerID(h.Name, h.Addresses)
		for _, e := range out.Hosts {
			if e.Name != h.Name && newPeerID(e.Name, e.Addresses).same(id) {
				mg.warn(fmt.Sprintf("hosts %s and %s share an address in different reports: their peers are merged under %s", e.Name, h.Name, e.Name))
			}
		}
		if out.hostAddrs(h.Name) == nil {
			out.Hosts = append(out.Hosts, h)
		}
	}
}

// addWindow keeps what the summary verdict needs from a monitor's
// window: the least observed one is carried into the merged report, so
// that a merge of monitors short of their window is still observing
// and never conforms by adding up.
func (mg *merger) addWindow(w Window) {
	if w.Length <= 0 {
		mg.complete = true
		return
	}
	if w.Observed >= w.Length {
		mg.complete = true
	}
	if mg.window == nil || w.Observed/w.Length < mg.window.Observed/mg.window.Length {
		mg.window = &Window{Length: w.Length, Observed: w.Observed}
	}
}

func (mg *merger) addRule(r *Report, rr Rule) {
	g := mg.rules[rr.ID]
	if g == nil {
		c := rr
		c.Flows, c.Allowed, c.BlockedN, c.Mismatch, c.Unconfirmed, c.Packets, c.Bytes = 0, 0, 0, 0, 0, 0, 0
		c.Protocols, c.Peers, c.Missing, c.Evidence, c.Reason, c.Failures = map[string]int{}, nil, nil, nil, "", nil
		g = &c
		mg.rules[rr.ID] = g
		mg.ruleOrder = append(mg.ruleOrder, rr.ID)
		mg.missing[rr.ID], mg.evidence[rr.ID] = map[string]peerID{}, map[string]bool{}
	}
	g.Flows = addInt(g.Flows, rr.Flows)
	g.Allowed = addInt(g.Allowed, rr.Allowed)
	g.BlockedN = addInt(g.BlockedN, rr.BlockedN)
	g.Mismatch = addInt(g.Mismatch, rr.Mismatch)
	g.Unconfirmed = addInt(g.Unconfirmed, matrix.AttemptsShown(rr.Status, rr.Unconfirmed))
	g.Packets = addU64(g.Packets, rr.Packets)
	g.Bytes = addU64(g.Bytes, rr.Bytes)
	for p, n := range rr.Protocols {
		g.Protocols[p] = addInt(g.Protocols[p], n)
	}
	for _, p := range rr.Peers {
		mg.addPeer(rr.ID, r.peerID(p), p)
	}
	for _, m := range rr.Missing {
		if _, ok := mg.missing[rr.ID][m]; !ok {
			mg.missing[rr.ID][m] = r.keyID(m)
		}
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

// addPeer adds a rule's peer to the one it is over the reports so far:
// the same host name, or an address in common (one report names the
// host, another does not). A peer that joins two so far apart (its
// addresses were two bare peers before) makes them one.
func (mg *merger) addPeer(rule string, id peerID, p Peer) {
	q := &mergedPeer{id: id, flows: p.Flows, allowed: p.Allowed, blocked: p.Blocked, unconfirmed: p.Unconfirmed}
	var keep []*mergedPeer
	for _, o := range mg.peers[rule] {
		if !o.id.same(q.id) {
			keep = append(keep, o)
			continue
		}
		// The peer seen first keeps its name.
		q.id = o.id.union(q.id)
		q.flows, q.allowed, q.blocked = addInt(o.flows, q.flows), addInt(o.allowed, q.allowed), addInt(o.blocked, q.blocked)
		q.unconfirmed = addInt(o.unconfirmed, q.unconfirmed)
	}
	mg.peers[rule] = append(keep, q)
}

func (mg *merger) addUnexpected(u Unexpected) {
	u.Peer = canonAddr(u.Peer)
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
	if g.Protocol == protocol.Unknown.String() {
		g.Protocol = u.Protocol
	}
}

// finish decides every rule's status over the sums and writes the summary.
func (mg *merger) finish(reports []*Report) *Report {
	out := mg.out
	out.Window = Window{Start: mg.start, End: mg.end}
	if mg.window != nil {
		out.Window.Length, out.Window.Observed = mg.window.Length, mg.window.Observed
	}
	for _, a := range mg.candOrder {
		out.Server.Candidates = append(out.Server.Candidates, *mg.candidates[a])
	}
	sort.SliceStable(out.Server.Candidates, func(i, j int) bool { return out.Server.Candidates[i].Score > out.Server.Candidates[j].Score })
	if mg.judged {
		// A judged merge names its server; the candidates of reports
		// that had none are in their own reports.
		out.Server.Candidates = nil
	} else {
		out.Notices = append(out.Notices, Notice{Kind: NoticeNoServer, Merged: true})
	}
	for _, id := range mg.ruleOrder {
		out.Rules = append(out.Rules, *mg.finishRule(id))
	}
	for _, k := range mg.unexpOrder {
		out.Unexpected = append(out.Unexpected, *mg.unexp[k])
	}
	sort.SliceStable(out.Unexpected, func(i, j int) bool { return out.Unexpected[i].Flows > out.Unexpected[j].Flows })
	if out.Unexpected == nil {
		out.Unexpected = []Unexpected{}
	}
	if out.Blocked == nil {
		out.Blocked = []Blocked{}
	}
	for _, k := range mg.scanOrder {
		out.Scans = append(out.Scans, mg.scans[k].finish())
	}
	out.Summary.Findings = matrix.CountFindings(out.RuleStatuses(), len(out.Unexpected), len(out.Scans))
	out.Summary.Verdict = matrix.Decide(out.Facts())
	out.Timeline = mergeTimelines(reports, mg.start, mg.end)
	return out
}

// finishRule sorts a merged rule's peers, missing peers and evidence and
// decides its status.
func (mg *merger) finishRule(id string) *Rule {
	g := mg.rules[id]
	peers := mg.peers[id]
	slices.SortFunc(peers, func(x, y *mergedPeer) int { return peerLess(x.id, y.id) })
	t := matrix.Tally{Required: g.Required, Allowed: g.Allowed, Blocked: g.BlockedN, Mismatch: g.Mismatch, Unconfirmed: g.Unconfirmed,
		Failures: g.Failures}
	g.Peers = []Peer{}
	for _, q := range peers {
		p := Peer{Host: q.id.name, Flows: q.flows, Allowed: q.allowed, Blocked: q.blocked, Unconfirmed: q.unconfirmed,
			Status: matrix.PeerStatus(q.allowed, q.blocked, q.unconfirmed)}
		if p.Host == "" {
			p.Address = q.id.key()
		} else {
			p.Addresses = slices.Clone(q.id.addrs)
			slices.SortFunc(p.Addresses, compareAddrs)
		}
		t.CountPeer(p.Status)
		g.Peers = append(g.Peers, p)
	}
	for m, mid := range mg.missing[id] {
		// A peer one report never saw tried and another reached, under
		// its name or its address, was tried.
		if !slices.ContainsFunc(peers, func(q *mergedPeer) bool { return q.id.same(mid) }) {
			g.Missing = append(g.Missing, m)
		}
	}
	sort.Strings(g.Missing)
	for e := range mg.evidence[id] {
		g.Evidence = append(g.Evidence, e)
	}
	sort.Strings(g.Evidence)
	t.MissingPeers = len(g.Missing)
	// Complete: some judged report covered all of its span; when every
	// one is a monitor short of its window, none can call an untried
	// rule missing yet, and neither can their sum. Without a server in
	// any report the reason is the command's words (NoticeNoServer).
	g.Status, g.Reason = matrix.JudgeRule(matrix.RuleFacts{Tally: t, Judged: mg.judged, Complete: mg.complete, Flows: g.Flows, Scope: "in any report"})
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

// flowsAre words a count of flows with its verb: "1 flow is", "3 flows are".
func flowsAre(n int) string {
	if n == 1 {
		return words.Count(n, "flow") + " is"
	}
	return words.Count(n, "flow") + " are"
}

// maxMergedTargets bounds the targets a merged scan lists, as the
// analyzer bounds one scan's (classifier's maxScanTargets): Hosts keeps
// the count past the list.
const maxMergedTargets = 10

// scanMerge is one scanner's scans over every report: one finding per
// (scanner, transport), whichever reports saw it.
type scanMerge struct {
	sc      Scan
	targets map[string]string // target address -> the site's name, "" for none
	ports   portBits
}

// portBits is a set of ports, to union the reports' port lists.
type portBits [1024]uint64

// addList adds a port list as the report writes it ("1-998,8080");
// validate has checked its form when the report was read, so an item
// that does not read is skipped rather than refused here.
func (pb *portBits) addList(s string) {
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, errA := strconv.Atoi(lo)
		b, errB := a, error(nil)
		if isRange {
			b, errB = strconv.Atoi(hi)
		}
		if errA != nil || errB != nil || a < 0 || b > math.MaxUint16 || b < a {
			continue
		}
		for p := a; p <= b; p++ {
			pb[p>>6] |= 1 << (p & 63)
		}
	}
}

// ranges writes the set back as a port list, and counts its ports.
func (pb *portBits) ranges() (string, int) {
	var ps []string
	n := 0
	for p := 0; p <= math.MaxUint16; p++ {
		if pb[p>>6]&(1<<(p&63)) == 0 {
			continue
		}
		q := p
		for q < math.MaxUint16 && pb[(q+1)>>6]&(1<<((q+1)&63)) != 0 {
			q++
		}
		n += q - p + 1
		if q == p {
			ps = append(ps, strconv.Itoa(p))
		} else {
			ps = append(ps, fmt.Sprintf("%d-%d", p, q))
		}
		p = q
	}
	return strings.Join(ps, ","), n
}

// addScan folds one report's scan into its scanner's. A scan is told
// from the traffic alone, so it is kept from every report, one with no
// server too: dropping it would let a merge conform over a scan.
func (mg *merger) addScan(s Scan) {
	s.Scanner = canonAddr(s.Scanner)
	k := s.Scanner + "/" + s.Transport
	g := mg.scans[k]
	if g == nil {
		c := s
		c.Targets, c.TargetHosts, c.Tried, c.Answered, c.Folded, c.PortList = nil, nil, 0, 0, 0, ""
		g = &scanMerge{sc: c, targets: map[string]string{}}
		mg.scans[k] = g
		mg.scanOrder = append(mg.scanOrder, k)
	}
	sc := &g.sc
	sc.Tried = addInt(sc.Tried, s.Tried)
	sc.Answered = addInt(sc.Answered, s.Answered)
	sc.Folded = addInt(sc.Folded, s.Folded)
	// Hosts and ports are distinct counts, and two reports may have seen
	// the same targets (one capture merged twice, two sensors on one
	// link): their sum could count a host twice, their max never does.
	sc.Hosts, sc.Ports = max(sc.Hosts, s.Hosts), max(sc.Ports, s.Ports)
	if sc.ScannerHost == "" {
		sc.ScannerHost = s.ScannerHost
	}
	sc.First, sc.Last = earlier(sc.First, s.First), later(sc.Last, s.Last)
	for i, t := range s.Targets {
		t = canonAddr(t)
		name := ""
		if i < len(s.TargetHosts) {
			name = s.TargetHosts[i]
		}
		if old, ok := g.targets[t]; !ok || old == "" {
			g.targets[t] = name
		}
	}
	g.ports.addList(s.PortList)
}

// finish writes the merged scan: its targets sorted and bounded, its
// port list the union of the reports'.
func (g *scanMerge) finish() Scan {
	sc := g.sc
	targets := slices.SortedFunc(maps.Keys(g.targets), compareAddrs)
	// The union is distinct hosts and ports too: where the reports saw
	// different ones, it counts more than any one report did.
	sc.Hosts = max(sc.Hosts, len(targets))
	targets = targets[:min(maxMergedTargets, len(targets))]
	named := false
	for _, t := range targets {
		named = named || g.targets[t] != ""
	}
	sc.Targets = targets
	if named {
		for _, t := range targets {
			sc.TargetHosts = append(sc.TargetHosts, g.targets[t])
		}
	}
	var n int
	sc.PortList, n = g.ports.ranges()
	sc.Ports = max(sc.Ports, n)
	return sc
}

// earlier and later pick between two report times, "" for none; times
// that do not parse compare as text.
func earlier(a, b string) string {
	if a == "" || (b != "" && compareTimes(b, a) < 0) {
		return b
	}
	return a
}

func later(a, b string) string {
	if a == "" || (b != "" && compareTimes(b, a) > 0) {
		return b
	}
	return a
}

func compareTimes(a, b string) int {
	x, errX := time.Parse(time.RFC3339Nano, a)
	y, errY := time.Parse(time.RFC3339Nano, b)
	if errX != nil || errY != nil {
		return strings.Compare(a, b)
	}
	return x.Compare(y)
}
