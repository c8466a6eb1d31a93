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
	best, learned := -1, (*Learned)(nil)
	// A port the endpoint mapper named is a learn rule's whatever its
	// number, so such a flow is matched even where no rule lists it.
	if scan || j.Dir == Outbound && proto == TCP && cx.Evidence != nil && cx.Evidence.MayBeLearned(rport) {
		best, learned = m.bestRule(f, cx, j)
	}
	j.Block = failure(f)
	if best >= 0 {
		m.judgeMatched(f, cx, j, best, learned)
		return
	}
	if j.Dir == Local {
		j.Verdict, j.Reason = NotJudged, "local: both ends are the server and no rule covers it"
		return
	}
	if scan {
		if i := m.ignoredBy(proto, rport, j.Peer); i >= 0 {
			j.Ignore, j.Verdict, j.Reason = i, Ignored, "ignored by "+m.Ignore[i].ID
			return
		}
	}
	j.Verdict = Unexpected
	if cx.Explain {
		j.Reason = "no rule allows " + TransportName(proto) + " " + fmt.Sprint(rport) + " " + j.Dir.String()
		if j.Block != "" {
			j.Reason += "; the attempt failed (" + j.Block + ": " + failureWhy(f, j.Block) + ")"
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
func (m *Matrix) bestRule(f *FlowFacts, cx *Context, j *Judgement) (int, *Learned) {
	best, bestScore := -1, -1
	var learned *Learned
	for i := range m.Rules {
		r := &m.Rules[i]
		if r.Transport != f.Transport {
			continue
		}
		score, l, ok := m.score(r, f, cx, j)
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
func (m *Matrix) score(r *Rule, f *FlowFacts, cx *Context, j *Judgement) (int, *Learned, bool) {
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
	if r.Learn == "epm" && j.Dir == Outbound {
		l = cx.Evidence.LookupLearned(j.Peer, j.Port, f.First, cx.EPMLifetime)
		// The port the endpoint mapper named is the row, whatever its
		// number: sites fix NTDS and Netlogon ports or narrow the range
		// (strict_range: true holds it to the rule's ports). An answer
		// vouches only for its own host, and only when it answered the
		// server's own request: a crafted reply naming another address,
		// or one to another client, allows nothing.
		if l != nil && (r.StrictRange && !r.Ports.Contains(j.Port) || !m.sameHost(l.Addr, l.Mapper) || !cx.Servers.HasAddr(l.Client)) {
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
	if r.Learn == "epm" && l == nil && !cx.DCs.isDC(j.Peer) {
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

// judgeMatched gives the verdict of a flow that rule best matched.
func (m *Matrix) judgeMatched(f *FlowFacts, cx *Context, j *Judgement, best int, learned *Learned) {
	j.Rule = best
	r := &m.Rules[best]
	pid, conf, known := f.Protocol, f.Confidence, f.Recognised
	j.Learned = learned
	j.Block = failed(f, j.Block)
	switch {
	case j.Block != "":
		j.Verdict = Blocked
	case known && conf == protocol.Certain && !r.Accepts(pid):
		j.Verdict = Mismatch
	case answered(f, r, j.Dir):
		j.Verdict = Allowed
	default:
		// Neither an answer nor a failure: one end's packets only, or
		// a handshake never completed. Whether it works is unknown.
		j.Verdict = Unconfirmed
	}
	if cx.Explain {
		m.explainMatched(f, j, r, pid, conf, known)
	}
}

// explainMatched writes the reason and notes of a matched flow.
func (m *Matrix) explainMatched(f *FlowFacts, j *Judgement, r *Rule, pid protocol.ID, conf protocol.Confidence, known bool) {
	switch j.Verdict {
	case Blocked:
		j.Reason = fmt.Sprintf("%s: %s", j.Block, failureWhy(f, j.Block))
	case Mismatch:
		j.Reason = fmt.Sprintf("%s speaks %s; the rule expects %s", r.ID, pid, strings.Join(r.Protocols, " or "))
	case Unconfirmed:
		j.Reason = "matches " + r.ID
		if f.Guessed {
			j.Reason += " (seen mid-stream)"
		}
		j.Reason += ", unconfirmed: " + unansweredWhy(f)
	default:
		j.Reason = "matches " + r.ID
		if f.Guessed {
			j.Reason += " (seen mid-stream)"
		}
		switch {
		case !known && len(r.Protocols) > 0:
			j.Notes = append(j.Notes, "protocol not confirmed: judged by port and direction")
		case known && conf == protocol.Likely && !r.Accepts(pid):
			j.Notes = append(j.Notes, "protocol looks like "+pid.String()+" (not certain)")
		}
	}
	if r.Learn == "epm" {
		switch {
		case j.Learned != nil && !r.Ports.Contains(j.Port):
			j.Notes = append(j.Notes, fmt.Sprintf("learned: port %d handed out by the endpoint mapper in %s, outside the rule's documented range %s (RPC ports fixed or narrowed on the site)", j.Learned.Port, j.Learned.From, r.Ports))
		case j.Learned != nil:
			j.Notes = append(j.Notes, fmt.Sprintf("learned: port %d handed out by the endpoint mapper in %s", j.Learned.Port, j.Learned.From))
		default:
			j.Notes = append(j.Notes, "by-range: port in "+r.Ports.String()+" to a peer that answered DCE/RPC on the endpoint mapper (tcp/135), no learned endpoint")
		}
	}
	if len(j.Ambiguous) > 0 {
		var ids []string
		for _, k := range j.Ambiguous {
			ids = append(ids, m.Rules[k].ID)
		}
		j.Notes = append(j.Notes, fmt.Sprintf("ambiguous: also matches %v; %s chosen by config order", ids, r.ID))
	}
	if j.Dir == Outbound {
		if sport := f.IniPort; m.Site.OutsideDynamicRange(sport) {
			j.Notes = append(j.Notes, fmt.Sprintf("server source port %d is outside the Windows dynamic range %s", sport, m.Site.DynamicPorts))
		}
	}
}

// ignoredBy is the ignore entry that covers a flow to port of proto with
// peer, or -1.
func (m *Matrix) ignoredBy(proto uint8, port uint16, peer netip.Addr) int {
	for i := range m.Ignore {
		g := &m.Ignore[i]
		if g.Transport != proto || !g.Ports.Contains(port) {
			continue
		}
		if ok, _ := m.peerInRoles(g.Roles, peer); ok {
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
