package matrix

import "testing"

func TestFailuresText(t *testing.T) {
	fw := Unreach{Type: 3, Code: 13, From: "10.20.0.1", Attempts: 1}
	cases := []struct {
		name string
		f    Failures
		want string
	}{
		{"none", Failures{}, ""},
		{"one refused", Failures{Refused: 1}, "refused by RST on the 1 attempt"},
		{"all unanswered", Failures{NoAnswer: 3}, "no answer to all 3 attempts"},
		{"a firewall", Failures{Unreachable: []Unreach{fw}}, "unreachable: administratively prohibited (ICMP 3/13) from 10.20.0.1 on the 1 attempt"},
		{"ICMPv6, no sender", Failures{Unreachable: []Unreach{{V6: true, Type: 1, Code: 4, Attempts: 2}}}, "unreachable: port unreachable (ICMPv6 1/4) on all 2 attempts"},
		{"a mix", Failures{Refused: 2, NoAnswer: 1, Unreachable: []Unreach{fw}},
			"refused by RST on 2 of 4 attempts; no answer to 1 of 4 attempts; unreachable: administratively prohibited (ICMP 3/13) from 10.20.0.1 on 1 of 4 attempts"},
		{"an unnamed code", Failures{Unreachable: []Unreach{{Type: 3, Code: 7, Attempts: 1}}}, "unreachable: code 7 (ICMP 3/7) on the 1 attempt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.f.Text(); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

// TestFailuresBounded: past maxUnreach distinct senders the attempts are
// still counted, the senders no longer named.
func TestFailuresBounded(t *testing.T) {
	var f Failures
	for i := 0; i < 100; i++ {
		f.AddUnreach(Unreach{Type: 3, Code: 13, From: string(rune('a'+i%26)) + "x", Attempts: 1})
	}
	f.AddUnreach(Unreach{Type: 3, Code: 13, From: "ax", Attempts: 1})
	if len(f.Unreachable) != maxUnreach || f.Total() != 101 {
		t.Errorf("%d entries, %d attempts; want %d and 101", len(f.Unreachable), f.Total(), maxUnreach)
	}
	var sum Failures
	sum.Add(&f)
	sum.Add(&Failures{Refused: 2})
	if sum.Total() != 103 {
		t.Errorf("merged %d, want 103", sum.Total())
	}
}
