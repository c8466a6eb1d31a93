package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// TestMisspeltNames: a role, host or profile that nothing defines is an
// error with a did-you-mean, in a file as on a flag or in a variable.
func TestMisspeltNames(t *testing.T) {
	file := filepath.Join(scenarioDir, "all-good.pcap")
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte("roles:\n  domain-controler: [10.20.0.21]\n"), 0o644)
	extends := filepath.Join(dir, "extends.yaml")
	os.WriteFile(extends, []byte("extends: threatmanager-30\n"), 0o644)
	ruleRole := filepath.Join(dir, "rule.yaml")
	os.WriteFile(ruleRole, []byte("rules:\n  - {id: ldap-out, role: [domain-controler]}\n"), 0o644)
	for _, c := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"role in a file", nil, []string{"-c", typo}, "typo.yaml:2: roles.domain-controler: role \"domain-controler\" is used by no rule"},
		{"role on a flag", nil, []string{"--role", "domain-controler=10.1.1.1"}, "did you mean domain-controllers?"},
		{"role in a variable", []string{"FLOWVERIFY_ROLES_DOMAIN_CONTROLER=10.1.1.1"}, nil, "did you mean FLOWVERIFY_ROLES_DOMAIN_CONTROLLERS?"},
		{"role of a rule", nil, []string{"-c", ruleRole}, "role \"domain-controler\" is not defined under roles; did you mean domain-controllers?"},
		{"profile on a flag", nil, []string{"-p", "threatmanger"}, "did you mean threatmanager?"},
		{"profile in a file", nil, []string{"-c", extends}, "did you mean threatmanager-3.0?"},
		{"host in a role", nil, []string{"--host", "dc1=10.20.0.21", "--role", "domain-controllers=dc2"}, "no host \"dc2\" (known: dc1); did you mean dc1?"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := flowverify(t, c.env, append(append([]string{"analyze", "-q"}, c.args...), file)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, c.want)
			}
			if c.name == "role in a file" && !strings.Contains(r.stderr, "did you mean domain-controllers?") {
				t.Errorf("no did-you-mean: %s", r.stderr)
			}
		})
	}
}

// TestHelpListsWhatEachCommandUses: commands that read no traffic take
// no judging flags; defaults and formats are shown; interfaces has a
// header.
func TestHelpListsWhatEachCommandUses(t *testing.T) {
	for _, cmd := range []string{"rules", "firewall"} {
		h := flowverify(t, nil, cmd, "--help").stdout
		for _, flag := range []string{"--fail-on", "--max-flows", "--server", "infer them from the traffic"} {
			if strings.Contains(h, flag) {
				t.Errorf("%s --help offers %s, which it does not use", cmd, flag)
			}
		}
		if r := flowverify(t, nil, cmd, "--fail-on", "all"); r.code != exitUsage {
			t.Errorf("%s accepts --fail-on (exit %d)", cmd, r.code)
		}
	}
	fw := flowverify(t, nil, "firewall", "--help").stdout
	if !strings.Contains(fw, `(default "powershell")`) || !strings.Contains(fw, "[--syntax ") {
		t.Errorf("firewall --help does not show --syntax as optional with its default:\n%s", fw)
	}
	if m := flowverify(t, nil, "merge", "--help").stdout; !strings.Contains(m, "text|json|jsonl|junit|html|csv|flows-csv|markdown") {
		t.Errorf("merge --help does not list its formats:\n%s", m)
	}
	if r := flowverify(t, nil, "interfaces"); r.code == 0 && !strings.HasPrefix(r.stdout, "DEVICE") {
		t.Errorf("interfaces prints no header:\n%s", r.stdout)
	}
}

// TestMonitorNamesAMissingDevice: an interface that does not exist is "no
// such capture device" with the list and the closest name, with or
// without --server, before anything is opened.
func TestMonitorNamesAMissingDevice(t *testing.T) {
	if r := flowverify(t, nil, "interfaces"); r.code != 0 {
		t.Skipf("no capture devices to list here: %s", r.stderr)
	}
	for _, args := range [][]string{{"-i", "nosuch0"}, {"-i", "nosuch0", "--server", "10.0.0.1"}, {"-i", "lo", "-i", "nosuch0"}} {
		r := flowverify(t, nil, append([]string{"monitor", "--duration", "1s"}, args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, `no such capture device "nosuch0" (devices: `) {
			t.Errorf("%v: exit %d, %q", args, r.code, r.stderr)
		}
	}
}

// TestMonitorReopensEventsOnHUP: logrotate without copytruncate moves the
// events file and sends SIGHUP; the monitor then writes to a new file of
// the same name, and the moved one keeps what came before.
func TestMonitorReopensEventsOnHUP(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("capturing on lo needs root")
	}
	events := filepath.Join(t.TempDir(), "events.jsonl")
	m := startMonitor(t, "-i", "lo", "--server", "127.0.0.1", "--interval", "200ms", "--events", events)
	// A summary: the monitor runs and its SIGHUP handler is in place.
	m.waitFor(t, "summary in the events file", fileHolds(events, `"summary"`))
	if err := os.Rename(events, events+".1"); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	m.waitFor(t, "summary in a new events file", fileHolds(events, `"summary"`))
	r := m.stop()
	// Seconds of a 15-minute window: observing, exit 4.
	if r.code != exitInconclusive || !strings.Contains(r.stderr, "--events reopened") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	before, _ := os.ReadFile(events + ".1")
	after, err := os.ReadFile(events)
	if err != nil || !strings.Contains(string(before), `"summary"`) || strings.Contains(string(before), `"matrix_reloaded"`) ||
		!strings.Contains(string(after), `"matrix_reloaded"`) {
		t.Errorf("before the move %q, after %q (%v)", before, after, err)
	}
}

// TestMonitorSnapshots: with -o and --snapshot-interval the report file
// exists, complete, while the monitor still runs.
func TestMonitorSnapshots(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("capturing on lo needs root")
	}
	out := filepath.Join(t.TempDir(), "tm.json")
	m := startMonitor(t, "-i", "lo", "--server", "127.0.0.1", "--interval", "200ms", "--snapshot-interval", "200ms", "-o", out)
	m.waitFor(t, "snapshot while the monitor runs", func() bool {
		_, err := os.Stat(out)
		return err == nil
	})
	if data, _ := os.ReadFile(out); !strings.Contains(string(data), `"schema": "flowverify/report/v1"`) {
		t.Fatalf("a snapshot that is no report: %.200s", data)
	}
	if r := m.stop(); r.code != exitInconclusive {
		t.Errorf("exit %d, want %d (observing): %s", r.code, exitInconclusive, r.stderr)
	}
}

// TestVariableErrorsNameTheVariable: a bad value from FLOWVERIFY_* is
// blamed on the variable, not on the profile.
func TestVariableErrorsNameTheVariable(t *testing.T) {
	r := flowverify(t, []string{"FLOWVERIFY_FLOWS_MAX_FLOWS=abc"}, "analyze", "-q", filepath.Join(scenarioDir, "all-good.pcap"))
	if r.code != exitUsage || !strings.HasPrefix(r.stderr, "flowverify: environment: FLOWVERIFY_FLOWS_MAX_FLOWS:") {
		t.Errorf("exit %d, %q", r.code, r.stderr)
	}
}

// TestMonitorLivePage: --http serves the current report as HTML (with a
// refresh, no external resources), /report.json, the recent events
// newest first and the metrics, read-only.
func TestMonitorLivePage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("capturing on lo needs root")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	m := startMonitor(t, "-i", "lo", "--server", "127.0.0.1", "--interval", "1s", "--http", addr,
		"--events", filepath.Join(t.TempDir(), "ev.jsonl"))
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	m.waitFor(t, "report on the live page", func() bool {
		code, body := get("/report.json")
		return code == 200 && strings.Contains(body, `"schema": "flowverify/report/v1"`)
	})
	code, page := get("/")
	if code != 200 || !strings.Contains(page, `<meta http-equiv="refresh" content="1">`) || !strings.Contains(page, "<svg") ||
		strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Errorf("page: %d, refresh %v, diagram %v", code, strings.Contains(page, "refresh"), strings.Contains(page, "<svg"))
	}
	if code, evs := get("/events"); code != 200 || !strings.HasPrefix(strings.TrimSpace(evs), "[") || !strings.Contains(evs, `"summary"`) {
		t.Errorf("/events: %d %.200s", code, evs)
	}
	if code, m := get("/metrics"); code != 200 || !strings.Contains(m, "flowverify_") {
		t.Errorf("/metrics: %d", code)
	}
	if resp, err := http.Post("http://"+addr+"/", "text/plain", strings.NewReader("x")); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %v %v", err, resp)
	}
	if r := m.stop(); r.code != exitInconclusive {
		t.Errorf("exit %d, want %d (observing): %s", r.code, exitInconclusive, r.stderr)
	}
}

// TestMonitorAlerts: --webhook and --syslog receive every finding once
// (here the required rules that a one-second window on lo never saw),
// the webhook as JSON, the collector as RFC 5424 lines; summaries stay
// in the event stream.
func TestMonitorAlerts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("capturing on lo needs root")
	}
	var mu sync.Mutex
	hooks := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e struct{ Type, Rule string }
		json.NewDecoder(r.Body).Decode(&e)
		mu.Lock()
		hooks[e.Type+"/"+e.Rule]++
		mu.Unlock()
	}))
	defer srv.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	lines := make(chan string, 100)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			lines <- string(buf[:n])
		}
	}()
	// No traffic of its own: the wall clock fills the window on a quiet
	// lo, and the rules never tried become missing.
	m := startMonitor(t, "-i", "lo", "--server", "127.0.0.1", "--window", "500ms", "--interval", "200ms",
		"--webhook", srv.URL, "--syslog", "udp://"+pc.LocalAddr().String(), "--events", filepath.Join(t.TempDir(), "ev.jsonl"))
	m.waitFor(t, "rule_missing for syslog-in at the webhook", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return hooks["rule_missing/syslog-in"] > 0
	})
	// Stopped, the monitor has delivered every alert it will send.
	if r := m.stop(); r.code > 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if hooks["rule_missing/syslog-in"] != 1 || hooks["summary/"] != 0 {
		t.Errorf("webhook got %v; want each missing rule once and no summary", hooks)
	}
	got := 0
	for len(lines) > 0 {
		l := <-lines
		if !strings.HasPrefix(l, "<132>1 ") || !strings.Contains(l, " flowverify ") || !strings.Contains(l, `"type":"rule_missing"`) {
			t.Errorf("syslog line %q", l)
		}
		got++
	}
	if got != len(hooks) {
		t.Errorf("%d syslog lines for %d webhook posts", got, len(hooks))
	}
}
