package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputKeepsTheTerminal: with -o the summary and "wrote PATH" reach
// stderr; the text report reaches stdout only when -f or -o - asks.
func TestOutputKeepsTheTerminal(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(scenarioDir, "firewall-9389.pcap")
	out := filepath.Join(dir, "r.json")
	r := flowverify(t, nil, "analyze", "-q", "-o", out, file)
	if r.stdout != "" || !strings.Contains(r.stderr, "Summary: FINDINGS") || !strings.Contains(r.stderr, "wrote "+out) {
		t.Errorf("-o alone: stdout %q, stderr %q; want the summary and the path on stderr only", r.stdout, r.stderr)
	}
	os.Remove(out)
	r = flowverify(t, nil, "analyze", "-q", "-o", out, "-f", "text", file)
	if !strings.Contains(r.stdout, "RULE") || !strings.Contains(r.stderr, "wrote "+out) {
		t.Errorf("-o with -f text: stdout %q, stderr %q; want the report on stdout too", r.stdout, r.stderr)
	}
	os.Remove(out)
	r = flowverify(t, nil, "analyze", "-q", "-o", out, "-o", "-", file)
	if !strings.Contains(r.stdout, "RULE") {
		t.Errorf("-o -: stdout %q; want the text report", r.stdout)
	}
}

// TestZipArchiveInputs: a customer's zip of two captures is analysed as
// the two files given one by one: each member an input named
// archive.zip:member, the same rule statuses.
func TestZipArchiveInputs(t *testing.T) {
	a, b := filepath.Join(scenarioDir, "all-good.pcap"), filepath.Join(scenarioDir, "firewall-9389.pcap")
	archive := filepath.Join(t.TempDir(), "customer.zip")
	f, _ := os.Create(archive)
	zw := zip.NewWriter(f)
	for _, name := range []string{a, b} {
		data, _ := os.ReadFile(name)
		w, _ := zw.Create(filepath.Base(name))
		w.Write(data)
	}
	zw.Close()
	f.Close()
	zipped, r := analyzeJSON(t, "-s", "10.20.0.10", archive)
	files, rf := analyzeJSON(t, "-s", "10.20.0.10", a, b)
	if r.code != rf.code || len(zipped.Inputs) != 2 || zipped.Inputs[0].Name != archive+":all-good.pcap" || zipped.Inputs[1].Name != archive+":firewall-9389.pcap" {
		t.Fatalf("exit %d, inputs %+v", r.code, zipped.Inputs)
	}
	for _, rule := range files.Rules {
		if st, _ := zipped.rule(t, rule.ID); st != rule.Status {
			t.Errorf("%s: %s from the zip, %s from the files", rule.ID, st, rule.Status)
		}
	}
}

// TestSameFileTwiceIsReadOnce: a capture named twice (here once through a
// symlink) is read once, with a warning, not counted double.
func TestSameFileTwiceIsReadOnce(t *testing.T) {
	file, _ := filepath.Abs(filepath.Join(scenarioDir, "all-good.pcap"))
	link := filepath.Join(t.TempDir(), "again.pcap")
	if err := os.Symlink(file, link); err != nil {
		t.Skip(err)
	}
	once, _ := analyzeJSON(t, file)
	twice, r := analyzeJSON(t, file, link)
	if twice.Summary.Flows != once.Summary.Flows || twice.Summary.Packets != once.Summary.Packets {
		t.Errorf("given twice: %d flows, %d packets; once: %d, %d", twice.Summary.Flows, twice.Summary.Packets, once.Summary.Flows, once.Summary.Packets)
	}
	if !strings.Contains(r.stderr, "the same file as") || len(twice.Inputs) != 2 || len(twice.Inputs[1].Warnings) == 0 {
		t.Errorf("no warning: %s %+v", r.stderr, twice.Inputs)
	}
}
