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
	bin := cliBinary(t)
	// The monitor drops root after opening its handles: its reports go to
	// a directory the unprivileged user may write.
	outDir, err := os.MkdirTemp("", "flowverify-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(outDir) })
	os.Chmod(outDir, 0o777)
	// As the service runs it: the unit's unprivileged user (nobody stands
	// in for systemd's dynamic one where no systemd runs), a live page,
	// alerts to a webhook and a syslog collector (receivers on the
	// server's loopback, in the lab), snapshots every 5 s, and events in
	// the logs directory that logrotate would rotate.
	ns := "fv" + id + "-tm"
	reportFile, events := filepath.Join(outDir, "report.json"), filepath.Join(outDir, "events.jsonl")
	exec.Command("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up").Run()
	stopReceivers := labReceivers(t, ns, outDir)
	mon := cliCommand("ip", "netns", "exec", ns, bin, "monitor", "-i", "e0", "--duration", "40s", "--interval", "5s",
		"--window", "2m", "--events", events, "-o", reportFile, "--server", "10.99.0.10", "--user", "nobody",
		"--http", "127.0.0.1:8099", "--webhook", "http://127.0.0.1:8098/alerts", "--syslog", "udp://127.0.0.1:5514",
		"--snapshot-interval", "5s")
	var stderr strings.Builder
	mon.Stderr = &stderr
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	run("traffic")
	livePageAfterDrop(t, ns, outDir)
	if st, err := os.Stat(reportFile); err != nil || st.Size() == 0 {
		t.Errorf("no snapshot of %s while the monitor runs: %v", reportFile, err)
	} else if data, _ := os.ReadFile(reportFile); !json.Valid(data) {
		t.Errorf("the snapshot is not whole JSON")
	}
	// logrotate without copytruncate: the file moves, SIGHUP, and what
	// comes next (the reload event, the final summary) is in a new file.
	if err := os.Rename(events, events+".1"); err != nil {
		mon.Process.Kill()
		mon.Wait()
		t.Fatalf("%v; the monitor said:\n%s", err, stderr.String())
	}
	mon.Process.Signal(syscall.SIGHUP)
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
	seen := map[string]int{}
	for _, name := range []string{events + ".1", events} {
		evs := readEvents(t, name)
		if len(evs) == 0 {
			t.Errorf("%s holds no events", name)
		}
		for _, ev := range evs {
			seen[ev.Type+"/"+ev.Rule]++
			if ev.Type == "rule_blocked" && !strings.HasPrefix(ev.Reason, "no answer to ") {
				t.Errorf("rule_blocked says %q, want how it failed (no answer)", ev.Reason)
			}
		}
		if name == events {
			if n := len(evs); n == 0 || evs[0].Type != "matrix_reloaded" || evs[n-1].Type != "summary" {
				t.Errorf("after the HUP the new events file holds %+v, want the reload first and the summary last", evs)
			}
		}
	}
	if seen["flow_blocked/adws-out"] != 1 || seen["unexpected_first_seen/"] != 1 || seen["rule_blocked/adws-out"] != 1 || seen["summary/"] < 1 {
		t.Errorf("events %v: want one flow_blocked, one unexpected_first_seen and one rule_blocked", seen)
	}
	stopReceivers()
	hooks := readEvents(t, filepath.Join(outDir, "webhook.jsonl"))
	syslogLines, _ := os.ReadFile(filepath.Join(outDir, "syslog.log"))
	blocked := 0
	for _, ev := range hooks {
		if ev.Type == "rule_blocked" && ev.Rule == "adws-out" {
			blocked++
		}
	}
	if blocked != 1 {
		t.Errorf("the webhook received rule_blocked for adws-out %d times, want once: %+v", blocked, hooks)
	}
	if n := strings.Count(string(syslogLines), `"type":"rule_blocked"`); n != 1 || !strings.Contains(string(syslogLines), "adws-out") {
		t.Errorf("the syslog collector received rule_blocked %d times, want once:\n%s", n, syslogLines)
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
type labEvent struct{ Type, Rule, Reason string }

func readEvents(t *testing.T, name string) []labEvent {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Error(err)
		return nil
	}
	defer f.Close()
	var out []labEvent
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev labEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Errorf("%s: event %q: %v", name, sc.Text(), err)
			continue
		}
		out = append(out, ev)
	}
	return out
}

// labReceivers runs, on the loopback of namespace ns, an HTTP receiver
// for --webhook (each POST body a line of dir/webhook.jsonl) and a UDP
// syslog collector (each datagram a line of dir/syslog.log).
func labReceivers(t *testing.T, ns, dir string) (stop func()) {
	t.Helper()
	const script = `
import http.server, socket, sys, threading
d = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(d + "/webhook.jsonl", "ab") as f:
            f.write(body.rstrip(b"\n") + b"\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 5514))
    while True:
        b, _ = s.recvfrom(65535)
        with open(d + "/syslog.log", "ab") as f:
            f.write(b.rstrip(b"\n") + b"\n")
threading.Thread(target=udp, daemon=True).start()
http.server.HTTPServer(("127.0.0.1", 8098), H).serve_forever()
`
	cmd := exec.Command("ip", "netns", "exec", ns, "python3", "-c", script, dir)
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cmd.Process.Kill()
			cmd.Wait()
			if errb.Len() > 0 {
				t.Logf("receivers: %s", errb.String())
			}
		}
	}
	t.Cleanup(stop)
	return stop
}

// livePageAfterDrop waits until the live page's report calls adws-out
// blocked, then has headless Chromium, in the server's namespace, render
// the page: the DOM holds the blocked 9389 row, and the screenshot of it
// is kept beside the reports (named in the log).
func livePageAfterDrop(t *testing.T, ns, dir string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, _ := exec.Command("ip", "netns", "exec", ns, "curl", "-s", "http://127.0.0.1:8099/report.json").Output()
		var d reportDoc
		if json.Unmarshal(out, &d) == nil {
			if st, _ := d.ruleStatus("adws-out"); st == "blocked" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("the live page never called adws-out blocked: %.300s", out)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is missing (make test-deps installs it)")
	}
	args := []string{"netns", "exec", ns, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + filepath.Join(dir, "chromium"),
		"--window-size=1400,2000"}
	shot := filepath.Join(dir, "live-page.png")
	if out, err := exec.Command("ip", append(args, "--screenshot="+shot, "http://127.0.0.1:8099/")...).CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
		t.Errorf("screenshot of the live page: %v %v", st, err)
	}
	// E2E_SCREENSHOTS=DIR keeps it past the test (a CI artifact; not
	// FLOWVERIFY_*, which the monitor would read as configuration).
	if keep := os.Getenv("E2E_SCREENSHOTS"); keep != "" {
		if data, err := os.ReadFile(shot); err == nil && os.MkdirAll(keep, 0o755) == nil {
			shot = filepath.Join(keep, "live-page.png")
			os.WriteFile(shot, data, 0o644)
		}
	}
	t.Logf("live page after the drop: %s", shot)
	dom, err := exec.Command("ip", append(args, "--dump-dom", "http://127.0.0.1:8099/")...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	if !regexp.MustCompile(`(?s)adws-out.{0,400}9389.{0,400}blocked`).Match(dom) {
		t.Errorf("the rendered live page has no blocked adws-out 9389 row:\n%.2000s", dom)
	}
}

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
	bin := cliBinary(t)
	events, js, txt, pcaps := filepath.Join(dir, "ev.jsonl"), filepath.Join(dir, "r.json"), filepath.Join(dir, "r.txt"), filepath.Join(dir, "pcap")
	mon := cliCommand(bin, "monitor", "-i", "lo", "--events", events, "-o", js, "-o", txt, "--write-pcap", pcaps, "--interval", "200ms")
	var stderr strings.Builder
	mon.Stderr = &stderr
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	// A summary: capturing, and the signal handlers in place.
	waitUntil(t, "summary event", fileHolds(events, `"type":"summary"`))
	// Some loopback traffic: a refused TCP connection.
	exec.Command("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/1 || true").Run()
	mon.Process.Signal(syscall.SIGHUP)
	waitUntil(t, "reload event", fileHolds(events, `"type":"matrix_reloaded"`))
	mon.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- mon.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		mon.Process.Kill()
		t.Fatalf("monitor did not stop on SIGINT:\n%s", stderr.String())
	}
	// Seconds of a 15-minute window: no finding, and no pass either.
	if code := mon.ProcessState.ExitCode(); code != exitInconclusive {
		t.Fatalf("exit %d, want %d (observing):\n%s", code, exitInconclusive, stderr.String())
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
	if text, err := os.ReadFile(txt); err != nil || !strings.Contains(string(text), "Summary: OBSERVING (") {
		t.Fatalf("final text report (%v) does not say observing:\n%s", err, text)
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
