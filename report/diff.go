package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/words"
)

// Diff is what changed between a baseline report and a current one.
type Diff struct {
	Schema         string       `json:"schema"`
	Baseline       MatrixInfo   `json:"baseline_matrix"`
	Current        MatrixInfo   `json:"current_matrix"`
	Rules          []RuleChange `json:"rules"`
	NewUnexpected  []Unexpected `json:"new_unexpected"`
	GoneUnexpected []Unexpected `json:"vanished_unexpected"`
	Peers          []PeerChange `json:"peers"`
	// MatrixChanges: what differs in how the two reports were judged
	// (matrix, profile, configuration file, named hosts, server), said
	// so that a change it causes is not read as one of the traffic.
	MatrixChanges []MatrixChange `json:"matrix_changes,omitempty"`
	Regression    bool           `json:"regression"`
	Reasons       []string       `json:"reasons,omitempty"`
}

// RuleChange is a rule whose status moved.
type RuleChange struct {
	ID     string `json:"id"`
	Before string `json:"before"`
	After  string `json:"after"`
	Worse  bool   `json:"worse"`
}

// PeerChange is a peer that appeared on or vanished from a rule, or one
// the two reports write differently: the same host name, or an address
// in common, is the same peer.
type PeerChange struct {
	Rule    string `json:"rule"`
	Host    string `json:"host,omitempty"`
	Address string `json:"address,omitempty"`
	// Was is how the baseline wrote a renamed, named or unnamed peer:
	// its host name, else its address.
	Was    string        `json:"was,omitempty"`
	Change string        `json:"change"` // one of the Peer* kinds
	Status matrix.Status `json:"status,omitempty"`
}

// Peer change kinds. Only a vanished peer is a regression: the others
// are the same machine, described another way.
const (
	PeerAppeared = "appeared" // a peer the baseline did not have
	PeerVanished = "vanished" // a peer the rule no longer reaches
	PeerRenamed  = "renamed"  // another host name on the same addresses
	PeerNamed    = "named"    // a bare address now written as a named host
	PeerUnnamed  = "unnamed"  // a named host now written as a bare address
)

// MatrixChange is one thing that differs in how the reports were judged.
type MatrixChange struct {
	Key    string `json:"key"` // name, profile, config, hosts, server
	Before string `json:"before"`
	After  string `json:"after"`
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
		Rules: []RuleChange{}, NewUnexpected: []Unexpected{}, GoneUnexpected: []Unexpected{}, Peers: []PeerChange{},
		MatrixChanges: matrixChanges(base, cur)}
	before := map[string]Rule{}
	for _, r := range base.Rules {
		before[r.ID] = r
	}
	for _, r := range cur.Rules {
		b, ok := before[r.ID]
		if !ok {
			d.Rules = append(d.Rules, RuleChange{ID: r.ID, Before: "absent", After: string(r.Status), Worse: matrix.Worse("", r.Status)})
		} else if b.Status != r.Status {
			d.Rules = append(d.Rules, RuleChange{ID: r.ID, Before: string(b.Status), After: string(r.Status), Worse: matrix.Worse(b.Status, r.Status)})
		}
		if ok {
			d.Peers = append(d.Peers, peerChanges(r.ID, base, cur, b.Peers, r.Peers)...)
		}
		delete(before, r.ID)
	}
	for id, b := range before {
		// A rule that is gone can no longer be checked: a regression.
		d.Rules = append(d.Rules, RuleChange{ID: id, Before: string(b.Status), After: "absent", Worse: matrix.Worse(b.Status, "")})
	}
	sort.Slice(d.Rules, func(i, j int) bool { return d.Rules[i].ID < d.Rules[j].ID })
	d.NewUnexpected, d.GoneUnexpected = unexpectedChanges(base, cur)
	for _, c := range d.Rules {
		if c.Worse {
			d.Regression = true
			d.Reasons = append(d.Reasons, fmt.Sprintf("rule %s went from %s to %s", c.ID, c.Before, c.After))
		}
	}
	for _, p := range d.Peers {
		if p.Change == PeerVanished {
			d.Regression = true
			d.Reasons = append(d.Reasons, fmt.Sprintf("peer %s no longer seen on %s", p.Peer(), p.Rule))
		}
	}
	for _, u := range d.NewUnexpected {
		d.Regression = true
		d.Reasons = append(d.Reasons, fmt.Sprintf("new unexpected traffic: %s %s %s with %s", u.Transport, u.Direction, u.Service(), u.PeerLabel()))
	}
	return d
}

// peerChanges pairs a rule's peers in the two reports by identity: the
// same host name, or an address in common. The same traffic described
// with named hosts in one report and bare addresses in the other is the
// same peers, said as named or unnamed; only a peer with no counterpart
// appeared or vanished. A named host stands for all its addresses, so
// it may pair with several bare ones, each said once.
func peerChanges(rule string, base, cur *Report, before, after []Peer) []PeerChange {
	var out []PeerChange
	bIDs := make([]peerID, len(before))
	for i, p := range before {
		bIDs[i] = base.peerID(p)
	}
	paired := make([]bool, len(before))
	for _, p := range after {
		a := cur.peerID(p)
		found := false
		for i, b := range bIDs {
			if !b.same(a) {
				continue
			}
			found, paired[i] = true, true
			if kind := identityChange(b, a); kind != "" {
				out = append(out, PeerChange{Rule: rule, Host: p.Host, Address: p.Address, Was: b.key(), Change: kind, Status: p.Status})
			}
		}
		if !found {
			out = append(out, PeerChange{Rule: rule, Host: p.Host, Address: p.Address, Change: PeerAppeared, Status: p.Status})
		}
	}
	for i, p := range before {
		if !paired[i] {
			out = append(out, PeerChange{Rule: rule, Host: p.Host, Address: p.Address, Change: PeerVanished, Status: p.Status})
		}
	}
	return out
}

// identityChange says how one peer's description changed between the
// baseline (b) and the current report (a); "" when it did not.
func identityChange(b, a peerID) string {
	switch {
	case b.name == a.name:
		// The same name (its addresses may be listed differently), or
		// the same bare address.
		return ""
	case b.name == "":
		return PeerNamed
	case a.name == "":
		return PeerUnnamed
	}
	return PeerRenamed
}

// unexpectedChanges lists the unexpected groups only the current report
// has and those only the baseline has. Groups are the same when their
// transport, direction and port (or ICMP message) match and their peers
// are the same by name or address, however each report writes them.
func unexpectedChanges(base, cur *Report) (added, gone []Unexpected) {
	added, gone = []Unexpected{}, []Unexpected{}
	// Index the baseline by service and by each name and address, so a
	// report of 10,000 groups is not compared pair by pair.
	type groupRef struct {
		i  int
		id peerID
	}
	index := map[string][]groupRef{}
	for i, u := range base.Unexpected {
		id := base.keyID(u.Peer)
		svc := unexpectedKey(Unexpected{Transport: u.Transport, Direction: u.Direction, Port: u.Port, ICMPType: u.ICMPType, ICMPCode: u.ICMPCode})
		for _, k := range append(slices.Clone(id.addrs), "name:"+id.name) {
			if k != "name:" {
				index[svc+k] = append(index[svc+k], groupRef{i, id})
			}
		}
	}
	matched := make([]bool, len(base.Unexpected))
	for _, u := range cur.Unexpected {
		id := cur.keyID(u.Peer)
		svc := unexpectedKey(Unexpected{Transport: u.Transport, Direction: u.Direction, Port: u.Port, ICMPType: u.ICMPType, ICMPCode: u.ICMPCode})
		found := false
		for _, k := range append(slices.Clone(id.addrs), "name:"+id.name) {
			for _, g := range index[svc+k] {
				if g.id.same(id) {
					found, matched[g.i] = true, true
				}
			}
		}
		if !found {
			added = append(added, u)
		}
	}
	for i, u := range base.Unexpected {
		if !matched[i] {
			gone = append(gone, u)
		}
	}
	return added, gone
}

// matrixChanges says what differs in how the two reports were judged.
// Any of it can change statuses and peers with the same traffic.
func matrixChanges(base, cur *Report) []MatrixChange {
	var out []MatrixChange
	or := func(s, none string) string {
		if s == "" {
			return none
		}
		return s
	}
	for _, c := range []MatrixChange{
		{"name", base.Matrix.Name, cur.Matrix.Name},
		{"profile", base.Matrix.Profile, cur.Matrix.Profile},
		{"config", or(base.Matrix.Config, "(none)"), or(cur.Matrix.Config, "(none)")},
		{"server", or(strings.Join(base.Server.Addresses, ", "), "(none)"), or(strings.Join(cur.Server.Addresses, ", "), "(none)")},
	} {
		if c.Before != c.After {
			out = append(out, c)
		}
	}
	if before, after := hostsTexts(base.Hosts, cur.Hosts); before != after {
		out = append(out, MatrixChange{"hosts", before, after})
	}
	return out
}

// hostsTexts sums up each report's named hosts: how many, and those
// the other report does not have as they are (name and addresses), at
// most ten: that tells a renamed site from one named for the first time
// without listing a large site whole.
func hostsTexts(a, b []Host) (string, string) {
	desc := func(hs []Host) []string {
		var out []string
		for _, h := range hs {
			out = append(out, newPeerID(h.Name, h.Addresses).describe())
		}
		slices.Sort(out)
		return out
	}
	da, db := desc(a), desc(b)
	text := func(mine, other []string) string {
		if len(mine) == 0 {
			return "no named hosts"
		}
		var only []string
		for _, d := range mine {
			if _, ok := slices.BinarySearch(other, d); !ok {
				only = append(only, d)
			}
		}
		t := words.Count(len(mine), "named host")
		if len(only) > 0 {
			t += "; only here: " + strings.Join(only[:min(len(only), 10)], ", ")
			if len(only) > 10 {
				t += fmt.Sprintf(" +%d more", len(only)-10)
			}
		}
		return t
	}
	if slices.Equal(da, db) {
		return "", ""
	}
	return text(da, db), text(db, da)
}

// Peer names the peer that changed: its host, else its address.
func (c PeerChange) Peer() string {
	if c.Host != "" {
		return c.Host
	}
	return c.Address
}

// describe writes an identity as "dc1 (10.0.0.1, 2001:db8::1)".
func (id peerID) describe() string {
	if id.name == "" {
		return id.key()
	}
	addrs := slices.Clone(id.addrs)
	slices.SortFunc(addrs, compareAddrs)
	return hostLabel(id.name, addrs)
}
