package report_test

import (
	"testing"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
)

// TestMergeKeepsScans: a scan is told without a server, so a merge keeps
// every input's scans, a not-judged input's too, and one scanner merged
// from several reports stays one finding.
func TestMergeKeepsScans(t *testing.T) {
	const scan, good = "real/shapes/nmap-scan-tm.pcap", "scenarios/all-good.pcap"
	tm := matrix.LoadOptions{Server: []string{"10.99.0.10"}}
	judgedScan := func(t *testing.T) *report.Report { return analyze(t, tm, scan) }
	notJudgedScan := func(t *testing.T) *report.Report { return analyze(t, plain, scan) }
	allGood := func(t *testing.T) *report.Report { return analyze(t, plain, good) }
	for _, c := range []struct {
		name    string
		inputs  []func(*testing.T) *report.Report
		verdict matrix.Outcome
		exit    int
		// tried and answered are the merged scan's sums.
		tried, answered int
	}{
		{"all-good alone conforms", []func(*testing.T) *report.Report{allGood}, matrix.OutcomeConforms, matrix.ExitConforms, 0, 0},
		{"judged and a not-judged scan", []func(*testing.T) *report.Report{allGood, notJudgedScan}, matrix.OutcomeFindings, matrix.ExitFindings, 1000, 2},
		{"not-judged scan first", []func(*testing.T) *report.Report{notJudgedScan, allGood}, matrix.OutcomeFindings, matrix.ExitFindings, 1000, 2},
		{"one judged report twice", []func(*testing.T) *report.Report{judgedScan, judgedScan}, matrix.OutcomeFindings, matrix.ExitFindings, 2000, 4},
		{"judged and not-judged scan of one capture", []func(*testing.T) *report.Report{judgedScan, notJudgedScan}, matrix.OutcomeFindings, matrix.ExitFindings, 2000, 4},
		{"not-judged twice stays not judged", []func(*testing.T) *report.Report{notJudgedScan, notJudgedScan}, matrix.OutcomeNotJudged, matrix.ExitNotJudged, 2000, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			var rs []*report.Report
			for _, in := range c.inputs {
				rs = append(rs, in(t))
			}
			m, err := report.Merge(rs, false)
			if err != nil {
				t.Fatal(err)
			}
			m = roundTrip(t, m) // the merged report must read back
			exit := matrix.ExitStatus(m.Facts(), func(matrix.Finding) bool { return true }, m.Summary.Damaged)
			if m.Summary.Verdict != c.verdict || exit != c.exit {
				t.Errorf("verdict %s exit %d, want %s %d (findings %v)", m.Summary.Verdict, exit, c.verdict, c.exit, m.Summary.Findings)
			}
			wantScans := 0
			if c.tried > 0 {
				wantScans = 1
			}
			if len(m.Scans) != wantScans || m.Summary.Findings[matrix.FindingScan] != wantScans {
				t.Fatalf("%d scans, findings.scan %d, want %d: %+v", len(m.Scans), m.Summary.Findings[matrix.FindingScan], wantScans, m.Scans)
			}
			if wantScans == 0 {
				return
			}
			sc := m.Scans[0]
			// One capture's scan: the same host and ports, however often
			// it is merged; the attempts add up.
			if sc.Scanner != "10.99.0.31" || sc.Hosts != 1 || sc.Ports != 1000 || sc.PortList != "1-998,8080,10001" ||
				len(sc.Targets) != 1 || sc.Targets[0] != "10.99.0.10" || sc.Tried != c.tried || sc.Answered != c.answered {
				t.Errorf("merged scan %+v", sc)
			}
			if sc.First != "2026-12-07T20:43:24.809166Z" || sc.Last != "2026-12-07T20:43:24.861988Z" {
				t.Errorf("span %s .. %s", sc.First, sc.Last)
			}
		})
	}
}

// TestMergeScansUnion: one scanner seen by two sensors on different
// targets and ports (the real scan, its copy moved to another host and
// other ports) is one scan over the union of both.
func TestMergeScansUnion(t *testing.T) {
	a := analyze(t, matrix.LoadOptions{Server: []string{"10.99.0.10"}}, "real/shapes/nmap-scan-tm.pcap")
	b := roundTrip(t, a)
	b.Scans[0].Targets, b.Scans[0].PortList, b.Scans[0].Ports = []string{"10.99.0.11"}, "999-1000,2000", 3
	b.Scans[0].First = "2026-12-07T20:43:24.8Z" // earlier, though it sorts after as text
	m, err := report.Merge([]*report.Report{a, b}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Scans) != 1 {
		t.Fatalf("%d scans", len(m.Scans))
	}
	sc := m.Scans[0]
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"port_list", sc.PortList, "1-1000,2000,8080,10001"},
		{"ports", sc.Ports, 1003},
		{"hosts", sc.Hosts, 2},
		{"targets", len(sc.Targets), 2},
		{"first", sc.First, "2026-12-07T20:43:24.8Z"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}
