package firewall

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/classifier/protocol"
	"github.com/flowverify/flowverify/report"
)

// errNoAggregates is returned for a report that lists findings but carries
// no typed rows: one read back from JSON. Its rows are display text, and a
// rule must not be rebuilt from them.
var errNoAggregates = errors.New("firewall suggestions need the analysis itself: this report carries its findings only as text")

// Suggest proposes, for every blocked attempt, the smallest host-firewall
// rule that lets that documented connection through; for every mismatch,
// what to look at instead; and for each unexpected group, what allowing it
// would mean. Rules for unexpected traffic are written only when asked:
// nothing is added that the matrix does not list unless the user wants it.
//
// Rules are built from the report's typed aggregates, never from its text.
// Every Allow rule names its remote addresses and a port; what has neither
// (a folded group, port 0, a transport without ports) gets a comment in
// the syntax saying why no rule is written.
func Suggest(m *matrix.Matrix, r *report.Report, req Request) ([]report.Suggestion, error) {
	syntax := req.Syntax
	agg := r.Aggregates
	if agg == nil {
		if len(r.Blocked) > 0 || len(r.Unexpected) > 0 {
			return nil, errNoAggregates
		}
		agg = &report.Aggregates{}
	}
	var out []report.Suggestion
	for _, g := range blockedGroups(m, agg.Blocked) {
		out = append(out, g.suggestion(syntax))
	}
	for _, rr := range r.Rules {
		if rr.Status != matrix.StatusMismatch {
			continue
		}
		out = append(out, report.Suggestion{Kind: report.SuggestMismatch, Rule: rr.ID, Transport: rr.Transport, Direction: rr.Direction, Syntax: syntax,
			Note: fmt.Sprintf("%s: %s. The port is open but another service or a proxy answers there; a firewall rule will not fix it: check what listens on %s", rr.ID, rr.Reason, rr.Ports)})
	}
	for _, u := range agg.Unexpected {
		out = append(out, req.unexpected(u, agg.FoldLimit))
	}
	return out, nil
}

// Request is what Suggest is asked for.
type Request struct {
	Syntax string // PowerShell, Netsh, NFTables or IPTables
	// Unexpected asks for the rules that would allow the unexpected
	// traffic too, not only for what allowing it would mean.
	Unexpected bool
	// ListFlows is how the caller's user lists every flow, in the
	// caller's words (cmd/flowverify: its flag), for the comment on a
	// folded row, whose flows only such a list names.
	ListFlows string
}

// listThem is the folded row's last sentence, when the caller says how
// its flows are listed.
func (req Request) listThem() string {
	if req.ListFlows == "" {
		return ""
	}
	return " List them with " + req.ListFlows + " and allow only the peers and ports meant"
}

// blockedGroup is one rule, direction and port with every peer that
// failed there: the smallest change that lets those attempts through.
type blockedGroup struct {
	rule    *matrix.Rule
	inbound bool
	port    uint16
	peers   []netip.Addr
	reasons map[matrix.BlockReason]bool
}

// blockedGroups groups the report's failed attempts, in the order they
// are listed.
func blockedGroups(m *matrix.Matrix, blocked []report.BlockedAgg) []*blockedGroup {
	rules := map[string]*matrix.Rule{}
	for i := range m.Rules {
		rules[m.Rules[i].ID] = &m.Rules[i]
	}
	type key struct {
		rule    string
		inbound bool
		port    uint16
	}
	var groups []*blockedGroup
	byKey := map[key]*blockedGroup{}
	for _, b := range blocked {
		rule := rules[b.Rule]
		if rule == nil {
			continue
		}
		k := key{b.Rule, b.Dir == matrix.Inbound, b.Port}
		g := byKey[k]
		if g == nil {
			g = &blockedGroup{rule: rule, inbound: k.inbound, port: b.Port, reasons: map[matrix.BlockReason]bool{}}
			byKey[k] = g
			groups = append(groups, g)
		}
		if b.Peer.IsValid() && !slices.Contains(g.peers, b.Peer) {
			g.peers = append(g.peers, b.Peer)
		}
		g.reasons[b.Reason] = true
	}
	return groups
}

// suggestion writes the firewall rule that lets a group's attempts
// through, with a note on where else the drop may happen.
func (g *blockedGroup) suggestion(syntax string) report.Suggestion {
	var remote []netip.Prefix
	peers := make([]string, len(g.peers))
	for i, p := range g.peers {
		remote = append(remote, netip.PrefixFrom(p, p.BitLen()))
		peers[i] = p.String()
	}
	e := Entry{name: "flowverify " + g.rule.ID + " (suggested)", ruleID: g.rule.ID, description: g.rule.Description,
		inbound: g.inbound, transport: g.rule.Transport, ports: matrix.Ports{{Lo: g.port, Hi: g.port}}, remote: remote}
	var reasons []string
	for r := range g.reasons {
		reasons = append(reasons, r.String())
	}
	sort.Strings(reasons)
	note := fmt.Sprintf("%s: attempts to %s on %s %d failed (%s)", g.rule.ID, strings.Join(peers, ", "),
		strings.ToUpper(matrix.TransportName(g.rule.Transport)), g.port, strings.Join(reasons, ", "))
	if g.reasons[matrix.NoAnswer] {
		note += "; if the drop happens elsewhere (the peer's own firewall or a network firewall), open the same port there"
	}
	if g.reasons[matrix.Refused] {
		note += "; a refused connection means nothing listens there, or a firewall rejects it: check the service too"
	}
	return report.Suggestion{Kind: report.SuggestBlocked, Rule: g.rule.ID, Peer: strings.Join(peers, ","), Port: int(g.port),
		Transport: matrix.TransportName(g.rule.Transport), Direction: direction(g.inbound), Syntax: syntax, Commands: allowLines(syntax, e), Note: note}
}

// unexpected says what allowing an unexpected group would mean, and
// with req.Unexpected the rule that would, or why there is none.
func (req Request) unexpected(u report.UnexpectedAgg, foldLimit int) report.Suggestion {
	syntax, withRules := req.Syntax, req.Unexpected
	tr := matrix.TransportName(u.Transport)
	s := report.Suggestion{Kind: report.SuggestUnexpected, Port: int(u.Port), Transport: tr, Direction: u.Dir, Syntax: syntax}
	if u.Folded {
		// The report's row reads peer "(others)", port 0; neither is one.
		s.Peer = "(others)"
		all := fmt.Sprintf("outbound %s to every address on every port", strings.ToUpper(tr))
		if u.Dir == matrix.Inbound {
			all = fmt.Sprintf("inbound %s from every address to every port", strings.ToUpper(tr))
		}
		s.Note = fmt.Sprintf("allowing it would mean: %s (%d flows to peers and ports past the first %d unexpected groups, folded into one row)", all, u.Flows, foldLimit)
		if withRules {
			s.Commands = comment(syntax, fmt.Sprintf("flowverify: no rule for the folded %s %s row \"(others)\": past %d unexpected groups, %d flows to further peers and ports "+
				"(up to %d groups: past the cap flowverify counts flows, not groups, so a scan cannot exhaust its memory) were counted together, "+
				"and a folded row has no single peer or port to allow; a rule for it would allow %s.%s",
				u.Dir, strings.ToUpper(tr), foldLimit, u.Flows, u.Flows, all, req.listThem()))
		}
		return s
	}
	s.Peer = u.Peer.String()
	what := u.Hint
	if what == "" {
		service := fmt.Sprint(u.Port)
		if u.ICMP {
			service = protocol.ICMPName(u.Transport == capture.ProtoICMPv6, u.ICMPType, u.ICMPCode)
		}
		what = fmt.Sprintf("%s %s %s (%s) is not in the matrix", u.Dir, strings.ToUpper(tr), service, u.Protocol)
	}
	s.Note = "allowing it would mean: " + what
	if !withRules || u.ICMP { // host-firewall rules here speak of ports; ICMP has none
		return s
	}
	if u.Transport != matrix.TCP && u.Transport != matrix.UDP {
		s.Commands = comment(syntax, fmt.Sprintf("flowverify: no rule for %s %s from %s: these rules allow TCP and UDP ports only", u.Dir, tr, s.Peer))
		return s
	}
	e := Entry{name: fmt.Sprintf("flowverify unexpected %s %d %s", tr, u.Port, s.Peer), ruleID: "unexpected",
		inbound: u.Dir == matrix.Inbound, transport: u.Transport, ports: matrix.Ports{{Lo: u.Port, Hi: u.Port}}}
	if u.Peer.IsValid() {
		e.remote = []netip.Prefix{netip.PrefixFrom(u.Peer, u.Peer.BitLen())}
	}
	s.Commands = allowLines(syntax, e)
	return s
}

// allowLines renders a suggested Allow rule, or a comment saying why none
// is written: a suggestion answers particular flows, so it never allows
// every address, and never port 0, which no service listens on (a
// crafted packet, or a fragment whose transport header was never seen).
func allowLines(syntax string, e Entry) []string {
	switch {
	case len(e.remote) == 0:
		return comment(syntax, fmt.Sprintf("flowverify: no rule for %s: no remote address is known, and a rule without one would allow every address", e.name))
	case slices.ContainsFunc(e.ports, func(r matrix.PortRange) bool { return r.Lo == 0 }):
		return comment(syntax, fmt.Sprintf("flowverify: no rule for %s: port 0 is no service's port (a crafted packet, or a fragment whose transport header was never seen)", e.name))
	}
	return lines(syntax, e)
}

func direction(inbound bool) matrix.Direction {
	if inbound {
		return matrix.Inbound
	}
	return matrix.Outbound
}
