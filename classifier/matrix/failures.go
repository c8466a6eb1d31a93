package matrix

import (
	"fmt"
	"strings"

	"github.com/flowverify/flowverify/classifier/protocol"
)

// Failures is how a rule's attempts failed: what tells a firewall that
// drops (no answer) from a service that is down (refused) and from a
// router that says no (unreachable). Reports carry it per rule so that a
// merge can say it again.
type Failures struct {
	NoAnswer    int       `json:"no_answer,omitempty"`
	Refused     int       `json:"refused,omitempty"`
	Unreachable []Unreach `json:"unreachable,omitempty"`
}

// Unreach counts the attempts one ICMP message answered, by its sender.
type Unreach struct {
	V6       bool   `json:"icmp6,omitempty"`
	Type     uint8  `json:"icmp_type"`
	Code     uint8  `json:"icmp_code"`
	From     string `json:"from,omitempty"` // the router (or host) that sent it
	Attempts int    `json:"attempts"`
}

// maxUnreach bounds the distinct (message, sender) pairs kept per rule.
const maxUnreach = 16

// Total is the number of failed attempts.
func (f *Failures) Total() int {
	if f == nil {
		return 0
	}
	n := f.NoAnswer + f.Refused
	for _, u := range f.Unreachable {
		n += u.Attempts
	}
	return n
}

// AddUnreach counts n attempts answered by one ICMP message from a sender.
func (f *Failures) AddUnreach(u Unreach) {
	for i := range f.Unreachable {
		x := &f.Unreachable[i]
		if x.V6 == u.V6 && x.Type == u.Type && x.Code == u.Code && x.From == u.From {
			x.Attempts += u.Attempts
			return
		}
	}
	if len(f.Unreachable) == maxUnreach {
		u.From = "" // past the bound: counted, the sender no longer named
		f.Unreachable[maxUnreach-1].Attempts += u.Attempts
		return
	}
	f.Unreachable = append(f.Unreachable, u)
}

// Add folds another rule's failures in (a merge of reports).
func (f *Failures) Add(o *Failures) {
	if o == nil {
		return
	}
	f.NoAnswer += o.NoAnswer
	f.Refused += o.Refused
	for _, u := range o.Unreachable {
		f.AddUnreach(u)
	}
}

// Text says how the attempts failed, each way with its share of all the
// failed attempts: "refused by RST on 2 of 3 attempts; no answer to 1 of 3
// attempts". Attempts are connection attempts (flows), not packets.
func (f *Failures) Text() string {
	total := f.Total()
	if total == 0 {
		return ""
	}
	of := func(n int) string {
		if n == total {
			if n == 1 {
				return "the 1 attempt"
			}
			return fmt.Sprintf("all %d attempts", n)
		}
		return fmt.Sprintf("%d of %d attempts", n, total)
	}
	var parts []string
	if f.Refused > 0 {
		parts = append(parts, "refused by RST on "+of(f.Refused))
	}
	if f.NoAnswer > 0 {
		parts = append(parts, "no answer to "+of(f.NoAnswer))
	}
	for _, u := range f.Unreachable {
		parts = append(parts, fmt.Sprintf("unreachable: %s on %s", u.Why(), of(u.Attempts)))
	}
	return strings.Join(parts, "; ")
}

// Why names the message and its sender: "administratively prohibited
// (ICMP 3/13) from 10.20.0.1".
func (u Unreach) Why() string {
	s := unreachMeaning(u) + " (" + icmpLabel(u) + ")"
	if u.From != "" {
		s += " from " + u.From
	}
	return s
}

func icmpLabel(u Unreach) string {
	if u.V6 {
		return fmt.Sprintf("ICMPv6 %d/%d", u.Type, u.Code)
	}
	return fmt.Sprintf("ICMP %d/%d", u.Type, u.Code)
}

// unreachMeaning names a destination-unreachable message's code, by
// its number where the ICMP table has no name for it.
func unreachMeaning(u Unreach) string {
	if name := protocol.ICMPCodeName(u.V6, u.Type, u.Code); name != "" {
		return name
	}
	return fmt.Sprintf("code %d", u.Code)
}
