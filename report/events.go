package report

import (
	"fmt"

	"github.com/flowverify/flowverify/classifier/matrix"
)

// EventType is what an Event tells. Its text is part of the event
// stream's schema.
type EventType uint8

// Event types of the monitor's stream.
const (
	EventFlowBlocked EventType = iota + 1
	EventUnexpectedSeen
	EventRuleMissing
	EventRuleBlocked
	EventRuleRecovered
	EventDropsRose
	EventSummary
	EventReload
	// EventSnapshotFailed: a --snapshot-interval rewrite of a report file
	// failed; the run goes on.
	EventSnapshotFailed
	// EventScan: a host crossed the scan limits (site.scan); its line is
	// the reason, and its unexpected flows raise no events of their own.
	EventScan
)

var eventNames = [...]string{0: "", EventFlowBlocked: "flow_blocked", EventUnexpectedSeen: "unexpected_first_seen",
	EventRuleMissing: "rule_missing", EventRuleBlocked: "rule_blocked", EventRuleRecovered: "rule_recovered",
	EventDropsRose: "drops_increased", EventSummary: "summary", EventReload: "matrix_reloaded", EventSnapshotFailed: "snapshot_failed",
	EventScan: "scan_detected"}

func (t EventType) String() string {
	if int(t) < len(eventNames) {
		return eventNames[t]
	}
	return fmt.Sprintf("event(%d)", uint8(t))
}

// MarshalText writes the type's name.
func (t EventType) MarshalText() ([]byte, error) {
	if int(t) >= len(eventNames) {
		return nil, fmt.Errorf("no event type %d", uint8(t))
	}
	return []byte(eventNames[t]), nil
}

// UnmarshalText reads a type's name, as an event stream read back
// writes it.
func (t *EventType) UnmarshalText(b []byte) error {
	for k, name := range eventNames {
		if name == string(b) {
			*t = EventType(k)
			return nil
		}
	}
	return fmt.Errorf("%q is not an event type", b)
}

// Event is one finding as it happens. Metadata only.
type Event struct {
	Time      string           `json:"time"`
	Type      EventType        `json:"type"`
	Rule      string           `json:"rule,omitempty"`
	Status    matrix.Status    `json:"status,omitempty"`
	Previous  matrix.Status    `json:"previous,omitempty"`
	Transport string           `json:"transport,omitempty"`
	Initiator string           `json:"initiator,omitempty"`
	Responder string           `json:"responder,omitempty"`
	Direction matrix.Direction `json:"direction,omitempty"`
	Port      int              `json:"port,omitempty"`
	Peer      string           `json:"peer,omitempty"`
	// Host is the site's name for Peer (its hosts: map), "" when none.
	Host      string                 `json:"host,omitempty"`
	Protocol  string                 `json:"protocol,omitempty"`
	Reason    string                 `json:"reason,omitempty"`
	Hint      string                 `json:"hint,omitempty"`
	Interface string                 `json:"interface,omitempty"`
	Drops     uint64                 `json:"drops,omitempty"`
	Findings  map[matrix.Finding]int `json:"findings,omitempty"`
	Verdict   matrix.Outcome         `json:"verdict,omitempty"`
	// Folded, on an event whose peer is "(others)": how many further
	// events of its type and direction it stands for (a scan or a flood
	// past the per-interval limit).
	Folded int `json:"folded,omitempty"`
}
