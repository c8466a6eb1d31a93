package matrix

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/protocol"
)

// Judge classifies one flow, known by its facts, against the matrix with
// the server set known. It fills *j rather than returning one: a
// Judgement is large, and a scan judges a million flows. Matching decides
// the verdict; the reason and notes are written only when cx.Explain asks
// for them.
func (m *Matrix) Judge(f *FlowFacts, cx *Context, j *Judgement) {
	jg := judging{m: m, f: f, cx: cx, j: j}
	jg.judge()
}

// judging is one call of Judge: what it reads and the judgement it fills.
type judging struct {
	m  *Matrix
	f  *FlowFacts
	cx *Context
	j  *Judgement
}

func (jg *judging) judge() {
	f, cx, j := jg.f, jg.cx, jg.j
	rport := f.ResPort
	*j = Judgement{Rule: -1, Ignore: -1, Port: rport}
	j.Dir, j.PeerAddr = cx.direction(&f.Ini, &f.Res)
	j.Peer = j.PeerAddr.Netip()
	if j.Dir == Transit {
		j.Verdict, j.Reason = NotJudged, "transit: neither end is the server"
		return
	}
	proto := f.Transport
	scan := cx.Ports.MayMatch(proto, rport)
	// A port the endpoint mapper named is a learn rule's whatever its
	// number, so such a flow is matched even where no rule lists it.
	if scan || j.Dir == Outbound && proto == TCP && cx.Evidence != nil && cx.Evidence.MayBeLearned(rport) {
		j.Rule, j.Learned = jg.bestRule()
	}
	j.Block = failure(f)
	if j.Rule >= 0 {
		jg.matched()
		return
	}
	if j.Dir == Local {
		j.Verdict, j.Reason = NotJudged, "local: both ends are the server and no rule covers it"
		return
	}
	if scan {
		if i := jg.m.ignoredBy(proto, rport, j.Peer); i >= 0 {
			j.Ignore, j.Verdict, j.Reason = i, Ignored, "ignored by "+jg.m.Ignore[i].ID
			return
		}
	}
	j.Verdict = Unexpected
	if cx.Explain {
		j.Reason = "no rule allows " + TransportName(proto) + " " + fmt.Sprint(rport) + " " + j.Dir.String()
		if j.Block != NoFailure {
			j.Reason += "; the attempt failed (" + j.Block.String() + ": " + failureWhy(f, j.Block) + ")"
		}
	}
}

// direction places a flow's ends against the server: who the peer is and
// which way the flow goes.
func (cx *Context) direction(ia, ra *capture.Addr) (Direction, capture.Addr) {
	switch si, sr := cx.Servers.Has(ia), cx.Servers.Has(ra); {
	case si && sr:
		return Local, *ra
	case si:
		return Outbound, *ra
	case sr:
		return Inbound, *ia
	}
	return Transit, *ra
}

// bestRule scores every rule that matches the flow and returns the best
// one (-1 for none) with the learned endpoint that made it match, if any;
// rules that score as well as the best are left in j.Ambiguous. A rule
// whose role names the peer (or whose endpoint the endpoint mapper named)
// scores 2, a rule of the flow's exact direction 1 more.
func (jg *judging) bestRule() (int, *Learned) {
	best, bestScore := -1, -1
	var learned *Learned
	j := jg.j
	for i := range jg.m.Rules {
		r := &jg.m.Rules[i]
		if r.Transport != jg.f.Transport {
			continue
		}
		score, l, ok := jg.score(r)
		if !ok {
			continue
		}
		switch {
		case score > bestScore:
			best, bestScore, learned = i, score, l
			j.Ambiguous = j.Ambiguous[:0]
		case score == bestScore:
			j.Ambiguous = append(j.Ambiguous, i)
		}
	}
	return best, learned
}

// score says whether rule r, of the flow's transport, matches the flow
// and how well.
func (jg *judging) score(r *Rule) (int, *Learned, bool) {
	m, cx, j := jg.m, jg.cx, jg.j
	exact := false
	switch {
	case j.Dir == Local:
		if !r.Local {
			return 0, nil, false
		}
		exact = true
	case r.Direction == Local:
		return 0, nil, false
	case r.Direction == j.Dir:
		exact = true
	case r.Direction == Bidirectional:
	default:
		return 0, nil, false
	}
	var l *Learned
	if r.Learn == LearnEPM && j.Dir == Outbound {
		l = cx.Evidence.LookupLearned(j.Peer, j.Port, jg.f.First, cx.EPMLifetime)
		// The port the endpoint mapper named is the row, whatever its
		// number: sites fix NTDS and Netlogon ports or narrow the range
		// (strict_range: true holds it to the rule's ports). An answer
		// vouches only for its own host, and only when it answered the
		// server's own request: a crafted reply naming another address,
		// or one to another client, allows nothing.
		if l != nil && (r.StrictRange && !r.Ports.Contains(j.Port) || !m.sameHost(l.Addr, l.Mapper) || !cx.Servers.hasAddr(l.Client)) {
			l = nil
		}
	}
	if l == nil && !r.Ports.Contains(j.Port) {
		return 0, nil, false
	}
	specific := false
	if j.Dir != Local {
		ok, sp := m.peerInRoles(r.Roles, j.Peer)
		if !ok {
			return 0, nil, false
		}
		specific = sp
	}
	if r.Learn == LearnEPM && l == nil && !cx.DCs.isDC(j.Peer) {
		// The dynamic range is huge: only this capture's evidence
		// admits a flow to it, a port the peer's endpoint mapper named
		// or the peer having answered DCE/RPC on 135. A role that lists
		// the peer says who may be a domain controller, not that this
		// one handed anything out, so it admits nothing by itself: the
		// verdict must not depend on how the site was described.
		return 0, nil, false
	}
	if l != nil {
		specific = true // the endpoint mapper named this very endpoint
	}
	score := 0
	if specific {
		score += 2
	}
	if exact {
		score++
	}
	return score, l, true
}

// matched gives the verdict of a flow that rule j.Rule best matched.
func (jg *judging) matched() {
	f, j := jg.f, jg.j
	r := &jg.m.Rules[j.Rule]
	j.Block = failed(f, j.Block)
	switch {
	case j.Block != NoFailure:
		j.Verdict = Blocked
	case f.Recognised && f.Confidence == protocol.Certain && !r.Accepts(f.Protocol):
		j.Verdict = Mismatch
	case answered(f, r, j.Dir):
		j.Verdict = Allowed
	default:
		// Neither an answer nor a failure: one end's packets only, or
		// a handshake never completed. Whether it works is unknown.
		j.Verdict = Unconfirmed
	}
	if jg.cx.Explain {
		jg.explainMatched(r)
	}
}

// explainMatched writes the reason and notes of a flow that rule r
// matched.
func (jg *judging) explainMatched(r *Rule) {
	f, j := jg.f, jg.j
	switch j.Verdict {
	case Blocked:
		j.Reason = fmt.Sprintf("%s: %s", j.Block, failureWhy(f, j.Block))
	case Mismatch:
		j.Reason = fmt.Sprintf("%s speaks %s; the rule expects %s", r.ID, f.Protocol, strings.Join(r.Protocols, " or "))
	case Unconfirmed:
		j.Reason = jg.matches(r) + ", unconfirmed: " + unansweredWhy(f)
	default:
		j.Reason = jg.matches(r)
		switch {
		case !f.Recognised && len(r.Protocols) > 0:
			j.Notes = append(j.Notes, "protocol not confirmed: judged by port and direction")
		case f.Recognised && f.Confidence == protocol.Likely && !r.Accepts(f.Protocol):
			j.Notes = append(j.Notes, "protocol looks like "+f.Protocol.String()+" (not certain)")
		}
	}
	if r.Learn == LearnEPM {
		j.Notes = append(j.Notes, learnedNote(r, j))
	}
	if len(j.Ambiguous) > 0 {
		var ids []string
		for _, k := range j.Ambiguous {
			ids = append(ids, jg.m.Rules[k].ID)
		}
		j.Notes = append(j.Notes, fmt.Sprintf("ambiguous: also matches %v; %s chosen by config order", ids, r.ID))
	}
	if j.Dir == Outbound {
		if sport := f.IniPort; jg.m.Site.OutsideDynamicRange(sport) {
			j.Notes = append(j.Notes, fmt.Sprintf("server source port %d is outside the site's dynamic range %s (site.dynamic_ports)", sport, jg.m.Site.DynamicPorts))
		}
	}
}

// matches opens a matched flow's reason.
func (jg *judging) matches(r *Rule) string {
	if jg.f.Guessed {
		return "matches " + r.ID + " (seen mid-stream)"
	}
	return "matches " + r.ID
}

// learnedNote says how a flow came to match a learn rule r: a port the
// endpoint mapper named, inside the rule's range or not, or the range
// itself to a peer that answered DCE/RPC.
func learnedNote(r *Rule, j *Judgement) string {
	switch {
	case j.Learned != nil && !r.Ports.Contains(j.Port):
		return fmt.Sprintf("learned: port %d handed out by the endpoint mapper in %s, outside the rule's documented range %s (RPC ports fixed or narrowed on the site)", j.Learned.Port, j.Learned.From, r.Ports)
	case j.Learned != nil:
		return fmt.Sprintf("learned: port %d handed out by the endpoint mapper in %s", j.Learned.Port, j.Learned.From)
	}
	return "by-range: port in " + r.Ports.String() + " to a peer that answered DCE/RPC on the endpoint mapper (tcp/135), no learned endpoint"
}

// ignoredBy is the ignore entry that covers a flow to port of proto with
// peer, or -1.
func (m *Matrix) ignoredBy(proto uint8, port uint16, peer netip.Addr) int {
	for i := range m.Ignore {
		g := &m.Ignore[i]
		if g.Transport != proto || !g.Ports.Contains(port) {
			continue
		}
		if ok, _ := m.peerInRoles(g.roles, peer); ok {
			return i
		}
	}
	return -1
}

// sameHost says whether two addresses are one machine: equal, or two
// addresses of one named host.
func (m *Matrix) sameHost(a, b netip.Addr) bool {
	if a == b {
		return true
	}
	h := m.HostOf(a)
	return h != nil && h == m.HostOf(b)
}
