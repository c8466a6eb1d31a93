package matrix

import "time"

// Outcome is a report's one-word answer (summary.verdict). It is decided
// in one place, Decide, for an analysis, a monitor window and a merge of
// reports alike, so the three can never disagree about the same evidence.
type Outcome string

// Outcomes. The strings are part of the report schema.
const (
	// OutcomeConforms: every rule's status is shown by the traffic and
	// none is a finding.
	OutcomeConforms Outcome = "conforms"
	// OutcomeFindings: at least one finding of any kind.
	OutcomeFindings Outcome = "findings"
	// OutcomeInconclusive: no finding, but some rule was tried and no
	// flow showed the peer answering, so whether it works is unknown.
	OutcomeInconclusive Outcome = "inconclusive"
	// OutcomeObserving: a monitor that has not yet observed one full
	// window; no finding so far, and a required rule that has not been
	// tried cannot be called missing yet.
	OutcomeObserving Outcome = "observing"
	// OutcomeNotJudged: no server was known, so nothing was judged.
	OutcomeNotJudged Outcome = "not-judged"
)

// Outcomes lists every outcome.
func Outcomes() []Outcome {
	return []Outcome{OutcomeConforms, OutcomeFindings, OutcomeInconclusive, OutcomeObserving, OutcomeNotJudged}
}

// Known says whether s is one of the outcomes.
func (o Outcome) Known() bool {
	for _, k := range Outcomes() {
		if o == k {
			return true
		}
	}
	return false
}

// Facts is what an outcome is decided from.
type Facts struct {
	// Judged is false when no server was known.
	Judged bool
	// Findings counts findings by kind (summary.findings).
	Findings map[Finding]int
	// Unconfirmed counts rules in status unconfirmed.
	Unconfirmed int
	// Observed and Window are set by a monitor: how much of its window
	// has been observed so far. Window 0 means the whole input was read
	// (analyze, merge), which is always complete.
	Observed, Window time.Duration
}

// Decide is the summary verdict: nothing judged without a server; any
// finding is findings (a failure seen is certain however short the run);
// with none, a monitor short of one full window is still observing, and
// rules whose attempts were never answered leave it inconclusive; only
// then does the traffic conform.
func Decide(f Facts) Outcome {
	if !f.Judged {
		return OutcomeNotJudged
	}
	for _, k := range Findings() {
		if f.Findings[k] > 0 {
			return OutcomeFindings
		}
	}
	if f.Window > 0 && f.Observed < f.Window {
		return OutcomeObserving
	}
	if f.Unconfirmed > 0 {
		return OutcomeInconclusive
	}
	return OutcomeConforms
}

// Exit statuses (docs/design.md, stable).
const (
	ExitConforms     = 0
	ExitFindings     = 1
	ExitNotJudged    = 2
	ExitDamaged      = 3
	ExitInconclusive = 4
)

// ExitStatus maps the facts of a report to the exit status. Damage
// outranks everything; then no server; a finding fails only when
// --fail-on (failsOn) counts its kind; with none counted, a monitor short
// of its window or a rule never answered is not a pass either (4).
func ExitStatus(f Facts, failsOn func(Finding) bool, damaged bool) int {
	if damaged {
		return ExitDamaged
	}
	if !f.Judged {
		return ExitNotJudged
	}
	for _, k := range Findings() {
		if f.Findings[k] > 0 && failsOn(k) {
			return ExitFindings
		}
	}
	if (f.Window > 0 && f.Observed < f.Window) || f.Unconfirmed > 0 {
		return ExitInconclusive
	}
	return ExitConforms
}
