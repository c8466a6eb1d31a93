package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryCaptureGetsAReport: without --server, every capture under
// testdata gets a report of what was read, in JSON: a damaged one exits 3
// with its offset whether or not a server was found, one without a server
// exits 2 and lists what it read, never an error alone.
func TestEveryCaptureGetsAReport(t *testing.T) {
	for _, f := range testdataCaptures(t) {
		r := flowverify(t, nil, "analyze", "-q", "-f", "json", f)
		var d struct {
			Schema string `json:"schema"`
			Server struct {
				Source     string `json:"source"`
				Candidates []struct {
					Address string `json:"address"`
				} `json:"candidates"`
			} `json:"server"`
			Inputs []struct {
				Damaged bool `json:"damaged"`
			} `json:"inputs"`
			Summary struct {
				Packets   int    `json:"packets"`
				Flows     int    `json:"flows"`
				NotJudged int    `json:"not_judged"`
				Verdict   string `json:"verdict"`
				Damaged   bool   `json:"damaged"`
			} `json:"summary"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || d.Schema == "" {
			t.Errorf("%s: no report (exit %d): %v %s", f, r.code, err, r.stderr)
			continue
		}
		switch {
		case d.Summary.Damaged:
			if r.code != exitDamaged || !strings.Contains(r.stderr, "byte offset") {
				t.Errorf("%s: damaged, exit %d %q; want 3 naming the offset", f, r.code, r.stderr)
			}
		case d.Server.Source == "none":
			if r.code != exitUsage || d.Summary.Verdict != "not-judged" || d.Summary.NotJudged != d.Summary.Flows {
				t.Errorf("%s: no server: exit %d, verdict %s, %d of %d flows not judged", f, r.code, d.Summary.Verdict, d.Summary.NotJudged, d.Summary.Flows)
			}
			if len(d.Server.Candidates) > 0 && !strings.Contains(r.stderr, "--server "+d.Server.Candidates[0].Address) {
				t.Errorf("%s: the --server line to paste is missing: %s", f, r.stderr)
			}
		case r.code > 1:
			t.Errorf("%s: exit %d with a server and no damage: %s", f, r.code, r.stderr)
		}
	}
}

// TestGoldenWithoutServer: a capture with no server to infer, an empty
// capture and a damaged one, all without --server, in golden JSON and text.
func TestGoldenWithoutServer(t *testing.T) {
	for _, c := range []struct {
		name  string
		files []string
		code  int
	}{
		{"dns-only", []string{filepath.Join(pcapDir, "arkime_dns_udp.pcap")}, exitUsage},
		{"empty", []string{filepath.Join(goldenDir, "noserver", "empty.pcap")}, exitUsage},
		{"damaged", []string{filepath.Join(pcapDir, "suricata_corrupt_record_smtp.pcap")}, exitDamaged},
		// Two sites' servers show the same seven kinds: both are offered.
		{"two-servers", []string{filepath.Join(scenarioDir, "all-good.pcap"), "../../testdata/real/lab-site.pcap"}, exitUsage},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := flowverify(t, nil, append([]string{"analyze", "-q", "-f", "json", "--flows"}, c.files...)...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d: %s", r.code, c.code, r.stderr)
			}
			checkGoldenFile(t, filepath.Join(goldenDir, "noserver", c.name+".json"), normalize(t, r.stdout))
			txt := flowverify(t, nil, append([]string{"analyze", "-q"}, c.files...)...)
			out := txt.stdout
			for _, f := range c.files {
				out = strings.ReplaceAll(out, filepath.Dir(f)+"/", "")
			}
			checkGoldenFile(t, filepath.Join(goldenDir, "noserver", c.name+".text"), []byte(out))
		})
	}
	empty := flowverify(t, nil, "analyze", "-q", filepath.Join(goldenDir, "noserver", "empty.pcap"))
	if !strings.Contains(empty.stdout, "0 packets read") {
		t.Errorf("an empty capture must say so:\n%s", empty.stdout)
	}
}

// TestTextFitsWidth: no line of a text report is wider than 120 columns,
// on every testdata capture, with and without the flow list, and with
// the hosts of the goldens (long peer names). The input line is exempt:
// a path is the user's and cannot wrap.
func TestTextFitsWidth(t *testing.T) {
	runs := [][]string{
		{"-c", filepath.Join(goldenDir, "hosts", "site.yaml"), filepath.Join(scenarioDir, "dual-stack.pcap")},
		{"-c", "../../testdata/real/lab-hosts.yaml", "--flows", "../../testdata/real/lab-dual-stack.pcap"},
		{"-p", "threatmanager-3.0", filepath.Join(scenarioDir, "ipv6.pcap")},
	}
	for _, f := range testdataCaptures(t) {
		runs = append(runs, []string{f}, []string{"--flows", f})
	}
	for _, args := range runs {
		r := flowverify(t, nil, append([]string{"analyze", "-q", "-f", "text"}, args...)...)
		for i, line := range strings.Split(r.stdout, "\n") {
			if n := len([]rune(line)); n > 120 && !strings.HasPrefix(line, "Input:  ") {
				t.Errorf("%v line %d has %d columns: %s", args, i+1, n, line)
				break
			}
		}
	}
}
