package matrix

import (
	"fmt"
	"github.com/flowverify/flowverify/internal/words"
	"strings"
)

// Status is a rule's verdict over a window (docs/design.md), also a
// peer's within a rule.
type Status string

// Rule statuses. The strings are part of the report schema.
const (
	StatusOK       Status = "ok"
	StatusPartial  Status = "partial"
	StatusBlocked  Status = "blocked"
	StatusMismatch Status = "mismatch"
	StatusMissing  Status = "missing"
	StatusNotSeen  Status = "not-seen"
	// StatusUnconfirmed: attempts were seen, but no flow showed the peer
	// answering (one direction only, a SYN/ACK with no SYN): whether the
	// rule works is unknown. Not a finding, never a pass.
	StatusUnconfirmed Status = "unconfirmed"
)

// Statuses lists every rule status.
func Statuses() []Status {
	return []Status{StatusOK, StatusPartial, StatusBlocked, StatusMismatch, StatusMissing, StatusNotSeen, StatusUnconfirmed}
}

// Failing says whether a rule in this status is a finding.
func (s Status) Failing() bool {
	switch s {
	case StatusMissing, StatusBlocked, StatusMismatch, StatusPartial:
		return true
	}
	return false
}

// Severity orders statuses from fine (0) to worst, for telling whether a
// rule got worse between two reports.
func (s Status) Severity() int {
	switch s {
	case StatusUnconfirmed:
		return 1
	case StatusPartial:
		return 2
	case StatusMismatch:
		return 3
	case StatusBlocked:
		return 4
	case StatusMissing:
		return 5
	}
	return 0
}

// Finding is a kind of finding: what --fail-on names and a report's
// summary counts.
type Finding string

// Finding kinds; a failing Status names its own kind.
const (
	FindingMissing    Finding = "missing"
	FindingBlocked    Finding = "blocked"
	FindingMismatch   Finding = "mismatch"
	FindingPartial    Finding = "partial"
	FindingUnexpected Finding = "unexpected"
)

// Findings lists every kind, in the order reports show them.
func Findings() []Finding {
	return []Finding{FindingMissing, FindingBlocked, FindingMismatch, FindingPartial, FindingUnexpected}
}

// FindingNames is Findings as strings.
func FindingNames() []string {
	var out []string
	for _, f := range Findings() {
		out = append(out, string(f))
	}
	return out
}

// Tally is what a rule's status is decided from: counts over its flows and
// peers.
type Tally struct {
	Required    bool
	Allowed     int // flows that worked
	Blocked     int // failed attempts
	Mismatch    int // flows speaking another protocol
	Unconfirmed int // attempts whose outcome the capture does not show
	// UnconfirmedPeers: peers whose attempts were all unconfirmed. One
	// working peer does not vouch for them, whether or not a role lists
	// them, so the same flows get the same status however the site is
	// described.
	UnconfirmedPeers int
	Unreached        int // peers seen only failing
	MissingPeers     int // peers a role lists one by one that were never tried
	// Failures says how the blocked attempts failed; nil when unknown
	// (a report from before it was kept).
	Failures *Failures
}

// RuleStatus decides a rule's status, the same way for an analysis and a
// merge of reports: any mismatch is a mismatch; allowed flows with peers
// that were never reached are partial; otherwise ok; failures are
// blocked; attempts whose outcome is unknown, and nothing else, leave it
// unconfirmed; nothing at all is missing when required, else not-seen.
func RuleStatus(t Tally) Status {
	switch {
	case t.Mismatch > 0:
		return StatusMismatch
	case t.Allowed > 0 && (t.Unreached > 0 || t.MissingPeers > 0):
		return StatusPartial
	case t.Allowed > 0 && t.UnconfirmedPeers > 0:
		return StatusUnconfirmed
	case t.Allowed > 0:
		return StatusOK
	case t.Blocked > 0:
		return StatusBlocked
	case t.Unconfirmed > 0:
		return StatusUnconfirmed
	case t.Required:
		return StatusMissing
	}
	return StatusNotSeen
}

// PeerStatus is a peer's status within a rule: ok once one flow to it
// worked; unconfirmed when it was seen only in attempts whose outcome the
// capture does not show; else blocked.
func PeerStatus(allowed, blocked, unconfirmed int) Status {
	switch {
	case allowed > 0:
		return StatusOK
	case blocked == 0 && unconfirmed > 0:
		return StatusUnconfirmed
	}
	return StatusBlocked
}

// StatusReason explains a rule's status in words; scope, when not empty,
// says where nothing was seen ("in any report"). seen lists the other
// protocols heard on a mismatched rule and expects the ones it accepts;
// either may be empty when the caller no longer knows them.
func StatusReason(s Status, t Tally, reached, flows int, seen, expects []string, scope string) string {
	switch s {
	case StatusMismatch:
		speak := "another protocol"
		if len(seen) > 0 {
			speak = strings.Join(seen, ", ")
		}
		r := fmt.Sprintf("%d of %s speak %s", t.Mismatch, words.Count(flows, "flow"), speak)
		if len(seen) > 0 {
			r += "; the rule expects " + strings.Join(expects, " or ")
		}
		return r
	case StatusPartial:
		r := fmt.Sprintf("%s reached, %d failed, %d never tried", words.Count(reached, "peer"), t.Unreached, t.MissingPeers)
		if how := t.Failures.Text(); how != "" {
			r += "; failed attempts: " + how
		}
		return r
	case StatusBlocked:
		if how := t.Failures.Text(); how != "" {
			return how
		}
		return words.Count(t.Blocked, "attempt") + ", none answered"
	case StatusUnconfirmed:
		if t.Allowed > 0 {
			return fmt.Sprintf("%s reached, %s seen with neither an answer nor a failure: whether the rule works with them is unknown",
				words.Count(reached, "peer"), words.Count(t.UnconfirmedPeers, "peer"))
		}
		return words.Count(t.Unconfirmed, "attempt") + " seen, but no flow shows the responder answering (no completed handshake, no reply from it), so whether the rule works is unknown"
	case StatusMissing:
		r := "required, and no attempt was seen"
		if scope != "" {
			r += " " + scope
		}
		return r
	}
	return ""
}
