package matrix

import (
	"fmt"
	"strings"
	"time"

	"github.com/flowverify/flowverify/internal/words"
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
	_, ok := s.finding()
	return ok
}

// severity orders statuses from fine (0) to worst.
func (s Status) severity() int {
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

// Worse says whether a rule got worse from a baseline report to a
// current one, which a diff calls a regression. An empty status is a
// report without the rule: a rule that appears is worse unless it is
// fine, and a rule that is gone is worse, since it can no longer be
// checked.
func Worse(before, after Status) bool {
	switch {
	case after == "":
		return true
	case before == "":
		return after.severity() > 0
	}
	return after.severity() > before.severity()
}

// AttemptsShown is how many unconfirmed attempts a rule's reported
// count and status show together (a merge adds them up): a status of
// unconfirmed says attempts were seen even when the count is absent, so
// that a sum never forgets them and calls the rule missing.
func AttemptsShown(s Status, unconfirmed int) int {
	if s == StatusUnconfirmed && unconfirmed == 0 {
		return 1
	}
	return unconfirmed
}

// Finding is a kind of finding: what --fail-on names and a report's
// summary counts. Its text is part of the report schema.
type Finding uint8

// Finding kinds, in the order reports show them; a failing Status is a
// finding of its own kind (Status.Finding).
const (
	FindingMissing Finding = iota + 1
	FindingBlocked
	findingMismatch
	findingPartial
	FindingUnexpected
	// FindingScan: a host that probed many ports or hosts, mostly
	// unanswered (Site.Scan); its unexpected flows fold into it.
	FindingScan
)

var findingNames = [...]string{FindingMissing: "missing", FindingBlocked: "blocked", findingMismatch: "mismatch",
	findingPartial: "partial", FindingUnexpected: "unexpected", FindingScan: "scan"}

// Findings lists every kind, in the order reports show them.
func Findings() []Finding {
	return []Finding{FindingMissing, FindingBlocked, findingMismatch, findingPartial, FindingUnexpected, FindingScan}
}

func (f Finding) String() string {
	if int(f) < len(findingNames) && findingNames[f] != "" {
		return findingNames[f]
	}
	return fmt.Sprintf("finding(%d)", uint8(f))
}

// MarshalText writes the kind's name; only the kinds above have one.
func (f Finding) MarshalText() ([]byte, error) {
	if int(f) >= len(findingNames) || findingNames[f] == "" {
		return nil, fmt.Errorf("no finding kind %d", uint8(f))
	}
	return []byte(findingNames[f]), nil
}

// UnmarshalText reads a kind's name, as a report read back writes it.
func (f *Finding) UnmarshalText(b []byte) error {
	k, ok := parseFinding(string(b))
	if !ok {
		known := findingNames[1:]
		return fmt.Errorf("%q is not a finding kind (one of: %s)%s", b, strings.Join(known, ", "), words.DidYouMean(string(b), known))
	}
	*f = k
	return nil
}

// parseFinding reads a kind's name.
func parseFinding(name string) (Finding, bool) {
	for _, k := range Findings() {
		if findingNames[k] == name {
			return k, true
		}
	}
	return 0, false
}

// finding is the kind of finding a rule in this status is; false when
// the status is no finding.
func (s Status) finding() (Finding, bool) {
	switch s {
	case StatusMissing:
		return FindingMissing, true
	case StatusBlocked:
		return FindingBlocked, true
	case StatusMismatch:
		return findingMismatch, true
	case StatusPartial:
		return findingPartial, true
	}
	return 0, false
}

// CountFindings counts a report's findings by kind, every kind present:
// a failing rule status is a finding of its own kind, and each
// unexpected group one of kind unexpected, each scanner one of kind scan.
func CountFindings(statuses []Status, unexpected, scans int) map[Finding]int {
	out := map[Finding]int{}
	for _, k := range Findings() {
		out[k] = 0
	}
	for _, s := range statuses {
		if k, ok := s.finding(); ok {
			out[k]++
		}
	}
	out[FindingUnexpected] = unexpected
	out[FindingScan] = scans
	return out
}

// CountUnconfirmed counts the rules whose status is unconfirmed: what
// keeps a report without findings from conforming (Facts).
func CountUnconfirmed(statuses []Status) int {
	n := 0
	for _, s := range statuses {
		if s == StatusUnconfirmed {
			n++
		}
	}
	return n
}

// Tally is what a rule's status is decided from: counts over its flows and
// peers.
type Tally struct {
	Required    bool
	Allowed     int // flows that worked
	Blocked     int // failed attempts
	Mismatch    int // flows speaking another protocol
	Unconfirmed int // attempts whose outcome the capture does not show
	// unconfirmedPeers: peers whose attempts were all unconfirmed. One
	// working peer does not vouch for them, whether or not a role lists
	// them, so the same flows get the same status however the site is
	// described.
	unconfirmedPeers int
	reached          int // peers reached at least once
	unreached        int // peers seen only failing
	MissingPeers     int // peers a role lists one by one that were never tried
	// Failures says how the blocked attempts failed; nil when unknown
	// (a report from before it was kept).
	Failures *Failures
}

// CountPeer counts one of the rule's peers by its status (PeerStatus).
func (t *Tally) CountPeer(s Status) {
	switch s {
	case StatusOK:
		t.reached++
	case StatusBlocked:
		t.unreached++
	case StatusUnconfirmed:
		t.unconfirmedPeers++ // not known to fail, nor to work
	}
}

// RuleStatus is the status the traffic shows, the same way for an
// analysis and a merge of reports: any mismatch is a mismatch; allowed
// flows with peers that were never reached are partial; otherwise ok;
// failures are blocked; attempts whose outcome is unknown, and nothing
// else, leave it unconfirmed; nothing at all is missing when required,
// else not-seen. JudgeRule puts it in the report's scope.
func RuleStatus(t Tally) Status {
	switch {
	case t.Mismatch > 0:
		return StatusMismatch
	case t.Allowed > 0 && (t.unreached > 0 || t.MissingPeers > 0):
		return StatusPartial
	case t.Allowed > 0 && t.unconfirmedPeers > 0:
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

// RuleFacts is a rule's tally in the scope of its report: whether
// anything was judged, whether the report covers a full window, and what
// its reason is worded from.
type RuleFacts struct {
	Tally Tally
	// Judged is false when no server was known: nothing is judged.
	Judged bool
	// Complete: the report covers its whole span (an analysis, or a
	// monitor past one full window), so an untried rule can be missing.
	Complete bool
	// Flows is how many flows the rule matched.
	Flows int
	// Seen lists the other protocols heard on a mismatched rule and
	// Expects the ones it accepts; either may be empty when the caller
	// no longer knows them (a merge).
	Seen, Expects []string
	// Scope, when not empty, says where nothing was seen ("in any
	// report"); it marks a merge.
	Scope string
	// Observed of Window: how far a monitor is into its first window.
	Observed, Window time.Duration
}

// JudgeRule decides a rule's status and says why, for an analysis, a
// monitor window and a merge alike: not judged without a server (its
// reason is the command's, which names the flag), a required rule never
// tried is not missing before a full window, else what the traffic shows.
func JudgeRule(f RuleFacts) (Status, string) {
	if !f.Judged {
		return StatusNotSeen, ""
	}
	s := RuleStatus(f.Tally)
	if s == StatusMissing && !f.Complete {
		if f.Scope != "" {
			return StatusNotSeen, "no attempt yet " + f.Scope + ", and none has observed a full window: missing only after one has"
		}
		return StatusNotSeen, fmt.Sprintf("no attempt yet; missing only after a full window (%s of %s observed)", f.Observed.Round(time.Second), f.Window)
	}
	return s, statusReason(s, f)
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

// statusReason explains a status the traffic shows in words.
func statusReason(s Status, f RuleFacts) string {
	t, flows, seen, expects, scope := f.Tally, f.Flows, f.Seen, f.Expects, f.Scope
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
		r := fmt.Sprintf("%s reached, %d failed, %d never tried", words.Count(t.reached, "peer"), t.unreached, t.MissingPeers)
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
				words.Count(t.reached, "peer"), words.Count(t.unconfirmedPeers, "peer"))
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
