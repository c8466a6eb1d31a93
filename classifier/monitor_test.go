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
	mo := NewMonitor(m, MonitorConfig{Window: time.Hour, Servers: []netip.Addr{netip.MustParseAddr("10.20.0.10")}, ServerSource: "flag"})
	evs := feed(t, mo, "failures")
	count := map[string]int{}
	for _, e := range evs {
		count[e.Type+"/"+e.Rule+"/"+e.Responder]++
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
	mo := NewMonitor(m, MonitorConfig{Window: time.Hour, Servers: []netip.Addr{netip.MustParseAddr("10.20.0.10")}, ServerSource: "flag"})
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
		mo := NewMonitor(m, MonitorConfig{Window: time.Hour, Servers: []netip.Addr{netip.MustParseAddr("10.20.0.10")}, ServerSource: "flag"})
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
	mo := NewMonitor(m, MonitorConfig{Window: time.Hour, Servers: []netip.Addr{netip.MustParseAddr("10.20.0.10")}, ServerSource: "flag"})
	feed(t, mo, "firewall-9389")
	_, first, err := mo.Report("test", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	announced := func(evs []report.Event, typ, rule string) bool {
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
