package classifier

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/classifier/protocol"
	"github.com/flowverify/flowverify/report"
)

// MonitorConfig sets the rolling evaluation.
type MonitorConfig struct {
	Window       time.Duration       // rules are judged over this much recent time
	Servers      []netip.Addr        // the server's addresses (from the interfaces unless given)
	ServerSource matrix.ServerSource // the interfaces, or the matrix's (flag, config)
	Inputs       func() []*capture.InputStats
	// Clock is the wall clock of a live run (time.Now; a test's own
	// clock). With it the window and the flow timers move on when no
	// packet comes, and the window is observed from the moment the
	// monitor starts, packets or not: a silent link is exactly what a
	// monitor must catch. Nil for a replay, judged on packet time alone
	// from its first packet.
	Clock func() time.Time
}

// liveLag is how far the wall clock is held back when it moves the
// monitor's clock: packets captured a moment ago may still be on their way
// through the capture's batches (50 ms each, behind a 100 ms read
// timeout), and a flow must not idle out under a packet that is already
// captured.
const liveLag = time.Second

// Monitor keeps a live flow table and judges it over a sliding window.
// Its clock is the table's: packet time, moved on by the wall clock
// (less liveLag) when a Clock is set and no packet comes. Replaying a
// capture without a Clock judges on packet time alone, exactly as it did
// live as long as packets kept coming. It is driven by one goroutine.
type Monitor struct {
	m      *matrix.Matrix
	cfg    MonitorConfig
	table  *flow.Table
	start  int64
	window []flow.Flow // finished flows still inside the window
	rec    *recognizer
	infer  *serverInference
	ports  *matrix.NamedPorts

	seenFlows  map[flowID]bool
	seenGroups map[unexpKey]bool
	seenScans  map[netip.Addr]bool // scanners already told (scan_detected)
	lastStatus map[string]matrix.Status
	lastDrops  map[string]uint64
	scanned    int // records already checked for events
	// shed counts finished flows let go before their window ended, to
	// keep the window within the flow cap: those on ports no rule names
	// first, which only unexpected groups count.
	shed, shedRule int
}

type flowID struct {
	key   flow.Key
	first int64
}

// maxRemembered bounds the once-only memory of reported flows; beyond it
// the oldest memories go (an event may then repeat, never flood).
const maxRemembered = 1 << 16

// NewMonitor starts an empty monitor.
func NewMonitor(m *matrix.Matrix, cfg MonitorConfig) *Monitor {
	if cfg.Window <= 0 {
		cfg.Window = 15 * time.Minute
	}
	mo := &Monitor{m: m, cfg: cfg, table: flow.NewTable(tableConfig(m)), rec: newRecognizer(), infer: newServerInference(m),
		ports: matrix.NewNamedPorts(m), seenFlows: map[flowID]bool{}, seenGroups: map[unexpKey]bool{}, seenScans: map[netip.Addr]bool{},
		lastStatus: map[string]matrix.Status{}, lastDrops: map[string]uint64{}}
	mo.table.OnEnd = mo.onEnd
	mo.rec.attach(mo.table)
	if cfg.Clock != nil {
		// Observation starts now, not at the first packet: a link that
		// stays silent from the start has been observed all the same.
		mo.start = mo.wall()
		mo.table.AdvanceTo(mo.start)
	}
	return mo
}

// wall is the live clock's reading, held back by liveLag.
func (mo *Monitor) wall() int64 { return mo.cfg.Clock().UnixNano() - int64(liveLag) }

// now brings the monitor's clock up to date and returns it. Live, the wall
// clock moves the table on, so flows idle out and the window slides on a
// silent link; the table's clock never goes back, so a packet stamped a
// little ahead of the wall clock is not undone.
func (mo *Monitor) now() int64 {
	if mo.cfg.Clock != nil {
		mo.table.AdvanceTo(mo.wall())
	}
	return mo.table.Now()
}

// onEnd keeps a finished flow in the window.
func (mo *Monitor) onEnd(f *flow.Flow) {
	mo.rec.final(f)
	mo.infer.probes.noteFlow(f)
	mo.infer.observe(f)
	if lim := mo.m.Limits.MaxFlows; lim > 0 && len(mo.window) >= lim {
		mo.shedWindow(lim)
	}
	mo.window = append(mo.window, f.Detached())
}

// shedWindow makes room in a full window. A flood of distinct flows would
// otherwise hold every one of them for the whole window (15 minutes of a
// scan is millions). The oldest quarter goes at once, so the cost is paid
// once per many flows: flows on ports that no rule names before any a
// rule could match, so that rule verdicts stay right as long as the flows
// on rule ports fit in the cap. Flows not yet checked for events that go
// are counted with the rest; the report says how many went.
func (mo *Monitor) shedWindow(lim int) {
	want := max(lim/4, 1)
	drop := make([]bool, len(mo.window))
	n := 0
	for pass := 0; pass < 2 && n < want; pass++ {
		for i := range mo.window {
			if n >= want {
				break
			}
			f := &mo.window[i]
			if drop[i] || pass == 0 && mo.onRulePort(f) {
				continue
			}
			drop[i] = true
			n++
			if pass == 1 {
				mo.shedRule++
			}
		}
	}
	mo.shed += n
	k, scanned := 0, 0
	for i := range mo.window {
		if drop[i] {
			mo.rec.release(mo.window[i].Meta)
			continue
		}
		if i < mo.scanned {
			scanned++
		}
		mo.window[k] = mo.window[i]
		k++
	}
	clear(mo.window[k:])
	mo.window, mo.scanned = mo.window[:k], scanned
}

func (mo *Monitor) onRulePort(f *flow.Flow) bool {
	_, rp := f.Responder()
	return mo.ports.MayMatch(f.Key.Proto, rp)
}

// Table exposes counters for metrics.
func (mo *Monitor) Table() *flow.Table { return mo.table }

// SetMatrix swaps the matrix (SIGHUP) and keeps every flow.
func (mo *Monitor) SetMatrix(m *matrix.Matrix) {
	mo.m = m
	mo.ports = matrix.NewNamedPorts(m)
	// A rule that the new matrix keeps keeps its last status: a reload
	// announces only what it changes (a rule_blocked again after every
	// SIGHUP would reach the webhook and the SIEM as a new failure).
	kept := map[string]bool{}
	for _, r := range m.Rules {
		kept[r.ID] = true
	}
	for id := range mo.lastStatus {
		if !kept[id] {
			delete(mo.lastStatus, id)
		}
	}
}

// Packet accounts one decoded packet.
func (mo *Monitor) Packet(p *capture.Packet) {
	if mo.start == 0 {
		mo.start = p.Timestamp
	}
	mo.table.Add(p)
}

func (mo *Monitor) ctx() *matrix.Context {
	return &matrix.Context{Servers: matrix.NewServerSet(mo.cfg.Servers), DCs: mo.dcs(), Evidence: mo.rec, EPMLifetime: mo.m.Limits.EPMLifetime, Explain: true}
}

// dcs are the peers the server reached on the endpoint mapper.
func (mo *Monitor) dcs() *matrix.DCs {
	cx := matrix.Context{Servers: matrix.NewServerSet(mo.cfg.Servers), DCs: &matrix.DCs{ByEPM: map[netip.Addr]bool{}}, Evidence: mo.rec}
	var fa matrix.FlowFacts
	note := func(f *flow.Flow) {
		mo.rec.facts(f, &fa)
		cx.NoteDC(&fa)
	}
	for i := range mo.window {
		note(&mo.window[i])
	}
	mo.table.Each(note)
	return cx.DCs
}

// prune drops finished flows older than the window and learned endpoints
// past their lifetime.
func (mo *Monitor) prune() int64 {
	now := mo.now()
	cut := now - int64(mo.cfg.Window)
	n := 0
	for i := range mo.window {
		f := &mo.window[i]
		if f.Last >= cut {
			mo.window[n] = *f
			n++
			continue
		}
		mo.rec.release(f.Meta)
	}
	mo.scanned -= len(mo.window) - n
	if mo.scanned < 0 {
		mo.scanned = 0
	}
	clear(mo.window[n:])
	mo.window = mo.window[:n]
	mo.rec.pruneLearned(now - int64(mo.m.Limits.EPMLifetime) - int64(mo.cfg.Window))
	if len(mo.seenFlows) > maxRemembered {
		for k := range mo.seenFlows {
			if k.first < cut {
				delete(mo.seenFlows, k)
			}
		}
	}
	return now
}

// Events looks at what changed since the last call: flows that failed,
// unexpected groups seen for the first time, and kernel drops that rose.
// Each event is reported once.
func (mo *Monitor) Events(stats []capture.IfaceStats) []report.Event {
	now := capture.FormatTime(mo.prune())
	cx := mo.ctx()
	var out []report.Event
	check := func(f *flow.Flow, ended bool) {
		if f.Key.Proto == matrix.TCP && !ended && f.Pkts[flow.Resp] == 0 && !f.Unreach && f.SYNs < 2 {
			return // a fresh SYN: too early to call it unanswered
		}
		var (
			fa matrix.FlowFacts
			j  matrix.Judgement
		)
		mo.rec.facts(f, &fa)
		mo.m.Judge(&fa, cx, &j)
		switch j.Verdict {
		case matrix.Blocked:
			id := flowID{f.Key, f.First}
			if mo.seenFlows[id] {
				return
			}
			mo.seenFlows[id] = true
			out = append(out, mo.flowEvent(report.EventFlowBlocked, f, &j))
		case matrix.Unexpected:
			if j.Dir == matrix.Inbound && mo.infer.probes.scanner(j.Peer) {
				return // the scan's event stands for it
			}
			k := unexpKey{f.Key.Proto, j.Dir, j.Port, j.PeerAddr}
			if mo.seenGroups[k] {
				return
			}
			if len(mo.seenGroups) >= maxRemembered {
				// Past the bound a scan's new groups are no longer
				// remembered one by one: counted once, folded.
				k.port, k.peer = 0, othersPeer()
				if mo.seenGroups[k] {
					return
				}
			}
			mo.seenGroups[k] = true
			ev := mo.flowEvent(report.EventUnexpectedSeen, f, &j)
			ev.Hint = mo.m.Hint(k.proto, k.port, k.dir)
			out = append(out, ev)
		}
	}
	for i := mo.scanned; i < len(mo.window); i++ {
		check(&mo.window[i], true)
	}
	mo.scanned = len(mo.window)
	mo.table.Each(func(f *flow.Flow) { check(f, false) })
	out = foldEvents(out, now)
	out = append(out, mo.scanEvents(now)...)
	for _, s := range stats {
		d := s.Dropped + s.IfDropped
		if prev, ok := mo.lastDrops[s.Name]; ok && d > prev {
			out = append(out, report.Event{Time: now, Type: report.EventDropsRose, Interface: s.Name, Drops: d - prev})
		}
		mo.lastDrops[s.Name] = d
	}
	return out
}

func (mo *Monitor) flowEvent(typ report.EventType, f *flow.Flow, j *matrix.Judgement) report.Event {
	ini, resp := flowEnds(f)
	_, rp := f.Responder()
	ev := report.Event{Time: capture.FormatTime(f.Last), Type: typ, Transport: matrix.TransportName(f.Key.Proto),
		Initiator: ini, Responder: resp, Direction: j.Dir, Port: int(rp),
		Peer: j.Peer.String(), Host: hostNamed(mo.m, j.Peer), Reason: j.Reason}
	if id, _ := mo.rec.proto(f); id != protocol.Unknown {
		ev.Protocol = id.String()
	}
	if ty, code, ok := f.ICMPMessage(); ok {
		// No port: the ICMP message instead.
		ev.Port, ev.Protocol = 0, protocol.ICMPName(f.Key.Proto == capture.ProtoICMPv6, ty, code)
	}
	if j.Rule >= 0 {
		ev.Rule = mo.m.Rules[j.Rule].ID
	}
	return ev
}

// Report judges the window: the finished flows still inside it and a
// snapshot of the flows in the table. It also returns the rule-status
// events since the previous report.
func (mo *Monitor) Report(version string, withFlows bool, drops uint64) (*report.Report, []report.Event, error) {
	end := mo.prune()
	recs := make([]flow.Flow, 0, len(mo.window)+mo.table.Len())
	recs = append(recs, mo.window...)
	mo.table.Each(func(f *flow.Flow) { recs = append(recs, f.Detached()) })
	tmp := windowAnalyzer(mo.m, recs, mo.rec, mo.infer, mo.ports)
	tmp.table = mo.table
	observed := time.Duration(end - mo.start)
	if mo.start == 0 {
		observed = 0
	}
	var inputs []*capture.InputStats
	if mo.cfg.Inputs != nil {
		inputs = mo.cfg.Inputs()
	}
	r, err := tmp.report(meta{toolVersion: version, inputs: inputs, table: mo.table.C, withFlows: withFlows, drops: drops,
		observed: observed, window: mo.cfg.Window, servers: mo.cfg.Servers, serverSource: mo.cfg.ServerSource,
		windowShed: mo.shed, windowShedRule: mo.shedRule})
	if err != nil {
		return nil, nil, err
	}
	if end > 0 {
		// The window is the monitor's, not its flows' span: with no flow
		// at all it still ends now, and a summary says when it was made.
		r.Window.Start, r.Window.End = capture.FormatTime(max(mo.start, end-int64(mo.cfg.Window))), capture.FormatTime(end)
	}
	var evs []report.Event
	now := r.Window.End
	for _, rr := range r.Rules {
		prev, seen := mo.lastStatus[rr.ID]
		mo.lastStatus[rr.ID] = rr.Status
		if seen && prev == rr.Status {
			continue
		}
		switch {
		case rr.Status == matrix.StatusMissing:
			evs = append(evs, report.Event{Time: now, Type: report.EventRuleMissing, Rule: rr.ID, Status: rr.Status, Previous: prev, Reason: rr.Reason})
		case rr.Status == matrix.StatusBlocked:
			evs = append(evs, report.Event{Time: now, Type: report.EventRuleBlocked, Rule: rr.ID, Status: rr.Status, Previous: prev, Reason: rr.Reason})
		case rr.Status == matrix.StatusOK && seen && prev.Failing():
			evs = append(evs, report.Event{Time: now, Type: report.EventRuleRecovered, Rule: rr.ID, Status: rr.Status, Previous: prev})
		}
	}
	return r, evs, nil
}

// scanEvents tell each scanner once, as it crosses the scan limits: the
// monitor's detection counts every flow that ended since it started.
func (mo *Monitor) scanEvents(now string) []report.Event {
	var out []report.Event
	for _, a := range mo.infer.probes.scanners() {
		if mo.seenScans[a] || len(mo.seenScans) >= maxRemembered {
			continue
		}
		mo.seenScans[a] = true
		sc := mo.infer.probes.finding(a)
		nameScan(mo.m, &sc)
		out = append(out, report.Event{Time: now, Type: report.EventScan, Initiator: sc.Scanner, Peer: sc.Scanner, Host: sc.ScannerHost,
			Transport: sc.Transport, Reason: sc.Line()})
	}
	return out
}

// SummaryEvent condenses a report for the event stream. Its time is the
// evaluation's, the window's end; before one full window its reason says
// how much has been observed, next to the verdict observing.
func SummaryEvent(r *report.Report) report.Event {
	reason := fmt.Sprintf("%d packets, %d flows in the window", r.Summary.Packets, r.Summary.Flows)
	if p := r.Progress(); p != "" {
		reason = p + "; " + reason
	}
	return report.Event{Time: r.Window.End, Type: report.EventSummary, Verdict: r.Summary.Verdict, Findings: r.Summary.Findings,
		Reason: reason}
}

// maxEventsPerKind bounds the flow_blocked and unexpected_first_seen
// events of one interval: a scan makes a new group with nearly every
// datagram, and an event stream of tens of thousands of lines a minute
// reaches nobody. Past it, one event per type and direction, peer
// "(others)", says how many more there were.
const maxEventsPerKind = 100

func foldEvents(evs []report.Event, now string) []report.Event {
	type foldKey struct {
		typ       report.EventType
		dir       matrix.Direction
		transport string
	}
	count := map[report.EventType]int{}
	folded := map[foldKey]*report.Event{}
	var order []foldKey
	out := evs[:0]
	for _, e := range evs {
		if e.Type != report.EventFlowBlocked && e.Type != report.EventUnexpectedSeen {
			out = append(out, e)
			continue
		}
		if count[e.Type]++; count[e.Type] <= maxEventsPerKind {
			out = append(out, e)
			continue
		}
		k := foldKey{e.Type, e.Direction, e.Transport}
		f := folded[k]
		if f == nil {
			f = &report.Event{Time: now, Type: e.Type, Transport: e.Transport, Direction: e.Direction, Peer: "(others)"}
			folded[k] = f
			order = append(order, k)
		}
		f.Folded++
	}
	for _, k := range order {
		out = append(out, *folded[k])
	}
	return out
}
