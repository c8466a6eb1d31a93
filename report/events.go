package report

import "github.com/flowverify/flowverify/classifier/matrix"

// Event types of the monitor's stream.
const (
	EventFlowBlocked    = "flow_blocked"
	EventUnexpectedSeen = "unexpected_first_seen"
	EventRuleMissing    = "rule_missing"
	EventRuleBlocked    = "rule_blocked"
	EventRuleRecovered  = "rule_recovered"
	EventDropsRose      = "drops_increased"
	EventSummary        = "summary"
	EventReload         = "matrix_reloaded"
	// EventSnapshotFailed: a --snapshot-interval rewrite of a report file
	// failed; the run goes on.
	EventSnapshotFailed = "snapshot_failed"
)

// Event is one finding as it happens. Metadata only.
type Event struct {
	Time      string                 `json:"time"`
	Type      string                 `json:"type"`
	Rule      string                 `json:"rule,omitempty"`
	Status    matrix.Status          `json:"status,omitempty"`
	Previous  matrix.Status          `json:"previous,omitempty"`
	Transport string                 `json:"transport,omitempty"`
	Initiator string                 `json:"initiator,omitempty"`
	Responder string                 `json:"responder,omitempty"`
	Direction matrix.Direction       `json:"direction,omitempty"`
	Port      int                    `json:"port,omitempty"`
	Peer      string                 `json:"peer,omitempty"`
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
