package matrix

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestJudgeRule: a rule's status and reason, in the scope of its report,
// from the tally of its flows and peers.
func TestJudgeRule(t *testing.T) {
	blocked := &Failures{NoAnswer: 2, Refused: 1}
	for _, c := range []struct {
		name   string
		f      RuleFacts
		status Status
		reason string // a part of the reason; "" wants none
	}{
		{"no server judges nothing", RuleFacts{Tally: Tally{Required: true, Blocked: 3}, Complete: true}, StatusNotSeen, ""},
		{"worked", RuleFacts{Tally: Tally{Allowed: 4, reached: 1}, Judged: true, Complete: true, Flows: 4}, StatusOK, ""},
		{"mismatch outranks all", RuleFacts{Tally: Tally{Allowed: 3, Mismatch: 1, unreached: 1}, Judged: true, Complete: true, Flows: 4,
			Seen: []string{"http (1)"}, Expects: []string{"ldap", "kerberos"}}, StatusMismatch, "1 of 4 flows speak http (1); the rule expects ldap or kerberos"},
		{"mismatch in a merge names no protocol", RuleFacts{Tally: Tally{Mismatch: 2}, Judged: true, Complete: true, Flows: 2}, StatusMismatch, "2 of 2 flows speak another protocol"},
		{"partial", RuleFacts{Tally: Tally{Allowed: 1, reached: 1, unreached: 1, MissingPeers: 2, Failures: blocked}, Judged: true, Complete: true},
			StatusPartial, "1 peer reached, 1 failed, 2 never tried; failed attempts: refused by RST on 1 of 3 attempts"},
		{"blocked says how", RuleFacts{Tally: Tally{Blocked: 3, unreached: 1, Failures: blocked}, Judged: true, Complete: true}, StatusBlocked, "no answer to 2 of 3 attempts"},
		{"blocked from an old report", RuleFacts{Tally: Tally{Blocked: 2}, Judged: true, Complete: true}, StatusBlocked, "2 attempts, none answered"},
		{"unconfirmed peers beside a working one", RuleFacts{Tally: Tally{Allowed: 1, reached: 1, unconfirmedPeers: 2}, Judged: true, Complete: true},
			StatusUnconfirmed, "1 peer reached, 2 peers seen with neither"},
		{"only unconfirmed attempts", RuleFacts{Tally: Tally{Unconfirmed: 1}, Judged: true, Complete: true}, StatusUnconfirmed, "1 attempt seen"},
		{"required, never tried", RuleFacts{Tally: Tally{Required: true}, Judged: true, Complete: true}, StatusMissing, "required, and no attempt was seen"},
		{"missing in a merge", RuleFacts{Tally: Tally{Required: true}, Judged: true, Complete: true, Scope: "in any report"}, StatusMissing, "no attempt was seen in any report"},
		{"optional, never tried", RuleFacts{Judged: true, Complete: true}, StatusNotSeen, ""},
		{"not missing before a full window", RuleFacts{Tally: Tally{Required: true}, Judged: true, Observed: 2500 * time.Millisecond, Window: time.Minute},
			StatusNotSeen, "missing only after a full window (3s of 1m0s observed)"},
		{"nor in a merge of such monitors", RuleFacts{Tally: Tally{Required: true}, Judged: true, Scope: "in any report"},
			StatusNotSeen, "no attempt yet in any report, and none has observed a full window"},
		{"a failure is certain before a full window", RuleFacts{Tally: Tally{Required: true, Blocked: 1}, Judged: true}, StatusBlocked, "1 attempt, none answered"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, reason := JudgeRule(c.f)
			if s != c.status {
				t.Errorf("status %s, want %s", s, c.status)
			}
			if c.reason == "" && reason != "" || !strings.Contains(reason, c.reason) {
				t.Errorf("reason %q, want %q", reason, c.reason)
			}
		})
	}
}

func TestCountPeer(t *testing.T) {
	var tl Tally
	for _, s := range []Status{PeerStatus(1, 3, 0), PeerStatus(0, 2, 0), PeerStatus(0, 0, 1), PeerStatus(0, 1, 1), PeerStatus(2, 0, 0)} {
		tl.CountPeer(s)
	}
	if tl.reached != 2 || tl.unreached != 2 || tl.unconfirmedPeers != 1 {
		t.Errorf("reached %d, unreached %d, unconfirmed %d; want 2, 2, 1", tl.reached, tl.unreached, tl.unconfirmedPeers)
	}
}

func TestCountFindings(t *testing.T) {
	statuses := []Status{StatusOK, StatusBlocked, StatusBlocked, StatusUnconfirmed, StatusNotSeen, StatusPartial}
	want := map[Finding]int{FindingMissing: 0, FindingBlocked: 2, findingMismatch: 0, findingPartial: 1, FindingUnexpected: 7, FindingScan: 2}
	if got := CountFindings(statuses, 7, 2); !reflect.DeepEqual(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	if n := CountUnconfirmed(statuses); n != 1 {
		t.Errorf("%d unconfirmed, want 1", n)
	}
}

// TestWorse: what a diff calls a rule that got worse.
func TestWorse(t *testing.T) {
	for _, c := range []struct {
		before, after Status
		worse         bool
	}{
		{StatusOK, StatusBlocked, true},
		{StatusBlocked, StatusOK, false},
		{StatusPartial, StatusMismatch, true},
		{StatusMissing, StatusBlocked, false},
		{StatusOK, StatusUnconfirmed, true},
		{StatusNotSeen, StatusOK, false},
		{"", StatusOK, false},
		{"", StatusNotSeen, false},
		{"", StatusPartial, true},
		{StatusOK, "", true},
	} {
		if got := Worse(c.before, c.after); got != c.worse {
			t.Errorf("%q -> %q: worse %v, want %v", c.before, c.after, got, c.worse)
		}
	}
	if AttemptsShown(StatusUnconfirmed, 0) != 1 || AttemptsShown(StatusUnconfirmed, 4) != 4 || AttemptsShown(StatusMissing, 0) != 0 {
		t.Error("AttemptsShown")
	}
}

// TestFindingText: a finding kind is its name in a report's JSON, as a
// map key and read back; a name that is no kind is an error.
func TestFindingText(t *testing.T) {
	js, err := json.Marshal(map[Finding]int{FindingUnexpected: 2, FindingBlocked: 1})
	if err != nil || string(js) != `{"blocked":1,"unexpected":2}` {
		t.Fatalf("%s, %v", js, err)
	}
	var back map[Finding]int
	if err := json.Unmarshal(js, &back); err != nil || back[FindingUnexpected] != 2 || back[FindingBlocked] != 1 {
		t.Errorf("read back %v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"late":1}`), &back); err == nil {
		t.Error("an unknown kind read back")
	}
	for _, s := range Statuses() {
		k, ok := s.finding()
		if ok != s.Failing() || ok && k.String() != string(s) {
			t.Errorf("status %s: finding %v, %v", s, k, ok)
		}
	}
}

// A report read back with an unknown finding word names the words it
// could have been, as a list, and the closest of them.
func TestFindingUnmarshalNamesTheWords(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Finding
		err  string // "" wants none
	}{
		{"blocked", FindingBlocked, ""},
		{"partial", findingPartial, ""},
		{"blokced", 0, `"blokced" is not a finding kind (one of: missing, blocked, mismatch, partial, unexpected, scan); did you mean blocked?`},
		{"unexpect", 0, `"unexpect" is not a finding kind (one of: missing, blocked, mismatch, partial, unexpected, scan); did you mean unexpected?`},
		{"everything", 0, `"everything" is not a finding kind (one of: missing, blocked, mismatch, partial, unexpected, scan)`},
	} {
		var f Finding
		err := json.Unmarshal([]byte(`"`+c.in+`"`), &f)
		switch {
		case c.err == "" && (err != nil || f != c.want):
			t.Errorf("%s: %v, %v; want %v", c.in, f, err, c.want)
		case c.err != "" && (err == nil || err.Error() != c.err):
			t.Errorf("%s: error %v\nwant %s", c.in, err, c.err)
		}
	}
}
