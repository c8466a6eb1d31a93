package main

import (
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readOnlyDir returns a directory no file can be created in, even by
// root: a read-only tmpfs when the test runs as root, else mode 0500.
func readOnlyDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
			t.Skipf("cannot mount a read-only tmpfs as root here: %v %s", err, out)
		}
		t.Cleanup(func() { exec.Command("umount", dir).Run() })
	}
	return dir
}

// TestOutputCheckedBeforeReading: an -o that cannot be written fails at
// once, naming the user's path, before the first packet is read. The
// input is a FIFO that nothing writes to: reading it would block.
func TestOutputCheckedBeforeReading(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "capture.pcap")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	ro := readOnlyDir(t)
	isDir := filepath.Join(t.TempDir(), "r.json")
	if err := os.Mkdir(isDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, out, want string }{
		{"read-only directory", filepath.Join(ro, "r.json"), "cannot create a file in " + ro},
		{"missing directory", filepath.Join(t.TempDir(), "nope", "r.json"), "does not exist"},
		{"a directory", isDir, "is a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan result, 1)
			go func() { done <- flowverify(t, nil, "analyze", "-q", "-o", c.out, fifo) }()
			select {
			case r := <-done:
				if r.code != exitUsage || !strings.Contains(r.stderr, "--output "+c.out) || !strings.Contains(r.stderr, c.want) {
					t.Errorf("exit %d, stderr %q; want exit 2 naming %s (%s)", r.code, r.stderr, c.out, c.want)
				}
				if strings.Contains(r.stderr, ".r.json.") || strings.Contains(r.stderr, "probe") {
					t.Errorf("the error names a temporary file: %s", r.stderr)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("analyze waited on the input: -o was not checked first")
			}
		})
	}
}

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
