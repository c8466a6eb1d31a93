package report

import (
	"bufio"
	"strings"
	"testing"
)

// TestTextPortOnlyRules: the text report counts the rules judged by port
// and direction alone from their protocol counts, and drops their
// evidence line for the one line that says it of them all; a note that
// merely reads like it is a note like any other.
func TestTextPortOnlyRules(t *testing.T) {
	type rule struct {
		flows     int
		protocols map[string]int
		evidence  []string
	}
	cases := []struct {
		name   string
		rules  []rule
		count  string   // the closing line's count; "" when there is none
		shown  []string // notes printed
		hidden []string // lines not printed
	}{
		{"port only", []rule{{3, map[string]int{"unknown": 3}, []string{EvidencePortOnly}}}, "1 rule", nil, []string{EvidencePortOnly}},
		{"two port only", []rule{{3, map[string]int{"unknown": 3}, []string{EvidencePortOnly}}, {1, map[string]int{"unknown": 1}, []string{EvidencePortOnly}}},
			"2 rules", nil, []string{EvidencePortOnly}},
		{"confirmed", []rule{{3, map[string]int{"ldap": 3}, nil}}, "", nil, nil},
		{"some confirmed", []rule{{3, map[string]int{"unknown": 1, "ldap": 2}, nil}}, "", nil, nil},
		{"no flows", []rule{{0, map[string]int{}, nil}}, "", nil, nil},
		// The old test read the words: this note was counted and hidden.
		{"a note worded alike", []rule{{2, map[string]int{"ldap": 2}, []string{"protocol not confirmed by the vendor on this port"}}},
			"", []string{"protocol not confirmed by the vendor on this port"}, nil},
		// Decided from the counts: an edited evidence list changes nothing.
		{"port only, line edited out", []rule{{2, map[string]int{"unknown": 2}, []string{"2 flows attributed through learned endpoints"}}},
			"1 rule", []string{"2 flows attributed through learned endpoints"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &Report{}
			for i, rr := range c.rules {
				r.Rules = append(r.Rules, Rule{ID: string(rune('a' + i)), Flows: rr.flows, Protocols: rr.protocols, Evidence: rr.evidence})
			}
			var b strings.Builder
			w := bufio.NewWriter(&b)
			textWriter{w}.rules(r)
			w.Flush()
			out := b.String()
			line := "judged by port and direction alone: no application protocol confirmed)"
			if got := strings.Contains(out, line); got != (c.count != "") || c.count != "" && !strings.Contains(out, "("+c.count+" "+line) {
				t.Errorf("want the count %q:\n%s", c.count, out)
			}
			for _, s := range c.shown {
				if !strings.Contains(out, s) {
					t.Errorf("note %q not shown:\n%s", s, out)
				}
			}
			for _, s := range c.hidden {
				if strings.Contains(out, s) {
					t.Errorf("%q shown:\n%s", s, out)
				}
			}
		})
	}
}
