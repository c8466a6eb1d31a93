package publish

import (
	"encoding/json"
	"io"
	"sync"

	"github.com/flowverify/flowverify/report"
)

// EventWriter writes events as JSON lines; safe for concurrent use.
type EventWriter struct {
	mu   sync.Mutex
	enc  *json.Encoder
	taps []func(report.Event) // also see every event (the live page, alerts)
}

// Tap has fn see every event written from now on, under the writer's
// lock: fn must not block.
func (e *EventWriter) Tap(fn func(report.Event)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.taps = append(e.taps, fn)
}

// NewEventWriter writes to w.
func NewEventWriter(w io.Writer) *EventWriter { return &EventWriter{enc: json.NewEncoder(w)} }

// Write emits one event.
func (e *EventWriter) Write(ev report.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, tap := range e.taps {
		tap(ev)
	}
	return e.enc.Encode(&ev)
}
