//go:build !windows

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The -o checks that need a FIFO and a read-only mount, which Windows
// has neither of.

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
