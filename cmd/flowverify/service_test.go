package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/report"
)

// TestSystemdUnit: configs/flowverify.service passes systemd-analyze
// verify without a warning (with ExecStart pointed at this test
// binary, since verify checks that an executable is there), and keeps the monitor
// unprivileged: its own user, only the capture capabilities, no new
// privileges, a read-only system, its state and logs in directories
// systemd makes for it.
func TestSystemdUnit(t *testing.T) {
	analyze := tool(t, "systemd-analyze", "systemd")
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
	bin := cliBinary(t)
	local := filepath.Join(dir, "flowverify.service")
	os.WriteFile(local, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/flowverify", bin)), 0o644)
	out, err := exec.Command(analyze, "verify", local).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestServiceOutsideWindows: 'flowverify service' says, off Windows,
// what to use instead, with the usage status.
func TestServiceOutsideWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the real thing runs there")
	}
	for _, sub := range []string{"install", "status", "start", "stop", "uninstall"} {
		r := flowverify(t, nil, "service", sub)
		if r.code != exitUsage || !strings.Contains(r.stderr, "configs/flowverify.service") {
			t.Errorf("service %s: exit %d %q", sub, r.code, r.stderr)
		}
	}
}

// TestEventLogIDs: every finding kind has its own Event Log id, the ids
// are the ones the README lists, and an entry's text names the rule, the
// peer and the reason.
func TestEventLogIDs(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uint32]string{}
	for typ, id := range eventLogIDs {
		if other, dup := seen[id]; dup {
			t.Errorf("id %d is both %s and %s", id, typ, other)
		}
		seen[id] = typ
		if row := fmt.Sprintf("| %d | `%s` |", id, typ); !strings.Contains(string(readme), row) {
			t.Errorf("the README does not list %q", row)
		}
	}
	for _, typ := range []string{report.EventRuleMissing, report.EventRuleBlocked, report.EventRuleRecovered, report.EventUnexpectedSeen, report.EventDropsRose} {
		if eventLogIDs[typ] == 0 {
			t.Errorf("%s has no Event Log id", typ)
		}
	}
	got := eventLogText(report.Event{Type: report.EventRuleBlocked, Rule: "adws-out", Status: "blocked", Previous: "ok", Reason: "no answer to all 3 attempts"})
	if want := "rule_blocked rule=adws-out status=blocked previous=ok: no answer to all 3 attempts"; got != want {
		t.Errorf("entry %q, want %q", got, want)
	}
}
