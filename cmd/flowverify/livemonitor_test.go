package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
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
