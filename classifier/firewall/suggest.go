package firewall

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
)

// Suggest proposes, for every blocked attempt, the smallest host-firewall
// rule that lets that documented connection through; for every mismatch,
// what to look at instead; and for each unexpected group, what allowing it
// would mean. Rules for unexpected traffic are written only when asked:
// nothing is added that the matrix does not list unless the user wants it.
func Suggest(m *matrix.Matrix, r *report.Report, syntax string, unexpected bool) []report.Suggestion {
	var out []report.Suggestion
	for _, g := range blockedGroups(m, r) {
		out = append(out, g.suggestion(syntax))
	}
	for _, rr := range r.Rules {
		if rr.Status != matrix.StatusMismatch {
			continue
		}
		out = append(out, report.Suggestion{Kind: "mismatch", Rule: rr.ID, Transport: rr.Transport, Direction: rr.Direction, Syntax: syntax,
			Note: fmt.Sprintf("%s: %s. The port is open but another service or a proxy answers there; a firewall rule will not fix it: check what listens on %s", rr.ID, rr.Reason, rr.Ports)})
	}
	for _, u := range r.Unexpected {
		out = append(out, unexpectedSuggestion(u, syntax, unexpected))
	}
	return out
}

// blockedGroup is one rule, direction and port with every peer that
// failed there: the smallest change that lets those attempts through.
type blockedGroup struct {
	rule    *matrix.Rule
	inbound bool
	port    uint16
	peers   []string
	reasons map[string]bool
}

// blockedGroups groups the report's failed attempts, in the order they
// are listed.
func blockedGroups(m *matrix.Matrix, r *report.Report) []*blockedGroup {
	rules := map[string]*matrix.Rule{}
	for i := range m.Rules {
		rules[m.Rules[i].ID] = &m.Rules[i]
	}
	server := map[string]bool{}
	for _, a := range r.Server.Addresses {
		server[a] = true
	}
	var groups []*blockedGroup
	byKey := map[string]*blockedGroup{}
	for _, b := range r.Blocked {
		rule := rules[b.Rule]
		if rule == nil {
			continue
		}
		ia, _ := splitHostPort(b.Initiator)
		ra, rport := splitHostPort(b.Responder)
		inbound := rule.Direction == matrix.Inbound || (rule.Direction == matrix.Bidirectional && !server[ia])
		peer := ra
		if inbound {
			peer = ia
		}
		key := fmt.Sprintf("%s|%v|%d", b.Rule, inbound, rport)
		g := byKey[key]
		if g == nil {
			g = &blockedGroup{rule: rule, inbound: inbound, port: rport, reasons: map[string]bool{}}
			byKey[key] = g
			groups = append(groups, g)
		}
		if !containsStr(g.peers, peer) {
			g.peers = append(g.peers, peer)
		}
		g.reasons[b.Reason] = true
	}
	return groups
}

// suggestion writes the firewall rule that lets a group's attempts
// through, with a note on where else the drop may happen.
func (g *blockedGroup) suggestion(syntax string) report.Suggestion {
	var remote []netip.Prefix
	for _, p := range g.peers {
		remote = append(remote, single(p)...)
	}
	e := Entry{Name: "flowverify " + g.rule.ID + " (suggested)", RuleID: g.rule.ID, Description: g.rule.Description,
		Inbound: g.inbound, Transport: g.rule.Transport, Ports: matrix.Ports{{Lo: g.port, Hi: g.port}}, Remote: remote}
	var reasons []string
	for r := range g.reasons {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	note := fmt.Sprintf("%s: attempts to %s on %s %d failed (%s)", g.rule.ID, strings.Join(g.peers, ", "),
		strings.ToUpper(matrix.TransportName(g.rule.Transport)), g.port, strings.Join(reasons, ", "))
	if g.reasons[matrix.NoAnswer] {
		note += "; if the drop happens elsewhere (the peer's own firewall or a network firewall), open the same port there"
	}
	if g.reasons[matrix.Refused] {
		note += "; a refused connection means nothing listens there, or a firewall rejects it: check the service too"
	}
	return report.Suggestion{Kind: "blocked", Rule: g.rule.ID, Peer: strings.Join(g.peers, ","), Port: int(g.port),
		Transport: matrix.TransportName(g.rule.Transport), Direction: dirName(g.inbound), Syntax: syntax, Commands: Lines(syntax, e), Note: note}
}

// unexpectedSuggestion says what allowing an unexpected group would mean,
// and with withRules the rule that would.
func unexpectedSuggestion(u report.Unexpected, syntax string, withRules bool) report.Suggestion {
	s := report.Suggestion{Kind: "unexpected", Peer: u.Peer, Port: u.Port, Transport: u.Transport, Direction: u.Direction, Syntax: syntax}
	what := u.Hint
	if what == "" {
		what = fmt.Sprintf("%s %s %s (%s) is not in the matrix", u.Direction, strings.ToUpper(u.Transport), u.Service(), u.Protocol)
	}
	s.Note = "allowing it would mean: " + what
	if withRules && u.ICMPType == nil { // host-firewall rules here speak of ports; ICMP has none
		tr := uint8(matrix.TCP)
		if u.Transport == "udp" {
			tr = matrix.UDP
		}
		e := Entry{Name: fmt.Sprintf("flowverify unexpected %s %d %s", u.Transport, u.Port, u.Peer), RuleID: "unexpected",
			Inbound: u.Direction == "inbound", Transport: tr, Ports: matrix.Ports{{Lo: uint16(u.Port), Hi: uint16(u.Port)}}, Remote: single(u.Peer)}
		s.Commands = Lines(syntax, e)
	}
	return s
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func dirName(inbound bool) string {
	if inbound {
		return "inbound"
	}
	return "outbound"
}

func single(addr string) []netip.Prefix {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return nil
	}
	return []netip.Prefix{netip.PrefixFrom(a, a.BitLen())}
}

func splitHostPort(s string) (string, uint16) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return s, 0
	}
	return ap.Addr().String(), ap.Port()
}
