package classifier

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
)

// TestMonitorNamesHosts: the monitor's events carry the site's name for
// the peer (host), on real lab rounds judged with the lab's hosts: the
// blocked and unexpected flows of lab-site.pcap, the scan of
// nmap-scan-tm.pcap; without hosts the same events name none.
func TestMonitorNamesHosts(t *testing.T) {
	for _, c := range []struct {
		name, file, config string
		want               map[string]string // "type peer" -> host
	}{
		{"lab round named", "../testdata/real/lab-site.pcap", "../testdata/real/lab-hosts.yaml",
			map[string]string{"flow_blocked 10.99.0.21": "dc", "unexpected_first_seen 10.99.0.21": "dc"}},
		{"scan named", "../testdata/real/shapes/nmap-scan-tm.pcap", "../testdata/real/lab-hosts.yaml",
			map[string]string{"scan_detected 10.99.0.31": "agent"}},
		{"lab round unnamed", "../testdata/real/lab-site.pcap", "",
			map[string]string{"flow_blocked 10.99.0.21": "", "unexpected_first_seen 10.99.0.21": ""}},
		{"scan unnamed", "../testdata/real/shapes/nmap-scan-tm.pcap", "",
			map[string]string{"scan_detected 10.99.0.31": ""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs := replayLab(t, c.file, c.config)
			got := map[string]string{}
			for _, e := range evs {
				got[e.Type.String()+" "+e.Peer] = e.Host
				if e.Type == report.EventScan {
					want := "10.99.0.31 probed 1000 ports of 10.99.0.10, 2 accepted"
					if c.config != "" {
						want = "agent (10.99.0.31) probed 1000 ports of tm (10.99.0.10), 2 accepted"
					}
					if e.Reason != want {
						t.Errorf("scan event reason %q, want %q", e.Reason, want)
					}
				}
			}
			for k, want := range c.want {
				if host, ok := got[k]; !ok || host != want {
					t.Errorf("event %s: host %q (seen %v), want %q", k, host, ok, want)
				}
			}
		})
	}
}

// replayLab feeds a lab round to a monitor whose server is tm, on packet
// time, then ends every flow as a monitor's quiet link would.
func replayLab(t *testing.T, file, config string) []report.Event {
	t.Helper()
	opt := matrix.LoadOptions{ConfigFile: config}
	if config == "" {
		opt.Server = []string{"10.99.0.10"}
	}
	m, err := matrix.Load(opt)
	if err != nil {
		t.Fatal(err)
	}
	mo := NewMonitor(m, MonitorConfig{Window: time.Hour, Servers: m.Server, ServerSource: m.ServerFrom})
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	src, err := capture.NewSource(file, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	mg := capture.NewMerger([]*capture.FileSource{src})
	var (
		p    capture.Packet
		evs  []report.Event
		last int64
	)
	for mg.Next(&p) == nil {
		mo.Packet(&p)
		if p.Timestamp-last > int64(2*time.Second) {
			evs = append(evs, mo.Events(nil)...)
			last = p.Timestamp
		}
	}
	mo.table.Flush()
	return append(evs, mo.Events(nil)...)
}
