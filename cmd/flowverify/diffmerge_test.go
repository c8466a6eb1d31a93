package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiffAndMergeExitStatuses runs the commands as a user does: the same
// day analysed with its hosts named and without is no regression (exit
// 0), and merging reports that judged nothing judges nothing (exit 2).
// report's tests go through the cases; this checks the exit statuses.
func TestDiffAndMergeExitStatuses(t *testing.T) {
	dir := t.TempDir()
	plain, named := filepath.Join(dir, "plain.json"), filepath.Join(dir, "named.json")
	if r := flowverify(t, nil, "analyze", "-s", "10.20.0.10", "-o", plain, sampleFile); r.code > 1 {
		t.Fatalf("analyze: %d %s", r.code, r.stderr)
	}
	if r := flowverify(t, nil, "analyze", "-s", "10.20.0.10", "--host", "agent1=10.20.1.31", "--host", "dc2=10.20.0.22",
		"-o", named, sampleFile); r.code > 1 {
		t.Fatalf("analyze --host: %d %s", r.code, r.stderr)
	}
	r := flowverify(t, nil, "diff", plain, named)
	if r.code != 0 || !strings.Contains(r.stdout, "agent1 (was 10.20.1.31)") || strings.Contains(r.stdout, "vanished") {
		t.Errorf("diff plain named: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// --baseline diffs the same way: with a baseline, only a regression
	// fails.
	if r := flowverify(t, nil, "analyze", "-s", "10.20.0.10", "--host", "agent1=10.20.1.31", "--baseline", plain, sampleFile); r.code != 0 || strings.Contains(r.stderr, "REGRESSION") {
		t.Errorf("--baseline: exit %d\n%s", r.code, r.stderr)
	}

	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	for out, in := range map[string]string{a: "arkime_dns_udp.pcap", b: "zeek_ntp.pcap"} {
		if r := flowverify(t, nil, "analyze", "-o", out, filepath.Join(pcapDir, in)); r.code != 2 {
			t.Fatalf("analyze %s: exit %d, want 2 (no server)", in, r.code)
		}
	}
	m := flowverify(t, nil, "merge", "-f", "json", a, b)
	var doc struct {
		Summary struct {
			Verdict  string         `json:"verdict"`
			Findings map[string]int `json:"findings"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(m.stdout), &doc); err != nil {
		t.Fatalf("merge: %v %s", err, m.stderr)
	}
	if m.code != 2 || doc.Summary.Verdict != "not-judged" || doc.Summary.Findings["missing"] != 0 {
		t.Errorf("merge of two reports without a server: exit %d, verdict %s, findings %v", m.code, doc.Summary.Verdict, doc.Summary.Findings)
	}
}
