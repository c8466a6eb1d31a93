package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowverify/flowverify/classifier/publish"
	"github.com/flowverify/flowverify/report"
)

// alertQueue is how many events a sink may have waiting; past it events
// are dropped and counted: an alert must never hold up the capture.
const alertQueue = 1000

// findingEvent says whether an event is a finding worth an alert (not the
// periodic summary or a reload).
func findingEvent(t report.EventType) bool {
	switch t {
	case report.EventFlowBlocked, report.EventUnexpectedSeen, report.EventRuleMissing, report.EventRuleBlocked,
		report.EventRuleRecovered, report.EventDropsRose, report.EventSnapshotFailed, report.EventScan:
		return true
	}
	return false
}

// alertSink delivers finding events to a webhook or a syslog collector on
// a goroutine of its own, with a bounded queue and retries.
type alertSink struct {
	name    string // "webhook" or "syslog"
	queue   chan report.Event
	send    func(report.Event) error
	retries []time.Duration
	metrics *publish.Metrics
	done    chan struct{}
	once    sync.Once

	sent, failed, dropped atomic.Int64
	closed                atomic.Bool
}

func newAlertSink(name string, send func(report.Event) error, retries []time.Duration, metrics *publish.Metrics) *alertSink {
	a := &alertSink{name: name, queue: make(chan report.Event, alertQueue), send: send, retries: retries, metrics: metrics, done: make(chan struct{})}
	go a.run()
	return a
}

// offer queues a finding; it never blocks.
func (a *alertSink) offer(e report.Event) {
	if !findingEvent(e.Type) || a.closed.Load() {
		return
	}
	select {
	case a.queue <- e:
	default:
		a.count(&a.dropped, "dropped")
	}
}

func (a *alertSink) count(n *atomic.Int64, outcome string) {
	n.Add(1)
	if a.metrics != nil {
		a.metrics.Alert(a.name, outcome)
	}
}

func (a *alertSink) run() {
	defer close(a.done)
	for e := range a.queue {
		err := a.send(e)
		for _, wait := range a.retries {
			if err == nil {
				break
			}
			time.Sleep(wait)
			err = a.send(e)
		}
		if err != nil {
			a.count(&a.failed, "failed")
			continue
		}
		a.count(&a.sent, "sent")
	}
}

// close stops taking events and waits a little for the queue to drain.
func (a *alertSink) close() {
	a.once.Do(func() {
		a.closed.Store(true)
		close(a.queue)
		select {
		case <-a.done:
		case <-time.After(10 * time.Second):
		}
	})
}

// summary says, for the final report, what did not get through.
func (a *alertSink) summary() string {
	if a.failed.Load() == 0 && a.dropped.Load() == 0 {
		return ""
	}
	return fmt.Sprintf("--%s: %d events sent, %d failed after retries, %d dropped (queue full)", a.name, a.sent.Load(), a.failed.Load(), a.dropped.Load())
}

// webhookSender posts each event as JSON.
func webhookSender(url string) func(report.Event) error {
	client := &http.Client{Timeout: 5 * time.Second}
	return func(e report.Event) error {
		body, _ := json.Marshal(e)
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return fmt.Errorf("HTTP %s", resp.Status)
		}
		return nil
	}
}

// syslogSender writes each event as an RFC 5424 message, the event's JSON
// as its text, over UDP (udp://HOST:PORT or HOST:PORT) or TCP
// (tcp://HOST:PORT, octet-counted framing as RFC 6587 gives it).
func syslogSender(target string) (func(report.Event) error, error) {
	network, addr := "udp", target
	if n, a, ok := strings.Cut(target, "://"); ok {
		network, addr = n, a
	}
	if network != "udp" && network != "tcp" {
		return nil, fmt.Errorf("--syslog %s: udp://HOST:PORT or tcp://HOST:PORT", target)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("--syslog %s: %w", target, err)
	}
	host, _ := os.Hostname()
	var mu sync.Mutex
	var conn net.Conn
	return func(e report.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if conn == nil {
			c, err := net.DialTimeout(network, addr, 5*time.Second)
			if err != nil {
				return err
			}
			conn = c
		}
		msg := syslogLine(e, host)
		if network == "tcp" {
			msg = fmt.Sprintf("%d %s", len(msg), msg)
		}
		conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(conn, msg); err != nil {
			conn.Close()
			conn = nil
			return err
		}
		return nil
	}, nil
}

// syslogLine is one RFC 5424 message: facility local0, severity warning
// for a failure, notice for the rest; MSGID the event type.
func syslogLine(e report.Event, host string) string {
	sev := 5
	switch e.Type {
	case report.EventFlowBlocked, report.EventRuleMissing, report.EventRuleBlocked, report.EventDropsRose, report.EventSnapshotFailed:
		sev = 4
	}
	body, _ := json.Marshal(e)
	if host == "" {
		host = "-"
	}
	return fmt.Sprintf("<%d>1 %s %s flowverify %d %s - %s", 16*8+sev, time.Now().UTC().Format(time.RFC3339Nano), host, os.Getpid(), e.Type, body)
}

// openAlerts starts the --webhook and --syslog sinks; the event writer
// hands them every event, and they keep the findings.
func (run *monitorRun) openAlerts() error {
	f := &run.f
	retries := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	if f.webhook != "" {
		if !strings.HasPrefix(f.webhook, "http://") && !strings.HasPrefix(f.webhook, "https://") {
			return fmt.Errorf("--webhook %s: want an http:// or https:// URL", f.webhook)
		}
		run.sinks = append(run.sinks, newAlertSink("webhook", webhookSender(f.webhook), retries, run.metrics))
	}
	if f.syslog != "" {
		send, err := syslogSender(f.syslog)
		if err != nil {
			return err
		}
		run.sinks = append(run.sinks, newAlertSink("syslog", send, retries, run.metrics))
	}
	for _, a := range run.sinks {
		run.events.Tap(a.offer)
		run.closers = append(run.closers, a.close)
	}
	return nil
}
