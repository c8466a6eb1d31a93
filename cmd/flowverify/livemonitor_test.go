package main

import (
	"bytes"
	"context"
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
	"time"
)

// liveMonitor is a monitor run in this process on a real interface. The
// test stops it, as Ctrl-C would, once it has seen what it waits for,
// rather than sit out a --duration chosen to be long enough.
type liveMonitor struct {
	cancel context.CancelFunc
	done   chan result
	once   sync.Once
	res    result
}

// startMonitor runs flowverify monitor with args until stop.
func startMonitor(t *testing.T, args ...string) *liveMonitor {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	m := &liveMonitor{cancel: cancel, done: make(chan result, 1)}
	go func() {
		var out, errb bytes.Buffer
		code := runContext(ctx, append([]string{"monitor"}, args...), &out, &errb, nil)
		m.done <- result{code, out.String(), errb.String()}
	}()
	t.Cleanup(func() { m.stop() })
	return m
}

// stop ends the run and returns how it ended.
func (m *liveMonitor) stop() result {
	m.cancel()
	m.once.Do(func() { m.res = <-m.done })
	return m.res
}

// waitFor polls cond until it holds; the run ending first fails the test,
// with what the monitor said.
func (m *liveMonitor) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitUntil(t, what, func() bool {
		select {
		case r := <-m.done:
			m.once.Do(func() { m.res = r })
			t.Fatalf("the monitor ended (exit %d) before %s:\n%s", r.code, what, r.stderr)
		default:
		}
		return cond()
	})
}

// waitUntil polls cond every 50 ms. The minute is no expectation of speed,
// only how long a test that would otherwise hang may run.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still no %s after a minute", what)
		}
	}
}

// fileHolds says whether the file at path exists and contains s.
func fileHolds(path, s string) func() bool {
	return func() bool {
		data, err := os.ReadFile(path)
		return err == nil && strings.Contains(string(data), s)
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
	// os.Process.Signal, not syscall.Kill: the file builds on Windows,
	// where the test skips.
	self, _ := os.FindProcess(os.Getpid())
	if err := self.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
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
