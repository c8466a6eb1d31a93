package classifier

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/protocol"
)

// Verdict is the judgement of one flow.
type Verdict uint8

// Flow verdicts (docs/design.md). NotJudged covers transit traffic and local
// traffic that no rule speaks about: counted, never a finding.
const (
	Allowed Verdict = iota + 1
	Blocked
	Mismatch
	Unexpected
	Ignored
	NotJudged
)

func (v Verdict) String() string {
	switch v {
	case Allowed:
		return "allowed"
	case Blocked:
		return "blocked"
	case Mismatch:
		return "mismatch"
	case Unexpected:
		return "unexpected"
	case Ignored:
		return "ignored"
	case NotJudged:
		return "not-judged"
	}
	return "unknown"
}

// Block reasons.
const (
	NoAnswer    = "no-answer"
	Refused     = "refused"
	Unreachable = "unreachable"
)

// Judgement is a flow's verdict with everything needed to explain it.
type Judgement struct {
	Dir       Direction
	Peer      netip.Addr // the non-server end (responder for transit)
	Port      uint16     // the responder's port: the server's for inbound, the peer's for outbound
	Rule      int        // index into Matrix.Rules, -1 if none
	Ignore    int        // index into Matrix.Ignore, -1 if none
	Verdict   Verdict
	Block     string // NoAnswer, Refused or Unreachable when blocked or failed
	Reason    string
	Ambiguous []int // other rules that matched equally well
	Notes     []string
	Learned   *Learned // the endpoint-mapper answer that named this flow's port

	peer capture.Addr // Peer as the flow holds it, spared a conversion back
}

// failure says whether a flow is a failed attempt.
func failure(f *flow.Flow) string {
	if f.Unreach && f.Pkts[flow.Resp] == 0 {
		return Unreachable
	}
	if f.Key.Proto != capture.ProtoTCP {
		return ""
	}
	switch f.ConnState() {
	case "S0", "RSTOS0", "SH":
		if f.Guessed {
			return ""
		}
		return NoAnswer
	case "REJ":
		return Refused
	}
	return ""
}

// failureWhy explains a failure in words (only when reasons are shown).
func failureWhy(f *flow.Flow, block string) string {
	switch block {
	case Unreachable:
		return icmpText(f)
	case NoAnswer:
		return fmt.Sprintf("%d SYN(s) without an answer", f.SYNs)
	case Refused:
		return "the responder answered the SYN with RST"
	}
	return ""
}

func icmpText(f *flow.Flow) string {
	var name string
	if !f.ICMPv6 {
		name = map[uint8]string{0: "network unreachable", 1: "host unreachable", 2: "protocol unreachable",
			3: "port unreachable", 4: "fragmentation needed", 9: "network administratively prohibited",
			10: "host administratively prohibited", 13: "communication administratively prohibited (firewall)"}[f.ICMPCode]
	} else {
		name = map[uint8]string{0: "no route", 1: "administratively prohibited (firewall)", 2: "beyond scope",
			3: "address unreachable", 4: "port unreachable", 5: "source address failed policy", 6: "reject route"}[f.ICMPCode]
	}
	if name == "" {
		name = "code " + fmt.Sprint(f.ICMPCode)
	}
	proto := "ICMP"
	if f.ICMPv6 {
		proto = "ICMPv6"
	}
	return fmt.Sprintf("%s destination unreachable: %s (code %d)", proto, name, f.ICMPCode)
}

// judgeCtx is what judging needs beyond the matrix.
type judgeCtx struct {
	servers  serverSet
	dyn      *dynamicPeers
	rec      *recognizer
	lifetime time.Duration
	explain  bool // build reasons and notes (only the per-flow list shows them)
	ports    *namedPorts
}

// namedPorts marks, for TCP and UDP, every port a rule or an ignore entry
// names. A flow to any other port can match nothing (unless an endpoint
// mapper handed the port out), so judging skips the walk over the rules:
// a scan's flows are nearly all of this kind.
type namedPorts struct {
	set [2]flow.PortSet // TCP, UDP
	epm [2]bool         // a rule of the transport learns ports from the endpoint mapper
}

func newNamedPorts(m *Matrix) *namedPorts {
	np := &namedPorts{}
	mark := func(proto uint8, ps Ports) {
		if i, ok := transportSlot(proto); ok {
			for _, r := range ps {
				for p := int(r.Lo); p <= int(r.Hi); p++ {
					np.set[i].Add(uint16(p))
				}
			}
		}
	}
	for _, r := range m.Rules {
		mark(r.Transport, r.Ports)
		if i, ok := transportSlot(r.Transport); ok && r.Learn == "epm" {
			np.epm[i] = true
		}
	}
	for _, g := range m.Ignore {
		mark(g.Transport, g.Ports)
	}
	return np
}

func transportSlot(proto uint8) (int, bool) {
	switch proto {
	case capture.ProtoTCP:
		return 0, true
	case capture.ProtoUDP:
		return 1, true
	}
	return 0, false
}

// mayMatch says whether some rule or ignore entry could speak about a flow
// to port of proto.
func (np *namedPorts) mayMatch(proto uint8, port uint16, rec *recognizer) bool {
	i, ok := transportSlot(proto)
	if np == nil || !ok || np.set[i].Has(port) {
		return true
	}
	return np.epm[i] && rec.anyLearned()
}

// judge classifies one flow against the matrix with the server set known.
// It fills *j rather than returning one: a Judgement is large, and a
// scan judges a million flows.
func (m *Matrix) judge(f *flow.Flow, cx *judgeCtx, j *Judgement) {
	dyn := cx.dyn
	ia, ra, rport := f.Ends()
	*j = Judgement{Rule: -1, Ignore: -1, Port: rport}
	switch si, sr := cx.servers.has(ia), cx.servers.has(ra); {
	case si && sr:
		j.Dir, j.peer = Local, *ra
	case si:
		j.Dir, j.peer = Outbound, *ra
	case sr:
		j.Dir, j.peer = Inbound, *ia
	default:
		j.Dir, j.peer = Transit, *ra
	}
	j.Peer = j.peer.Netip()
	if j.Dir == Transit {
		j.Verdict, j.Reason = NotJudged, "transit: neither end is the server"
		return
	}
	proto := f.Key.Proto
	best, bestScore := -1, -1
	var learned *Learned
	scan := cx.ports.mayMatch(proto, rport, cx.rec)
	for i := range m.Rules {
		if !scan {
			break
		}
		r := &m.Rules[i]
		if r.Transport != proto {
			continue
		}
		exact := false
		switch {
		case j.Dir == Local:
			if !r.Local {
				continue
			}
			exact = true
		case r.Direction == Local:
			continue
		case r.Direction == j.Dir:
			exact = true
		case r.Direction == Bidirectional:
		default:
			continue
		}
		var l *Learned
		if r.Learn == "epm" && j.Dir == Outbound {
			l = cx.rec.lookupLearned(j.Peer, rport, f.First, cx.lifetime)
		}
		if l == nil && !r.Ports.Contains(rport) {
			continue
		}
		specific := false
		if j.Dir != Local {
			ok, sp := m.peerInRoles(r.Roles, j.Peer)
			if !ok {
				continue
			}
			specific = sp
		}
		if r.Learn == "epm" && l == nil && !specific && !dyn.isDC(j.Peer) {
			// The dynamic range is huge; with no listed domain controllers,
			// only peers seen answering the endpoint mapper qualify.
			continue
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
		switch {
		case score > bestScore:
			best, bestScore, learned = i, score, l
			j.Ambiguous = j.Ambiguous[:0]
		case score == bestScore:
			j.Ambiguous = append(j.Ambiguous, i)
		}
	}
	block := failure(f)
	j.Block = block
	if best >= 0 {
		j.Rule = best
		r := &m.Rules[best]
		pid, fp := cx.rec.proto(f)
		j.Learned = learned
		switch {
		case block != "":
			j.Verdict = Blocked
		case fp != nil && fp.conf == protocol.Certain && !r.accepts(pid):
			j.Verdict = Mismatch
		default:
			j.Verdict = Allowed
		}
		if !cx.explain {
			return
		}
		switch j.Verdict {
		case Blocked:
			j.Reason = fmt.Sprintf("%s: %s", block, failureWhy(f, block))
		case Mismatch:
			j.Reason = fmt.Sprintf("%s speaks %s; the rule expects %s", r.ID, pid, strings.Join(r.Protocols, " or "))
		default:
			j.Reason = "matches " + r.ID
			if f.Guessed {
				j.Reason += " (seen mid-stream)"
			}
			switch {
			case fp == nil && len(r.Protocols) > 0:
				j.Notes = append(j.Notes, "protocol not confirmed: judged by port and direction")
			case fp != nil && fp.conf == protocol.Likely && !r.accepts(pid):
				j.Notes = append(j.Notes, "protocol looks like "+pid.String()+" (not certain)")
			}
		}
		if r.Learn == "epm" {
			if learned != nil {
				j.Notes = append(j.Notes, fmt.Sprintf("learned: port %d handed out by the endpoint mapper in %s", learned.Port, learned.From))
			} else {
				j.Notes = append(j.Notes, "by-range: port in "+r.Ports.String()+" to a domain controller, no learned endpoint")
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
			if _, sport := f.Initiator(); sport < 49152 {
				j.Notes = append(j.Notes, fmt.Sprintf("server source port %d is outside the Windows dynamic range 49152-65535", sport))
			}
		}
		return
	}
	if j.Dir == Local {
		j.Verdict, j.Reason = NotJudged, "local: both ends are the server and no rule covers it"
		return
	}
	for i := range m.Ignore {
		if !scan {
			break
		}
		g := &m.Ignore[i]
		if g.Transport != proto || !g.Ports.Contains(rport) {
			continue
		}
		if ok, _ := m.peerInRoles(g.Roles, j.Peer); !ok {
			continue
		}
		j.Ignore, j.Verdict, j.Reason = i, Ignored, "ignored by "+g.ID
		return
	}
	j.Verdict = Unexpected
	if !cx.explain {
		return
	}
	j.Reason = "no rule allows " + TransportName(proto) + " " + fmt.Sprint(rport) + " " + j.Dir.String()
	if block != "" {
		j.Reason += "; the attempt failed (" + block + ": " + failureWhy(f, block) + ")"
	}
}

// dynamicPeers is the set of peers that the server reached on the RPC
// endpoint mapper: the domain controllers as the traffic shows them.
type dynamicPeers struct {
	epm map[netip.Addr]bool
}

func (d *dynamicPeers) isDC(a netip.Addr) bool { return d != nil && d.epm[a] }

// serverSet holds the server's addresses as flows carry them. A server has
// a handful: comparing 16-byte arrays in a short slice spares converting
// both ends of every flow to netip.Addr to ask.
type serverSet []capture.Addr

func newServerSet(addrs []netip.Addr) serverSet {
	var s serverSet
	for _, a := range addrs {
		if a.Zone() == "" { // a zoned address never equals a packet's
			s = append(s, capture.AddrFromNetip(a))
		}
	}
	return s
}

// has reports whether a is one of the server's addresses or a loopback
// address (netip.Addr.IsLoopback on the unmapped address).
func (s serverSet) has(a *capture.Addr) bool {
	for i := range s {
		if s[i] == *a {
			return true
		}
	}
	if a.Is4() {
		return a[12] == 127
	}
	return binary.BigEndian.Uint64(a[0:8]) == 0 && binary.BigEndian.Uint64(a[8:16]) == 1
}

// accepts reports whether the rule allows a recognised protocol.
func (r *Rule) accepts(id protocol.ID) bool {
	if len(r.Protocols) == 0 {
		return true
	}
	for _, p := range r.Protocols {
		if p == id.String() {
			return true
		}
	}
	return false
}
