package classifier_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
	"github.com/flowverify/flowverify/report"
)

// TestScanIsOneFinding: a scan, recorded with nmap or generated, is one
// finding in one line, its flows are no unexpected rows and no evidence of
// the server, and the text report stays short; a busy site and a handful
// of probes are no scan.
func TestScanIsOneFinding(t *testing.T) {
	gen := func(name string) []byte {
		t.Helper()
		s, ok := synth.LookupScan(name)
		if !ok {
			t.Fatalf("no scan scenario %q", name)
		}
		c, f := s.Build()
		var b bytes.Buffer
		if err := c.Write(&b, f); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	file := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var day bytes.Buffer
	if err := synth.Day(1).Write(&day, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		data     []byte
		server   []string // nil: auto
		want     string   // the scan's line; "" no scan
		wantAddr string   // the server; "" none
		folded   int
	}{
		{"nmap -sS of a DC, no server in it", file("real/shapes/nmap-scan.pcap"), nil, "10.99.0.31 probed 1000 ports of 10.99.0.21, 3 accepted", "", 0},
		{"nmap -sS of the server", file("real/shapes/nmap-scan-tm.pcap"), []string{"10.99.0.10"}, "10.99.0.31 probed 1000 ports of 10.99.0.10, 2 accepted", "10.99.0.10", 998},
		{"generated SYN scan beside a site", gen("scan"), nil, "10.20.9.99 probed 1000 ports of 10.20.0.10, 2 accepted", "10.20.0.10", 1000},
		{"generated SYN scan, server given", gen("scan"), []string{"10.20.0.10"}, "10.20.9.99 probed 1000 ports of 10.20.0.10, 2 accepted", "10.20.0.10", 1000},
		// Its attempts at tcp/88 and 135 stay blocked on their rules.
		{"the server (given) scans out", gen("scan-out"), []string{"10.20.0.10"}, "10.20.0.10 probed 300 ports of 10.20.9.50, 0 accepted", "10.20.0.10", 298},
		{"generated sweep of tcp/445", gen("sweep"), nil, "10.20.9.98 probed tcp/445 on 254 hosts, 0 accepted", "10.20.0.10", 1},
		{"seven probes (nDPI's capture): too few", file("pcaps/ndpi_tcp_scan.pcapng"), nil, "", "", 0},
		{"a busy day of a site: no scan", day.Bytes(), nil, "", "10.20.0.10", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			opt := matrix.LoadOptions{}
			if c.server != nil {
				opt.Server = c.server
			}
			m, err := matrix.Load(opt)
			if err != nil {
				t.Fatal(err)
			}
			r, err := classifier.Analyze(m, testcaps.Sources(t, "cap", c.data), nil, classifier.Options{Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(r.Server.Addresses, ","); got != c.wantAddr {
				t.Errorf("server %q, want %q: %v", got, c.wantAddr, r.Server.Evidence)
			}
			checkScan(t, r, c.want, c.folded)
			var text bytes.Buffer
			if err := report.Write(&text, r, "text"); err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(text.String(), "\n"); c.want != "" && n >= 100 {
				t.Errorf("the text report has %d lines, want under 100", n)
			}
			if c.want != "" && !strings.Contains(text.String(), "\n  "+c.want+"\n") {
				t.Errorf("the text report has no line %q:\n%s", c.want, text.String())
			}
			// Both cores give the same report (flows judged ahead at the
			// flush are counted too).
			p, err := classifier.Analyze(m, testcaps.Sources(t, "cap", c.data), nil, classifier.Options{Version: "test", Pipeline: true})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(r.Scans, p.Scans, func(a, b report.Scan) bool { return a.Line() == b.Line() && a.Folded == b.Folded }) {
				t.Errorf("pipelined scans %+v, serial %+v", p.Scans, r.Scans)
			}
		})
	}
}

// checkScan holds the report to one scan with line want (none when
// empty): the JSON fields, the finding counted, the scanner in no
// unexpected row and among no candidates.
func checkScan(t *testing.T, r *report.Report, want string, folded int) {
	t.Helper()
	if want == "" {
		if len(r.Scans) != 0 || r.Summary.Findings[matrix.FindingScan] != 0 {
			t.Errorf("scans %+v, findings %v: want none", r.Scans, r.Summary.Findings)
		}
		return
	}
	if len(r.Scans) != 1 {
		t.Fatalf("%d scans %+v, want 1", len(r.Scans), r.Scans)
	}
	sc := r.Scans[0]
	if sc.Line() != want || sc.Folded != folded || sc.Transport != "tcp" || sc.First == "" || sc.Last == "" {
		t.Errorf("scan %q (%+v), want %q with %d flows folded", sc.Line(), sc, want, folded)
	}
	if r.Summary.Findings[matrix.FindingScan] != 1 {
		t.Errorf("findings %v: want 1 scan", r.Summary.Findings)
	}
	if r.Summary.Verdict == matrix.OutcomeConforms {
		t.Error("a report with a scan conforms")
	}
	for _, u := range r.Unexpected {
		if u.Peer == sc.Scanner {
			t.Errorf("the scanner's flows are an unexpected row: %+v", u)
		}
	}
	for _, c := range r.Server.Candidates {
		if c.Address == sc.Scanner {
			t.Errorf("the scanner is a candidate: %v", c.Evidence)
		}
	}
	if r.Server.Source == matrix.ServerInferred && slices.Contains(r.Server.Addresses, sc.Scanner) {
		t.Errorf("the scanner %s is inferred the server", sc.Scanner)
	}
}

// TestScanLimitsConfigurable: site.scan moves the limits; bad values are
// refused with the key.
func TestScanLimitsConfigurable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "real/shapes/nmap-scan-tm.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		yaml  string
		scans int
		err   string
	}{
		{"site:\n  scan: {min_targets: 1001}\n", 0, ""},
		{"site:\n  scan: {min_targets: 998, fail_share: 99}\n", 1, ""},
		{"site:\n  scan: {min_targets: 1}\n", 0, "site.scan.min_targets"},
		{"site:\n  scan: {fail_share: 50}\n", 0, "site.scan.fail_share"},
		{"site:\n  scan: {fail_tally: 50}\n", 0, "fail_share"},
	} {
		t.Run(c.yaml, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.yaml")
			if err := os.WriteFile(path, []byte(c.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := matrix.Load(matrix.LoadOptions{ConfigFile: path, Server: []string{"10.99.0.10"}})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one naming %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r, err := classifier.Analyze(m, testcaps.Sources(t, "cap", data), nil, classifier.Options{Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Scans) != c.scans {
				t.Errorf("%d scans, want %d", len(r.Scans), c.scans)
			}
		})
	}
}
