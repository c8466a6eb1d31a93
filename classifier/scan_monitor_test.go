package classifier

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/report"
)

// TestMonitorTellsAScan: the monitor says a scan once, as scan_detected
// with its line, and the scanner's flows raise no unexpected events once
// it is known.
func TestMonitorTellsAScan(t *testing.T) {
	m, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mo := NewMonitor(m, MonitorConfig{Window: time.Hour, Servers: []netip.Addr{netip.MustParseAddr("10.20.0.10")}, ServerSource: matrix.ServerFromFlag})
	sc, _ := synth.LookupScan("scan")
	c, f := sc.Build()
	var buf bytes.Buffer
	if err := c.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	src, err := capture.NewSource("scan", &buf, int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	mg := capture.NewMerger([]*capture.FileSource{src})
	var (
		p        capture.Packet
		evs      []report.Event
		lastTick int64
	)
	for mg.Next(&p) == nil {
		mo.Packet(&p)
		if p.Timestamp-lastTick > int64(2*time.Second) {
			evs = append(evs, mo.Events(nil)...)
			lastTick = p.Timestamp
		}
	}
	mo.table.Flush()
	evs = append(evs, mo.Events(nil)...)
	scans, unexpected := 0, 0
	for _, e := range evs {
		switch {
		case e.Type == report.EventScan:
			scans++
			if e.Reason != "10.20.9.99 probed 1000 ports of 10.20.0.10, 2 accepted" || e.Initiator != "10.20.9.99" || e.Transport != "tcp" {
				t.Errorf("scan event %+v", e)
			}
		case e.Type == report.EventUnexpectedSeen && (e.Peer == "10.20.9.99" || e.Peer == "(others)"):
			unexpected += max(e.Folded, 1)
		}
	}
	if scans != 1 {
		t.Errorf("%d scan events, want 1: %+v", scans, evs)
	}
	t.Logf("%d unexpected events from the scanner before it was known", unexpected)
	if unexpected >= 1000 {
		t.Errorf("every one of the scanner's %d flows raised an unexpected event", unexpected)
	}
}
