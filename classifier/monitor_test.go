package classifier

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/report"
)

// feed replays a scenario into a monitor on packet time, calling Events
// every simulated 2 seconds as the live loop does.
func feed(t *testing.T, mo *Monitor, name string) []report.Event {
	t.Helper()
	sc, _ := synth.Lookup(name)
	c, f := sc.Build()
	var buf bytes.Buffer
	if err := c.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	src, err := capture.NewSource(name, &buf, int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	m := capture.NewMerger([]*capture.FileSource{src})
	var p capture.Packet
	var evs []report.Event
	var lastTick int64
	for m.Next(&p) == nil {
		mo.Packet(&p)
		if p.Timestamp-lastTick > int64(2*time.Second) {
			evs = append(evs, mo.Events(nil)...)
			lastTick = p.Timestamp
		}
	}
	return append(evs, mo.Events(nil)...)
}

func TestMonitorEventsOnceAndWindow(t *testing.T) {
	m, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mo := NewMonitor(m, MonitorConfig{Window: time.Hour, Servers: []netip.Addr{netip.MustParseAddr("10.20.0.10")}, ServerSource: matrix.ServerFromFlag})
	evs := feed(t, mo, "failures")
	count := map[string]int{}
	for _, e := range evs {
		count[e.Type.String()+"/"+e.Rule+"/"+e.Responder]++
	}
	for k, n := range count {
		if n != 1 {
			t.Errorf("event %s reported %d times", k, n)
		}
	}
	if count["flow_blocked/action-service-out/10.20.3.70:8080"] != 1 || count["flow_blocked/ldap-out/10.20.0.22:389"] != 1 {
		t.Errorf("blocked events %v", count)
	}
	unexpected := 0
	for k := range count {
		if len(k) > 21 && k[:21] == "unexpected_first_seen" {
			unexpected++
		}
	}
	if unexpected != 4 {
		t.Errorf("%d unexpected_first_seen events, want 4 (dns, smb, gc, kerberos/udp)", unexpected)
	}
	// The capture lasts seconds: with an hour's window nothing is called
	// missing yet.
	r, _, err := mo.Report("test", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, rr := range r.Rules {
		if rr.Status == "missing" {
			t.Errorf("%s called missing before a full window", rr.ID)
		}
	}
	// A window shorter than what was observed: required rules without
	// traffic become missing, and the change is an event.
	mo2 := NewMonitor(m, MonitorConfig{Window: 5 * time.Second, Servers: []netip.Addr{netip.MustParseAddr("10.20.0.10")}})
	feed(t, mo2, "missing-dc")
	r2, evs2, err := mo2.Report("test", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	st := map[string]string{}
	for _, rr := range r2.Rules {
		st[rr.ID] = string(rr.Status)
	}
	if st["adws-out"] != "missing" {
		t.Errorf("adws-out %s after a full window without it", st["adws-out"])
	}
	missingEvent := false
	for _, e := range evs2 {
		missingEvent = missingEvent || (e.Type == report.EventRuleMissing && e.Rule == "adws-out")
	}
	if !missingEvent {
		t.Errorf("no rule_missing event for adws-out: %+v", evs2)
	}
	// Nothing changes on a second evaluation: no repeated events.
	if _, again, _ := mo2.Report("test", false, 0); len(again) != 0 {
		t.Errorf("repeated status events: %+v", again)
	}
}

func TestMonitorKeepsFlowsAcrossReload(t *testing.T) {
	m, _ := matrix.Load(matrix.LoadOptions{})
	mo := NewMonitor(m, MonitorConfig{Window: time.Hour, Servers: []netip.Addr{netip.MustParseAddr("10.20.0.10")}})
	feed(t, mo, "postgres-5432")
	m3, _ := matrix.Load(matrix.LoadOptions{Profile: "threatmanager-3.0"})
	mo.SetMatrix(m3)
	r, _, err := mo.Report("test", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, rr := range r.Rules {
		if rr.ID == "postgresql-out" && rr.Status != "ok" {
			t.Fatalf("after reload postgresql-out = %s; the flow on 5432 should count", rr.Status)
		}
	}
	if r.Matrix.Profile != "threatmanager-3.0" {
		t.Fatalf("profile %s", r.Matrix.Profile)
	}
}

// TestMonitorFoldsAScan: a flood of datagrams to new ports of the server
// in one interval gives at most maxEventsPerKind unexpected_first_seen
// events and one "(others)" event that counts the rest, instead of one
// line per datagram.
func TestMonitorFoldsAScan(t *testing.T) {
	m, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mo := NewMonitor(m, MonitorConfig{Window: time.Hour, Servers: []netip.Addr{netip.MustParseAddr("10.20.0.10")}, ServerSource: matrix.ServerFromFlag})
	c := synth.New(3)
	t0 := synth.Start()
	const n = 3000
	for i := 0; i < n; i++ {
		c.UDP(t0.Add(time.Duration(i)*time.Millisecond), synth.EP("198.51.100.7", 40000), synth.EP("10.20.0.10", uint16(20000+i)), []synth.Message{{FromClient: true, Data: []byte("x")}}, 0)
	}
	var buf bytes.Buffer
	if err := c.Write(&buf, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	src, _ := capture.NewSource("scan", &buf, int64(buf.Len()))
	mg := capture.NewMerger([]*capture.FileSource{src})
	var p capture.Packet
	for mg.Next(&p) == nil {
		mo.Packet(&p)
	}
	evs := mo.Events(nil)
	seen, folded := 0, 0
	for _, e := range evs {
		if e.Type != report.EventUnexpectedSeen {
			continue
		}
		if e.Peer == "(others)" {
			folded += e.Folded
		} else {
			seen++
		}
	}
	if seen != maxEventsPerKind || seen+folded != n {
		t.Errorf("%d events one by one and %d folded, want %d and %d", seen, folded, maxEventsPerKind, n-maxEventsPerKind)
	}
}

// feedCaptures replays several captures into a monitor in one time order.
func feedCaptures(t *testing.T, mo *Monitor, caps map[string][]byte) {
	t.Helper()
	var srcs []*capture.FileSource
	for name, data := range caps {
		src, err := capture.NewSource(name, bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	m := capture.NewMerger(srcs)
	var p capture.Packet
	var lastTick int64
	most := 0
	for m.Next(&p) == nil {
		mo.Packet(&p)
		most = max(most, len(mo.window))
		if p.Timestamp-lastTick > int64(2*time.Second) {
			mo.Events(nil)
			lastTick = p.Timestamp
		}
	}
	if lim := mo.m.Limits.MaxFlows; most > lim {
		t.Errorf("the window held %d finished flows, over the cap of %d", most, lim)
	}
}

// TestMonitorWindowWithinTheCap: a flood of distinct flows inside one
// window is held only up to the flow cap. What goes first is the flows on
// ports no rule names, so the rules judge as they would with room for
// everything, and the report says how many flows went.
func TestMonitorWindowWithinTheCap(t *testing.T) {
	sc, _ := synth.Lookup("all-good")
	c, f := sc.Build()
	var good, flood bytes.Buffer
	if err := c.Write(&good, f); err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteFlood(&flood, 20000, 1); err != nil {
		t.Fatal(err)
	}
	caps := map[string][]byte{"all-good": good.Bytes(), "flood": flood.Bytes()}
	run := func(maxFlows int) (*report.Report, *Monitor) {
		m, err := matrix.Load(matrix.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		m.Limits.MaxFlows = maxFlows
		mo := NewMonitor(m, MonitorConfig{Window: time.Hour, Servers: []netip.Addr{netip.MustParseAddr("10.20.0.10")}, ServerSource: matrix.ServerFromFlag})
		feedCaptures(t, mo, caps)
		r, _, err := mo.Report("test", false, 0)
		if err != nil {
			t.Fatal(err)
		}
		return r, mo
	}
	roomy, _ := run(1 << 20)
	tight, mo := run(8000)
	if mo.shed == 0 || mo.shedRule != 0 {
		t.Errorf("shed %d flows, %d on rule ports: want some, none on rule ports", mo.shed, mo.shedRule)
	}
	for i, rr := range roomy.Rules {
		if got := tight.Rules[i]; got.Status != rr.Status || got.Flows != rr.Flows {
			t.Errorf("%s: %s with %d flows under the cap, %s with %d with room for all", rr.ID, got.Status, got.Flows, rr.Status, rr.Flows)
		}
	}
	found := false
	for _, w := range tight.Warnings {
		found = found || strings.Contains(w, "left the window early")
	}
	if !found {
		t.Errorf("no warning says flows left the window: %q", tight.Warnings)
	}
}

// TestReloadAnnouncesOnlyChanges: after a SIGHUP reload with the same
// matrix, a rule that was blocked is not announced blocked again (the
// webhook and the SIEM would see a second failure); a rule whose status
// the new matrix changes is announced.
func TestReloadAnnouncesOnlyChanges(t *testing.T) {
	m, _ := matrix.Load(matrix.LoadOptions{})
	mo := NewMonitor(m, MonitorConfig{Window: time.Hour, Servers: []netip.Addr{netip.MustParseAddr("10.20.0.10")}, ServerSource: matrix.ServerFromFlag})
	feed(t, mo, "firewall-9389")
	_, first, err := mo.Report("test", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	announced := func(evs []report.Event, typ report.EventType, rule string) bool {
		for _, e := range evs {
			if e.Type == typ && e.Rule == rule {
				return true
			}
		}
		return false
	}
	if !announced(first, report.EventRuleBlocked, "adws-out") {
		t.Fatalf("no rule_blocked for adws-out before the reload: %+v", first)
	}
	same, _ := matrix.Load(matrix.LoadOptions{})
	mo.SetMatrix(same)
	if _, again, _ := mo.Report("test", false, 0); len(again) != 0 {
		t.Errorf("a reload with the same matrix announced %+v", again)
	}
	// A matrix without adws-out forgets it: brought back, it is new.
	cfg := filepath.Join(t.TempDir(), "without.yaml")
	os.WriteFile(cfg, []byte("remove_rules: [adws-out]\n"), 0o600)
	without, err := matrix.Load(matrix.LoadOptions{ConfigFile: cfg})
	if err != nil {
		t.Fatal(err)
	}
	mo.SetMatrix(without)
	mo.Report("test", false, 0)
	mo.SetMatrix(same)
	if _, back, _ := mo.Report("test", false, 0); !announced(back, report.EventRuleBlocked, "adws-out") {
		t.Errorf("adws-out, removed and brought back blocked, was not announced: %+v", back)
	}
}

// testClock is a wall clock a test moves by hand.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time           { return c.t }
func (c *testClock) step(d time.Duration)     { c.t = c.t.Add(d) }
func (c *testClock) since(t0 time.Time) int64 { return int64(c.t.Sub(t0)) }

// sendSyslog feeds the monitor one syslog datagram from an agent to the
// server, stamped with the clock's time, as the capture would hand it over.
func sendSyslog(t *testing.T, mo *Monitor, at time.Time) {
	t.Helper()
	c := synth.New(5)
	c.UDP(at, synth.EP("10.20.1.5", 51514), synth.EP("10.20.0.10", 10000),
		[]synth.Message{{FromClient: true, Data: []byte("<13>1 2026-03-02T09:00:01Z agent1 sbtfilemon - - - file written")}}, 0)
	var buf bytes.Buffer
	if err := c.Write(&buf, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	src, err := capture.NewSource("syslog", &buf, int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	mg := capture.NewMerger([]*capture.FileSource{src})
	var p capture.Packet
	for mg.Next(&p) == nil {
		mo.Packet(&p)
	}
}

func ruleStatus(r *report.Report, id string) matrix.Status {
	for _, rr := range r.Rules {
		if rr.ID == id {
			return rr.Status
		}
	}
	return ""
}

// TestMonitorObservingOnTheWallClock drives a live monitor by an injected
// clock: five seconds into a 20-second window, with one syslog datagram
// received, it says observing (exit status 4), never conforms, and its
// summary carries the evaluation time; left silent, with no packet at
// all, its window moves on by the clock: required rules never tried
// become missing once one full window has passed, the datagram's flow
// idles out, and syslog-in is missing one window after its datagram.
func TestMonitorObservingOnTheWallClock(t *testing.T) {
	m, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m.Limits.UDPTimeout = 10 * time.Second
	start := synth.Start()
	clock := &testClock{t: start}
	const window = 20 * time.Second
	mo := NewMonitor(m, MonitorConfig{Window: window, Servers: []netip.Addr{netip.MustParseAddr("10.20.0.10")}, ServerSource: matrix.ServerFromFlag, Clock: clock.now})

	// Before any packet: observing, with a time.
	r, _, err := mo.Report("test", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Verdict != matrix.OutcomeObserving {
		t.Errorf("verdict %s before any packet, want observing", r.Summary.Verdict)
	}
	ev := SummaryEvent(r)
	if ev.Time == "" || !strings.HasSuffix(ev.Time, "Z") {
		t.Errorf("summary time %q, want RFC 3339 UTC", ev.Time)
	} else if at, err := time.Parse(time.RFC3339Nano, ev.Time); err != nil || at.After(clock.t) || clock.t.Sub(at) > 2*time.Second {
		t.Errorf("summary time %q (%v), want the evaluation's, near %s", ev.Time, err, clock.t)
	}

	clock.step(time.Second)
	sendSyslog(t, mo, clock.t)
	datagram := clock.t
	clock.step(4 * time.Second)
	mo.Events(nil)
	r, evs, err := mo.Report("test", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Verdict != matrix.OutcomeObserving {
		t.Errorf("verdict %s after 5s of a 20s window, want observing", r.Summary.Verdict)
	}
	if got := ruleStatus(r, "syslog-in"); got != matrix.StatusOK {
		t.Errorf("syslog-in %s with a datagram received, want ok", got)
	}
	if code := matrix.ExitStatus(r.Facts(), m.FailsOn, false); code != matrix.ExitInconclusive {
		t.Errorf("exit status %d while observing, want %d", code, matrix.ExitInconclusive)
	}
	if p := r.Progress(); p != "5s of 20s observed" {
		t.Errorf("progress %q, want 5s of 20s observed", p)
	}
	if line := report.SummaryLine(r); !strings.Contains(line, "OBSERVING (5s of 20s observed)") {
		t.Errorf("summary line %q", line)
	}
	if ev := SummaryEvent(r); ev.Verdict != matrix.OutcomeObserving || !strings.HasPrefix(ev.Reason, "5s of 20s observed") {
		t.Errorf("summary event %+v", ev)
	}
	for _, e := range evs {
		if e.Type == report.EventRuleMissing {
			t.Errorf("%s called missing 5s into the window", e.Rule)
		}
	}

	// Silence, on a 2-second interval as the live loop ticks.
	missingAt := map[string]time.Time{}
	for clock.since(start) < int64(45*time.Second) {
		clock.step(2 * time.Second)
		mo.Events(nil)
		_, evs, err := mo.Report("test", false, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Type == report.EventRuleMissing {
				if _, dup := missingAt[e.Rule]; dup {
					t.Errorf("rule_missing for %s twice", e.Rule)
				}
				missingAt[e.Rule] = clock.t
			}
		}
	}
	// Never tried: missing once a full window has been observed, within
	// one interval (and the clock's lag) after.
	if at, ok := missingAt["amqp-in"]; !ok {
		t.Errorf("no rule_missing for amqp-in after %s of silence", clock.t.Sub(datagram))
	} else if late := at.Sub(start.Add(window)); late < 0 || late > 2*time.Second+liveLag {
		t.Errorf("amqp-in missing %s after the first full window, want within one interval", late)
	}
	// Tried once: its flow idles out on the clock, and it is missing one
	// full window after the datagram.
	if mo.Table().Len() != 0 {
		t.Errorf("%d flows still in the table after %s of silence with a 10s timeout", mo.Table().Len(), clock.t.Sub(datagram))
	}
	if at, ok := missingAt["syslog-in"]; !ok {
		t.Errorf("no rule_missing for syslog-in after %s of silence", clock.t.Sub(datagram))
	} else if late := at.Sub(datagram.Add(window)); late < 0 || late > 2*time.Second+liveLag {
		t.Errorf("syslog-in missing %s after a full window of silence, want within one interval", late)
	}
	r, _, err = mo.Report("test", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Verdict != matrix.OutcomeFindings || ruleStatus(r, "syslog-in") != matrix.StatusMissing {
		t.Errorf("after the silence: verdict %s, syslog-in %s; want findings, missing", r.Summary.Verdict, ruleStatus(r, "syslog-in"))
	}
}

// TestMonitorReplayKeepsPacketTime: without a clock nothing moves but the
// packets, so a replay judges as it would live with traffic flowing, and
// the time between evaluations does not count as observed.
func TestMonitorReplayKeepsPacketTime(t *testing.T) {
	m, _ := matrix.Load(matrix.LoadOptions{})
	mo := NewMonitor(m, MonitorConfig{Window: 20 * time.Second, Servers: []netip.Addr{netip.MustParseAddr("10.20.0.10")}, ServerSource: matrix.ServerFromFlag})
	sendSyslog(t, mo, synth.Start())
	for i := 0; i < 3; i++ {
		r, evs, err := mo.Report("test", false, 0)
		if err != nil {
			t.Fatal(err)
		}
		if r.Summary.Verdict != matrix.OutcomeObserving || r.Window.Observed != 0 || len(evs) != 0 && evs[0].Type == report.EventRuleMissing {
			t.Fatalf("replay: verdict %s, %vs observed, events %+v", r.Summary.Verdict, r.Window.Observed, evs)
		}
		if r.Window.End == "" || r.Window.End != r.Window.Start {
			t.Errorf("replay window %s..%s, want the one packet's time", r.Window.Start, r.Window.End)
		}
	}
}
