package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMonitorQuietLinkInNamespaces runs the real monitor on one end of a
// veth pair between two network namespaces of its own, with a 20-second
// window and IPv6 off on both ends, so that after one syslog datagram the
// link carries no packet at all (no router solicitation, no neighbour
// discovery, no MLD). Two monitors watch the same link at once:
//
//   - one stopped after 5 s must not say CONFORMS: its summaries, live
//     page, metrics and final report say observing, and it exits 4;
//   - one left running through 30 s of silence must call the rules missing
//     on the wall clock: rule_missing for a rule never tried once one
//     window has passed, and for syslog-in, whose datagram was received,
//     one window after it (its flow idles out on the clock, the config
//     setting a 10 s UDP timeout); its final report calls them missing.
//
// Traffic stays inside the two namespaces. It skips where the machine
// forbids network namespaces, and under -short.
func TestMonitorQuietLinkInNamespaces(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: it watches 32 s of a quiet link on the wall clock")
	}
	id := labID()
	probe := "fv" + id + "-probe"
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		t.Skipf("this machine forbids network namespaces (this test needs them, and root): %v %s", err, out)
	}
	exec.Command("ip", "netns", "del", probe).Run()

	dir := t.TempDir()
	bin := cliBinary(t)
	srv, agent := "fv"+id+"-qs", "fv"+id+"-qa"
	dev := "fv" + id + "qs"
	sh := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, ns := range []string{srv, agent} {
		sh("ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		// Before the veth exists, so that its ends never get an IPv6
		// link-local address and never speak on their own.
		sh("ip", "netns", "exec", ns, "bash", "-c",
			"echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6")
	}
	sh("ip", "link", "add", dev, "netns", srv, "type", "veth", "peer", "name", "fv"+id+"qa", "netns", agent)
	sh("ip", "-n", srv, "addr", "add", "10.97.0.10/24", "dev", dev)
	sh("ip", "-n", agent, "addr", "add", "10.97.0.31/24", "dev", "fv"+id+"qa")
	sh("ip", "-n", srv, "link", "set", "lo", "up") // the live page's loopback, not watched
	sh("ip", "-n", srv, "link", "set", dev, "up")
	sh("ip", "-n", agent, "link", "set", "fv"+id+"qa", "up")

	// A syslog sink on the server, so the datagram is received rather than
	// refused by an ICMP port unreachable.
	sink := exec.Command("ip", "netns", "exec", srv, "python3", "-c",
		"import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('10.97.0.10',10000))\nprint('ready',flush=True)\nwhile True: s.recvfrom(65535)")
	sinkOut, _ := sink.StdoutPipe()
	if err := sink.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Process.Kill(); sink.Wait() })
	if line, _ := bufio.NewReader(sinkOut).ReadString('\n'); line != "ready\n" {
		t.Fatalf("the syslog sink did not start: %q", line)
	}

	cfg := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(cfg, []byte("flows:\n  udp_timeout: 10s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	type monitor struct {
		cmd                   *exec.Cmd
		stderr                strings.Builder
		events, report, shown string
	}
	start := func(name string, extra ...string) *monitor {
		m := &monitor{events: filepath.Join(dir, name+".jsonl"), report: filepath.Join(dir, name+".json"), shown: name}
		args := append([]string{"netns", "exec", srv, bin, "monitor", "-i", dev, "--server", "10.97.0.10", "-c", cfg,
			"--window", "20s", "--interval", "2s", "--events", m.events, "-o", m.report}, extra...)
		m.cmd = cliCommand("ip", args...)
		m.cmd.Stderr = &m.stderr
		if err := m.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if m.cmd.ProcessState == nil {
				m.cmd.Process.Kill()
				m.cmd.Wait()
			}
		})
		return m
	}
	short := start("short", "--http", "127.0.0.1:8097")
	// 32 s: the round comes a second in, and 31 s of silence follow.
	quiet := start("quiet", "--duration", "32s")
	time.Sleep(time.Second) // both capturing

	// The one round: a syslog datagram from the agent.
	sh("ip", "netns", "exec", agent, "bash", "-c", `echo "<13>1 - agent1 sbtfilemon - - - file written" > /dev/udp/10.97.0.10/10000`)

	// The live page and the metrics of the short run, after its first
	// evaluation: observing, never conforms.
	time.Sleep(2500 * time.Millisecond)
	curl := func(path string) string {
		out, _ := exec.Command("ip", "netns", "exec", srv, "curl", "-s", "http://127.0.0.1:8097"+path).Output()
		return string(out)
	}
	var page reportDoc
	if err := json.Unmarshal([]byte(curl("/report.json")), &page); err != nil || page.Summary.Verdict != "observing" {
		t.Errorf("live page report: verdict %q (%v), want observing", page.Summary.Verdict, err)
	}
	if html := curl("/"); !strings.Contains(html, "Observing") || !strings.Contains(html, "of 20s observed") || strings.Contains(html, "conforms to the matrix") {
		t.Errorf("live page does not say observing:\n%.600s", html)
	}
	if m := curl("/metrics"); !strings.Contains(m, `flowverify_verdict{verdict="observing"} 1`) || !strings.Contains(m, `flowverify_verdict{verdict="conforms"} 0`) ||
		!strings.Contains(m, "flowverify_window_observed_ratio 0.") {
		t.Errorf("metrics do not say observing:\n%s", grepLines(m, "flowverify_verdict", "flowverify_window_observed"))
	}

	// (a) Stopped after 5 s: observing, exit 4.
	time.Sleep(1500 * time.Millisecond)
	short.cmd.Process.Signal(syscall.SIGINT)
	short.cmd.Wait()
	if code := short.cmd.ProcessState.ExitCode(); code != exitInconclusive {
		t.Errorf("stopped after 5 s: exit %d, want %d (observing)\n%s", code, exitInconclusive, short.stderr.String())
	}
	if s := short.stderr.String(); strings.Contains(s, "CONFORMS") || strings.Contains(s, "all rules ok") || !strings.Contains(s, "Summary: OBSERVING (") {
		t.Errorf("stopped after 5 s, stderr does not say observing:\n%s", s)
	}
	d := readReport(t, short.report)
	if d.Summary.Verdict != "observing" {
		t.Errorf("final report after 5 s: verdict %s, want observing", d.Summary.Verdict)
	}
	if st, _ := d.ruleStatus("syslog-in"); st != "ok" {
		t.Errorf("syslog-in %s after its datagram was received, want ok", st)
	}
	summaries := 0
	for _, e := range readMonitorEvents(t, short.events) {
		if e.Type != "summary" {
			continue
		}
		summaries++
		if e.Verdict != "observing" {
			t.Errorf("summary event 5 s into a 20 s window: verdict %s, want observing", e.Verdict)
		}
		if at, err := time.Parse(time.RFC3339Nano, e.Time); err != nil || !strings.HasSuffix(e.Time, "Z") || time.Since(at) > time.Minute {
			t.Errorf("summary event time %q (%v), want the evaluation time in RFC 3339 UTC", e.Time, err)
		}
	}
	if summaries == 0 {
		t.Error("no summary event in 5 s at a 2 s interval")
	}

	// (b) Left silent: missing on the wall clock.
	if err := quiet.cmd.Wait(); quiet.cmd.ProcessState.ExitCode() != exitFindings {
		t.Fatalf("after 30 s of silence: exit %d (%v), want 1 (missing)\n%s", quiet.cmd.ProcessState.ExitCode(), err, quiet.stderr.String())
	}
	missing := map[string]string{}
	var when []string
	for _, e := range readMonitorEvents(t, quiet.events) {
		if e.Type == "rule_missing" {
			missing[e.Rule] = e.Previous
			when = append(when, e.Rule+"@"+e.Time)
		}
	}
	t.Logf("rule_missing: %s", strings.Join(when, " "))
	if _, ok := missing["amqp-in"]; !ok {
		t.Errorf("no rule_missing for amqp-in, never tried in 32 s of a 20 s window: %v", missing)
	}
	if prev, ok := missing["syslog-in"]; !ok || prev != "ok" {
		t.Errorf("rule_missing for syslog-in: %v (previous %q), want it, after ok", ok, prev)
	}
	d = readReport(t, quiet.report)
	for _, id := range []string{"syslog-in", "amqp-in"} {
		if st, reason := d.ruleReason(t, id); st != "missing" {
			t.Errorf("final report after the silence: %s %s (%s), want missing", id, st, reason)
		}
	}
	if d.Summary.Verdict != "findings" {
		t.Errorf("final report after the silence: verdict %s, want findings", d.Summary.Verdict)
	}
	// The premise: nothing but the one round crossed the link (the
	// datagram and the ARP exchange before it).
	if len(d.Inputs) != 1 || d.Inputs[0].Packets > 3 {
		t.Errorf("the link was not silent: %+v", d.Inputs)
	} else {
		t.Logf("the quiet monitor captured %d packets in 32 s", d.Inputs[0].Packets)
	}
}

// monitorEvent is what this test reads of an event.
type monitorEvent struct{ Time, Type, Rule, Previous, Verdict, Reason string }

func readMonitorEvents(t *testing.T, name string) []monitorEvent {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out []monitorEvent
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e monitorEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%s: event %q: %v", name, line, err)
		}
		out = append(out, e)
	}
	return out
}

func readReport(t *testing.T, name string) reportDoc {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var d reportDoc
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return d
}

// grepLines keeps the lines of s that start with one of the prefixes.
func grepLines(s string, prefixes ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
