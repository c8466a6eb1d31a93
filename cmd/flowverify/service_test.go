package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnit: configs/flowverify.service passes systemd-analyze
// verify without a warning (with ExecStart pointed at a freshly built
// binary, since verify checks that it runs), and keeps the monitor
// unprivileged: its own user, only the capture capabilities, no new
// privileges, a read-only system, its state and logs in directories
// systemd makes for it.
func TestSystemdUnit(t *testing.T) {
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze is missing (Debian package systemd; make test-deps installs it)")
	}
	unit, err := os.ReadFile("../../configs/flowverify.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DynamicUser=yes", "User=flowverify", "AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN",
		"CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN", "NoNewPrivileges=yes", "ProtectSystem=strict",
		"StateDirectory=flowverify", "LogsDirectory=flowverify", "ExecReload=/bin/kill -HUP $MAINPID"} {
		if !strings.Contains(string(unit), "\n"+want+"\n") {
			t.Errorf("the unit lacks %s", want)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "flowverify")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v %s", err, out)
	}
	local := filepath.Join(dir, "flowverify.service")
	os.WriteFile(local, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/flowverify", bin)), 0o644)
	out, err := exec.Command(tool, "verify", local).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
