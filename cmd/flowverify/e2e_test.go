package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEndToEndLiveLab runs flowverify monitor live inside the lab's server
// namespace while real servers (slapd, krb5kdc, Samba AD, PostgreSQL,
// RabbitMQ, HTTP) answer and a firewall drops 9389, then checks the final
// report and the event stream. make test-deps installs the lab's packages
// (scripts/deps.txt); this test installs nothing and fails, naming the
// package, when one is missing. It skips only where the machine forbids
// network namespaces. Each run has a lab of its own (LAB_ID), so two runs
// at once do not meet.
func TestEndToEndLiveLab(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	id := labID()
	probe := "fv" + id + "-probe"
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		t.Skipf("this machine forbids network namespaces (the lab needs them, and root): %v %s", err, out)
	}
	exec.Command("ip", "netns", "del", probe).Run()
	lab := "../../scripts/lab.sh"
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(lab, args...)
		cmd.Env = append(os.Environ(), "LAB_ID="+id)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("LAB_ID=%s lab.sh %s: %v\n%s", id, strings.Join(args, " "), err, out)
		}
	}
	run("check")
	t.Cleanup(func() {
		cmd := exec.Command(lab, "down")
		cmd.Env = append(os.Environ(), "LAB_ID="+id)
		cmd.Run()
	})
	run("up")

	dir := t.TempDir()
	bin := filepath.Join(dir, "flowverify")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// The monitor drops root after opening its handles: its reports go to
	// a directory the unprivileged user may write.
	outDir, err := os.MkdirTemp("", "flowverify-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(outDir) })
	os.Chmod(outDir, 0o777)
	reportFile, events := filepath.Join(outDir, "report.json"), filepath.Join(dir, "events.jsonl")
	mon := exec.Command("ip", "netns", "exec", "fv"+id+"-tm", bin, "monitor", "-i", "e0", "--duration", "35s", "--interval", "10s",
		"--window", "2m", "--events", events, "-o", reportFile, "--server", "10.99.0.10", "--user", "nobody")
	var stderr strings.Builder
	mon.Stderr = &stderr
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	run("traffic")
	if out, err := exec.Command("pgrep", "-f", bin+" monitor").Output(); err != nil {
		t.Errorf("cannot find the monitor process to check its user: %v", err)
	} else {
		pid := strings.Fields(string(out))[0]
		status, _ := os.ReadFile("/proc/" + pid + "/status")
		if !regexp.MustCompile(`(?m)^Uid:\s+65534\s`).Match(status) {
			t.Errorf("the monitor still runs as root:\n%s", status)
		}
	}
	err = mon.Wait()
	if code := mon.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("monitor exit %d (%v), want 1 (findings):\n%s", code, err, stderr.String())
	}
	data, err := os.ReadFile(reportFile)
	if err != nil {
		t.Fatal(err)
	}
	var d reportDoc
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{
		"syslog-in": "ok", "amqp-in": "ok", "console-8080": "ok", "postgresql-out": "ok", "kerberos-out": "ok",
		"rpc-epm-out": "ok", "ldap-out": "ok", "rpc-dynamic-out": "ok", "action-service-out": "ok", "adws-out": "blocked",
	} {
		if got, _ := d.rule(t, id); got != want {
			t.Errorf("%s = %s, want %s", id, got, want)
		}
	}
	if len(d.Blocked) == 0 || d.Blocked[0].Rule != "adws-out" || d.Blocked[0].Reason != "no-answer" {
		t.Errorf("blocked %+v", d.Blocked)
	}
	found := false
	for _, u := range d.Unexpected {
		found = found || (u.Port == 3268 && u.Peer == "10.99.0.21")
	}
	if !found {
		t.Errorf("the injected unexpected flow to 3268 is not listed: %+v", d.Unexpected)
	}
	f, err := os.Open(events)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev struct{ Type, Rule, Reason string }
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("event %q: %v", sc.Text(), err)
		}
		seen[ev.Type+"/"+ev.Rule]++
		if ev.Type == "rule_blocked" && !strings.HasPrefix(ev.Reason, "no answer to ") {
			t.Errorf("rule_blocked says %q, want how it failed (no answer)", ev.Reason)
		}
	}
	if seen["flow_blocked/adws-out"] != 1 || seen["unexpected_first_seen/"] != 1 || seen["rule_blocked/adws-out"] != 1 {
		t.Errorf("events %v: want one flow_blocked, one unexpected_first_seen and one rule_blocked", seen)
	}

	// The dual-stack round, recorded on the server and judged with the
	// lab's hosts named once: every row that works is ok.
	dual := filepath.Join(dir, "dual.pcap")
	run("record-dual", dual, "3")
	checkLabDualStack(t, dual)
}

// checkLabDualStack judges a capture of lab.sh's dual-stack round with
// testdata/real/lab-hosts.yaml: every row that works is ok whichever
// family it used, adws-out (dropped by the DC's firewall) is blocked,
// nothing is unexpected (neighbour discovery is infrastructure), and
// --server auto finds both of the server's addresses.
func checkLabDualStack(t *testing.T, file string) {
	t.Helper()
	d, r := analyzeJSON(t, "-c", "../../testdata/real/lab-hosts.yaml", file)
	if r.code != 1 {
		t.Fatalf("analyze with the lab's hosts: exit %d %s", r.code, r.stderr)
	}
	for id, want := range map[string]string{
		"syslog-in": "ok", "amqp-in": "ok", "console-8080": "ok", "postgresql-out": "ok", "kerberos-out": "ok",
		"rpc-epm-out": "ok", "ldap-out": "ok", "rpc-dynamic-out": "ok", "action-service-out": "ok", "adws-out": "blocked",
		"access-analyzer-8080": "not-seen",
	} {
		if got, _ := d.rule(t, id); got != want {
			t.Errorf("%s = %s, want %s", id, got, want)
		}
	}
	if len(d.Unexpected) != 0 || d.Summary.Infra == 0 {
		t.Errorf("unexpected %+v, %d infrastructure packets; want none unexpected and the neighbour discovery counted", d.Unexpected, d.Summary.Infra)
	}
	auto, _ := analyzeJSON(t, file)
	if got := strings.Join(auto.Server.Addresses, ","); got != "10.99.0.10,fd00:99::10" {
		t.Errorf("--server auto: %s (%v), want both of the server's addresses", got, auto.Server.Evidence)
	}
}

// labID names this run's lab after the test process: pids are unique among
// running processes and fit lab.sh's six characters (Linux's pid_max is
// at most 2^22).
func labID() string { return fmt.Sprintf("%x", os.Getpid()) }

// TestMonitorSignals checks the stop and reload paths on the loopback
// interface: SIGHUP reloads the matrix (an event says so), SIGINT stops and
// writes the final report in every requested format, and --write-pcap
// leaves a capture that analyze reads.
func TestMonitorSignals(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("live capture needs root")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "flowverify")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	events, js, txt, pcaps := filepath.Join(dir, "ev.jsonl"), filepath.Join(dir, "r.json"), filepath.Join(dir, "r.txt"), filepath.Join(dir, "pcap")
	mon := exec.Command(bin, "monitor", "-i", "lo", "--events", events, "-o", js, "-o", txt, "--write-pcap", pcaps, "--interval", "1s")
	var stderr strings.Builder
	mon.Stderr = &stderr
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	// Some loopback traffic: a refused TCP connection.
	exec.Command("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/1 || true").Run()
	mon.Process.Signal(syscall.SIGHUP)
	time.Sleep(1500 * time.Millisecond)
	mon.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- mon.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		mon.Process.Kill()
		t.Fatalf("monitor did not stop on SIGINT:\n%s", stderr.String())
	}
	if code := mon.ProcessState.ExitCode(); code > 1 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
	ev, _ := os.ReadFile(events)
	if !strings.Contains(string(ev), `"type":"matrix_reloaded"`) {
		t.Errorf("no reload event:\n%s", ev)
	}
	var d reportDoc
	data, err := os.ReadFile(js)
	if err != nil || json.Unmarshal(data, &d) != nil || d.Schema != "flowverify/report/v1" {
		t.Fatalf("final JSON report: %v", err)
	}
	if text, err := os.ReadFile(txt); err != nil || !strings.Contains(string(text), "Summary:") {
		t.Fatalf("final text report: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(pcaps, "*.pcapng"))
	if len(files) != 1 {
		t.Fatalf("--write-pcap files: %v", files)
	}
	r := flowverify(t, nil, "analyze", "--server", "127.0.0.1", "--fail-on", "none", files[0])
	if r.code != 0 || !strings.Contains(r.stdout, "Summary:") {
		t.Fatalf("analyze of the recorded pcapng: %d %s", r.code, r.stderr)
	}
}

// TestMonitorRefusesPlantedEventsLink: running as root, --events must not
// append through a symlink someone planted at its path.
func TestMonitorRefusesPlantedEventsLink(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("live capture needs root")
	}
	dir := t.TempDir()
	victim, link := filepath.Join(dir, "victim"), filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	r := flowverify(t, nil, "monitor", "-i", "lo", "--events", link, "--duration", "1s", "--server", "127.0.0.1")
	if r.code != exitUsage || !strings.Contains(r.stderr, "events.jsonl") {
		t.Errorf("exit %d, stderr %q: want exit 2 naming the events file", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the victim was written: %q", b)
	}
}
