package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/classifier/publish"
	"github.com/flowverify/flowverify/report"
)

// The lab round of testdata/real/lab-site.pcap with its hosts named
// (lab-hosts.yaml): the server tm tries adws-out on dc (dropped, a
// blocked attempt) and the global catalog on dc (refused, unexpected).
const (
	labSite  = "../../testdata/real/lab-site.pcap"
	labHosts = "../../testdata/real/lab-hosts.yaml"
)

// TestGoldenNamedHosts: every format but HTML names the host beside the
// address in the blocked and the unexpected rows, as rule rows do; the
// event stream and the Event Log line carry it too.
func TestGoldenNamedHosts(t *testing.T) {
	for _, c := range []struct {
		format, golden string
		want           []string // what the blocked and unexpected rows say
	}{
		{"text", "lab-site.text", []string{"adws-out  tm (10.99.0.10:", "dc (10.99.0.21:9389)", "outbound   TCP    3268  dc (10.99.0.21)"}},
		{"markdown", "lab-site.markdown", []string{"- `adws-out` tm (10.99.0.10:", "→ dc (10.99.0.21:9389): no-answer (4 attempts)",
			"- outbound TCP 3268 with dc (10.99.0.21) (unknown, 1 flow)"}},
		{"junit", "lab-site.junit", []string{"outbound TCP 3268 dc (10.99.0.21) (unknown, 1 flow)"}},
		{"flows-csv", "lab-site.flows-csv", nil}, // checked by column below
		{"json", "lab-site.json", nil},           // checked by key below
	} {
		t.Run(c.format, func(t *testing.T) {
			r := flowverify(t, nil, "analyze", "-q", "-c", labHosts, "-f", c.format, labSite)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1 (findings): %s", r.code, r.stderr)
			}
			got := []byte(r.stdout)
			if c.format == "json" {
				got = normalize(t, r.stdout)
			}
			checkGoldenFile(t, filepath.Join(goldenDir, "hosts", c.golden), got)
			for _, w := range c.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("%s lacks %q:\n%s", c.format, w, r.stdout)
				}
			}
			switch c.format {
			case "flows-csv":
				checkNamedFlowsCSV(t, r.stdout)
			case "json":
				checkNamedJSON(t, r.stdout)
			}
		})
	}
	t.Run("events", func(t *testing.T) {
		evs := replayEvents(t, labSite)
		var stream bytes.Buffer
		w := publish.NewEventWriter(&stream)
		var eventLog []string
		hosts := map[string]string{}
		for _, e := range evs {
			w.Write(e)
			eventLog = append(eventLog, eventLogText(e))
			hosts[e.Type.String()+" "+e.Peer] = e.Host
		}
		checkGoldenFile(t, filepath.Join(goldenDir, "hosts", "lab-site.events.jsonl"), stream.Bytes())
		checkGoldenFile(t, filepath.Join(goldenDir, "hosts", "lab-site.eventlog"), []byte(strings.Join(eventLog, "\n")+"\n"))
		for k, want := range map[string]string{"flow_blocked 10.99.0.21": "dc", "unexpected_first_seen 10.99.0.21": "dc"} {
			if hosts[k] != want {
				t.Errorf("event %s: host %q, want %q (events %v)", k, hosts[k], want, hosts)
			}
		}
		if log := strings.Join(eventLog, "\n"); !strings.Contains(log, "flow_blocked rule=adws-out transport=tcp direction=outbound peer=10.99.0.21 host=dc port=9389") {
			t.Errorf("the Event Log line of the blocked flow names no host:\n%s", log)
		}
	})
}

// checkNamedFlowsCSV: the two host columns come last, and every blocked
// or unexpected flow of the round names tm and dc in them.
func checkNamedFlowsCSV(t *testing.T, out string) {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("flows-csv does not parse (%v):\n%s", err, out)
	}
	head := rows[0]
	if n := len(head); n < 2 || head[n-2] != "initiator_host" || head[n-1] != "responder_host" || head[0] != "transport" || head[n-3] != "input" {
		t.Fatalf("header %v: want the old columns first, then initiator_host, responder_host", head)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		v := row[col["verdict"]]
		if v != "blocked" && v != "unexpected" {
			continue
		}
		seen[v] = true
		if ini, resp := row[col["initiator_host"]], row[col["responder_host"]]; ini != "tm" || resp != "dc" {
			t.Errorf("%s flow %s -> %s: hosts %q, %q, want tm, dc", v, row[col["initiator"]], row[col["responder"]], ini, resp)
		}
	}
	if !seen["blocked"] || !seen["unexpected"] {
		t.Errorf("flows-csv lists %v, want a blocked and an unexpected flow", seen)
	}
}

// checkNamedJSON: the blocked row names both ends, the unexpected row its
// peer, next to the addresses.
func checkNamedJSON(t *testing.T, out string) {
	t.Helper()
	var d struct {
		Blocked    []report.Blocked    `json:"blocked"`
		Unexpected []report.Unexpected `json:"unexpected"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Blocked) != 1 || d.Blocked[0].InitiatorHost != "tm" || d.Blocked[0].ResponderHost != "dc" || d.Blocked[0].Responder != "10.99.0.21:9389" {
		t.Errorf("blocked %+v, want tm -> dc 10.99.0.21:9389", d.Blocked)
	}
	if len(d.Unexpected) != 1 || d.Unexpected[0].Host != "dc" || d.Unexpected[0].Peer != "10.99.0.21" {
		t.Errorf("unexpected %+v, want dc 10.99.0.21", d.Unexpected)
	}
}

// replayEvents replays a lab round into a monitor with the lab's hosts,
// on packet time, asking for events every two seconds of it as the live
// loop does.
func replayEvents(t *testing.T, file string) []report.Event {
	t.Helper()
	m, err := matrix.Load(matrix.LoadOptions{ConfigFile: labHosts})
	if err != nil {
		t.Fatal(err)
	}
	mo := classifier.NewMonitor(m, classifier.MonitorConfig{Window: time.Hour, Servers: m.Server, ServerSource: m.ServerFrom})
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	src, err := capture.NewSource(filepath.Base(file), bytes.NewReader(data), int64(len(data)))
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
	return append(evs, mo.Events(nil)...)
}

// TestUnnamedSiteWritesNoHostKeys: without a site naming hosts the rows
// carry no host keys at all, so that such reports read as before.
func TestUnnamedSiteWritesNoHostKeys(t *testing.T) {
	for _, c := range []struct{ name, file, server string }{
		{"lab round", labSite, "10.99.0.10"},
		{"failures", filepath.Join(scenarioDir, "failures.pcap"), "10.20.0.10"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := flowverify(t, nil, "analyze", "-q", "--server", c.server, "-f", "json", c.file)
			var d struct {
				Blocked    []map[string]any `json:"blocked"`
				Unexpected []map[string]any `json:"unexpected"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
				t.Fatalf("exit %d: %v %s", r.code, err, r.stderr)
			}
			if len(d.Blocked)+len(d.Unexpected) == 0 {
				t.Fatal("no blocked or unexpected rows to look at")
			}
			for _, row := range append(d.Blocked, d.Unexpected...) {
				for _, k := range []string{"host", "initiator_host", "responder_host"} {
					if _, ok := row[k]; ok {
						t.Errorf("row %v has %s without a named host", row, k)
					}
				}
			}
		})
	}
}

// TestGoldenNamedScan: the lab's nmap round against tm (testdata/real/
// shapes/nmap-scan-tm.pcap), judged with the lab's hosts, names the
// scanner and its target in the scan's line of every format and in the
// JSON's scanner_host and target_hosts (the scan event:
// classifier.TestMonitorNamesHosts).
func TestGoldenNamedScan(t *testing.T) {
	file := "../../testdata/real/shapes/nmap-scan-tm.pcap"
	line := "agent (10.99.0.31) probed 1000 ports of tm (10.99.0.10), 2 accepted"
	for _, c := range []struct {
		format, golden string
		want           string
	}{
		{"text", "nmap-scan-tm.text", "  " + line + "\n"},
		{"markdown", "", "- " + line + " ("},
		{"csv", "nmap-scan-tm.csv", `scan,,tcp,"1-998,8080,10001",,false,scan,"` + line + `",998,0,0,0,agent[10.99.0.31],`},
		{"junit", "", `<testcase name="scan by agent (10.99.0.31)" classname="flowverify.scans">`},
		{"json", "", `"scanner_host": "agent"`},
	} {
		t.Run(c.format, func(t *testing.T) {
			r := flowverify(t, nil, "analyze", "-q", "-c", labHosts, "-f", c.format, file)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1 (findings): %s", r.code, r.stderr)
			}
			if c.golden != "" {
				checkGoldenFile(t, filepath.Join(goldenDir, "hosts", c.golden), []byte(r.stdout))
			}
			if !strings.Contains(r.stdout, c.want) {
				t.Errorf("%s lacks %q:\n%s", c.format, c.want, r.stdout)
			}
			if c.format != "json" {
				return
			}
			var d struct{ Scans []report.Scan }
			if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
				t.Fatal(err)
			}
			if len(d.Scans) != 1 || d.Scans[0].ScannerHost != "agent" || strings.Join(d.Scans[0].TargetHosts, ",") != "tm" {
				t.Errorf("scans %+v, want agent probing tm", d.Scans)
			}
		})
	}
}
