package report

import (
	"fmt"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"
)

// peerLine names a rule's peers for people, the failed ones first, at
// most max names and then "+N more":
// "blocked: dc2 (198.18.0.21); never tried: dc3; reached: dc1 (...)".
func (r *Report) peerLine(rule Rule, max int) string {
	var blocked, unconfirmed, missing, reached []string
	for _, p := range rule.Peers {
		switch p.Status {
		case matrix.StatusOK:
			reached = append(reached, p.Label())
		case matrix.StatusUnconfirmed:
			unconfirmed = append(unconfirmed, p.Label())
		default:
			blocked = append(blocked, p.Label())
		}
	}
	for _, m := range rule.Missing {
		missing = append(missing, r.PeerLabel(m))
	}
	var parts []string
	left := max
	for _, g := range []struct {
		what  string
		names []string
	}{{"blocked", blocked}, {"unconfirmed", unconfirmed}, {"never tried", missing}, {"reached", reached}} {
		if len(g.names) == 0 {
			continue
		}
		n := min(left, len(g.names))
		if n == 0 {
			parts = append(parts, fmt.Sprintf("%s: %d more", g.what, len(g.names)))
			continue
		}
		part := g.what + ": " + strings.Join(g.names[:n], ", ")
		if n < len(g.names) {
			part += fmt.Sprintf(" +%d more", len(g.names)-n)
		}
		left -= n
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}

// csvPeer writes a peer as one space-free token: dc1[198.18.0.20,2001:db8::20].
func csvPeer(name string, addrs []string) string {
	if len(addrs) == 0 {
		return name
	}
	return name + "[" + strings.Join(addrs, ",") + "]"
}

func (r *Report) csvMissing(rule Rule) string {
	var out []string
	for _, m := range rule.Missing {
		out = append(out, csvPeer(m, r.hostAddrs(m)))
	}
	return strings.Join(out, " ")
}

func (r *Report) hostAddrs(name string) []string {
	for _, h := range r.Hosts {
		if h.Name == name {
			return h.Addresses
		}
	}
	return nil
}
