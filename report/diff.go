package report

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"
)

// Read loads a JSON report and checks it against the schema (Parse).
func Read(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Decode(path, f)
}

// Diff is what changed between a baseline report and a current one.
type Diff struct {
	Schema         string       `json:"schema"`
	Baseline       MatrixInfo   `json:"baseline_matrix"`
	Current        MatrixInfo   `json:"current_matrix"`
	Rules          []RuleChange `json:"rules"`
	NewUnexpected  []Unexpected `json:"new_unexpected"`
	GoneUnexpected []Unexpected `json:"vanished_unexpected"`
	Peers          []PeerChange `json:"peers"`
	Regression     bool         `json:"regression"`
	Reasons        []string     `json:"reasons,omitempty"`
}

// RuleChange is a rule whose status moved.
type RuleChange struct {
	ID     string `json:"id"`
	Before string `json:"before"`
	After  string `json:"after"`
	Worse  bool   `json:"worse"`
}

// PeerChange is a peer that appeared on or vanished from a rule.
type PeerChange struct {
	Rule    string        `json:"rule"`
	Host    string        `json:"host,omitempty"`
	Address string        `json:"address,omitempty"`
	Change  string        `json:"change"` // "appeared" or "vanished"
	Status  matrix.Status `json:"status,omitempty"`
}

func unexpectedKey(u Unexpected) string {
	return fmt.Sprintf("%s/%s/%s/%s", u.Transport, u.Direction, u.Service(), u.Peer)
}

// SameMatrix says whether two reports were judged against the same
// profile; comparing across matrices mixes different expectations.
func SameMatrix(a, b *Report) bool {
	return a.Matrix.Profile == b.Matrix.Profile && a.Matrix.Name == b.Matrix.Name
}

// Compare builds the diff. A regression is a rule whose status got worse,
// a peer a rule no longer reaches, or an unexpected group that is new.
func Compare(base, cur *Report) Diff {
	d := Diff{Schema: "flowverify/diff/v1", Baseline: base.Matrix, Current: cur.Matrix,
		Rules: []RuleChange{}, NewUnexpected: []Unexpected{}, GoneUnexpected: []Unexpected{}, Peers: []PeerChange{}}
	before := map[string]Rule{}
	for _, r := range base.Rules {
		before[r.ID] = r
	}
	for _, r := range cur.Rules {
		b, ok := before[r.ID]
		if !ok {
			d.Rules = append(d.Rules, RuleChange{ID: r.ID, Before: "absent", After: string(r.Status), Worse: r.Status.Severity() > 0})
		} else if b.Status != r.Status {
			d.Rules = append(d.Rules, RuleChange{ID: r.ID, Before: string(b.Status), After: string(r.Status), Worse: r.Status.Severity() > b.Status.Severity()})
		}
		if ok {
			d.Peers = append(d.Peers, peerChanges(r.ID, b.Peers, r.Peers)...)
		}
		delete(before, r.ID)
	}
	for id, b := range before {
		// A rule that is gone can no longer be checked: a regression.
		d.Rules = append(d.Rules, RuleChange{ID: id, Before: string(b.Status), After: "absent", Worse: true})
	}
	sort.Slice(d.Rules, func(i, j int) bool { return d.Rules[i].ID < d.Rules[j].ID })
	seen := map[string]Unexpected{}
	for _, u := range base.Unexpected {
		seen[unexpectedKey(u)] = u
	}
	for _, u := range cur.Unexpected {
		k := unexpectedKey(u)
		if _, ok := seen[k]; ok {
			delete(seen, k)
			continue
		}
		d.NewUnexpected = append(d.NewUnexpected, u)
	}
	for _, u := range base.Unexpected {
		if _, ok := seen[unexpectedKey(u)]; ok {
			d.GoneUnexpected = append(d.GoneUnexpected, u)
		}
	}
	for _, c := range d.Rules {
		if c.Worse {
			d.Regression = true
			d.Reasons = append(d.Reasons, fmt.Sprintf("rule %s went from %s to %s", c.ID, c.Before, c.After))
		}
	}
	for _, p := range d.Peers {
		if p.Change == "vanished" {
			d.Regression = true
			d.Reasons = append(d.Reasons, fmt.Sprintf("peer %s no longer seen on %s", p.Peer(), p.Rule))
		}
	}
	for _, u := range d.NewUnexpected {
		d.Regression = true
		d.Reasons = append(d.Reasons, fmt.Sprintf("new unexpected traffic: %s %s %s with %s", u.Transport, u.Direction, u.Service(), u.Peer))
	}
	return d
}

func peerChanges(rule string, before, after []Peer) []PeerChange {
	var out []PeerChange
	b := map[string]Peer{}
	for _, p := range before {
		b[p.Key()] = p
	}
	change := func(p Peer, what string) PeerChange {
		return PeerChange{Rule: rule, Host: p.Host, Address: p.Address, Change: what, Status: p.Status}
	}
	for _, p := range after {
		if _, ok := b[p.Key()]; !ok {
			out = append(out, change(p, "appeared"))
		}
		delete(b, p.Key())
	}
	for _, p := range before {
		if _, ok := b[p.Key()]; ok {
			out = append(out, change(p, "vanished"))
		}
	}
	return out
}

// Peer names the peer that changed: its host, else its address.
func (c PeerChange) Peer() string {
	if c.Host != "" {
		return c.Host
	}
	return c.Address
}

// WriteDiffText renders a diff for a terminal.
func WriteDiffText(w io.Writer, d Diff) error {
	var b strings.Builder
	if len(d.Rules) == 0 && len(d.NewUnexpected) == 0 && len(d.GoneUnexpected) == 0 && len(d.Peers) == 0 {
		b.WriteString("No changes.\n")
	}
	if len(d.Rules) > 0 {
		b.WriteString("Rules whose status changed:\n")
		for _, c := range d.Rules {
			mark := "  "
			if c.Worse {
				mark = "! "
			}
			fmt.Fprintf(&b, "  %s%-22s %s -> %s\n", mark, c.ID, c.Before, c.After)
		}
	}
	if len(d.Peers) > 0 {
		b.WriteString("Peers:\n")
		for _, p := range d.Peers {
			fmt.Fprintf(&b, "    %-22s %-9s %s\n", p.Rule, p.Change, p.Peer())
		}
	}
	for _, part := range []struct {
		title string
		list  []Unexpected
	}{{"New unexpected traffic:", d.NewUnexpected}, {"Unexpected traffic no longer seen:", d.GoneUnexpected}} {
		if len(part.list) == 0 {
			continue
		}
		b.WriteString(part.title + "\n")
		for _, u := range part.list {
			fmt.Fprintf(&b, "    %s %s %s %s (%s, %d flows)\n", u.Direction, strings.ToUpper(u.Transport), u.Service(), u.Peer, u.Protocol, u.Flows)
		}
	}
	if d.Regression {
		b.WriteString("REGRESSION: " + strings.Join(d.Reasons, "; ") + "\n")
	} else {
		b.WriteString("No regression.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
