package matrix_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/classifier/protocol"
)

// The test site: a server, two domain controllers, an agent network, a
// database and a host in no role.
const (
	server = "10.0.0.10"
	dc     = "10.0.0.20"
	dc2    = "10.0.0.21"
	agent  = "10.0.1.5"
	db     = "10.0.0.40"
	nobody = "10.0.2.9"
	router = "10.0.0.1"
)

// judgeSite is a matrix of its own, every shipped rule removed, with a
// rule for each way a flow can be judged.
const judgeSite = `
roles:
  dcs: [10.0.0.20, 10.0.0.21]
  agents: [10.0.1.0/24]
  databases: [10.0.0.40]
rules:
  - {id: directory-out, direction: outbound, transport: tcp, ports: "389", role: [dcs], protocol: [ldap]}
  - {id: epm-out, direction: outbound, transport: tcp, ports: "135", role: [dcs]}
  - {id: dyn-out, direction: outbound, transport: tcp, ports: "49152-65535", role: [dcs], learn: epm}
  - {id: events-in, direction: inbound, transport: udp, ports: "10000", role: [agents], protocol: [syslog], one_way: true}
  - {id: query-in, direction: inbound, transport: udp, ports: "10002", role: [agents]}
  - {id: traps, direction: bidirectional, transport: udp, ports: "162", one_way: true}
  - {id: console, direction: bidirectional, transport: tcp, ports: "8080"}
  - {id: web-in, direction: inbound, transport: tcp, ports: "8443"}
  - {id: web-again-in, direction: inbound, transport: tcp, ports: "8443"}
  - {id: db-out, direction: outbound, local: true, transport: tcp, ports: "5432", role: [databases]}
ignore:
  - {id: netbios, transport: udp, ports: "137"}
`

func loadJudgeSite(t *testing.T, strict bool) *matrix.Matrix {
	t.Helper()
	shipped, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range shipped.Rules {
		ids = append(ids, r.ID)
	}
	site := "remove_rules: [" + strings.Join(ids, ", ") + "]\n" + judgeSite
	if strict {
		site = strings.Replace(site, "learn: epm}", "learn: epm, strict_range: true}", 1)
	}
	path := filepath.Join(t.TempDir(), "site.yaml")
	if err := os.WriteFile(path, []byte(site), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := matrix.Load(matrix.LoadOptions{ConfigFile: path, Server: []string{server}})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Rules) != 10 {
		t.Fatalf("the test site has %d rules, want its 10 alone", len(m.Rules))
	}
	return m
}

// learnedEndpoints is an engine's memory of what endpoint mappers handed
// out, valid for the lifetime after the answer.
type learnedEndpoints []matrix.Learned

func (le learnedEndpoints) LookupLearned(a netip.Addr, port uint16, t int64, lifetime time.Duration) *matrix.Learned {
	for i := range le {
		if le[i].Addr == a && le[i].Port == port && t >= le[i].At && t <= le[i].At+int64(lifetime) {
			return &le[i]
		}
	}
	return nil
}
func (le learnedEndpoints) AnyLearned() bool { return len(le) > 0 }
func (le learnedEndpoints) MayBeLearned(port uint16) bool {
	return slices.ContainsFunc(le, func(l matrix.Learned) bool { return l.Port == port })
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).UnixNano()

func addr(s string) capture.Addr { return capture.AddrFromNetip(netip.MustParseAddr(s)) }

// flowFacts is a flow from ini to res, its first packet at t0.
func flowFacts(proto uint8, ini string, iport uint16, res string, rport uint16, set func(*matrix.FlowFacts)) matrix.FlowFacts {
	f := matrix.FlowFacts{Ini: addr(ini), Res: addr(res), IniPort: iport, ResPort: rport, Transport: proto, First: t0}
	if set != nil {
		set(&f)
	}
	return f
}

// TCP flows as the flow table sees them.
var (
	handshake = func(f *matrix.FlowFacts) {
		f.IniPkts, f.ResPkts, f.SYNs, f.Handshake = 3, 1, 1, true
	}
	synsUnanswered = func(f *matrix.FlowFacts) { f.IniPkts, f.SYNs, f.Opening = 2, 2, matrix.OpeningUnanswered }
)

func out(proto uint8, peer string, port uint16, set func(*matrix.FlowFacts)) matrix.FlowFacts {
	return flowFacts(proto, server, 50000, peer, port, set)
}

func in(proto uint8, peer string, port uint16, set func(*matrix.FlowFacts)) matrix.FlowFacts {
	return flowFacts(proto, peer, 51000, server, port, set)
}

// judgeCase is one flow's facts and the judgement they must give.
type judgeCase struct {
	name    string
	facts   matrix.FlowFacts
	learned learnedEndpoints // what endpoint mappers handed out
	dcs     []string         // peers that answered DCE/RPC on the endpoint mapper
	strict  bool             // dyn-out has strict_range: true
	quiet   bool             // reasons not asked for (cx.Explain false)

	verdict matrix.Verdict
	rule    string // "" for none
	block   matrix.BlockReason
	dir     matrix.Direction
	reason  string
	notes   []string
}

func judgeCases() []judgeCase {
	const (
		noProto = "protocol not confirmed: judged by port and direction"
		oneWay  = ": seen in one direction only"
		learned = "learned: port 49800 handed out by the endpoint mapper in tcp 10.0.0.10:49700 -> 10.0.0.20:135"
		byRange = "by-range: port in 49152-65535 to a peer that answered DCE/RPC on the endpoint mapper (tcp/135), no learned endpoint"
	)
	answer := func(port uint16) matrix.Learned {
		return matrix.Learned{Addr: netip.MustParseAddr(dc), Port: port, At: t0 - int64(time.Second), From: "tcp 10.0.0.10:49700 -> 10.0.0.20:135",
			Mapper: netip.MustParseAddr(dc), Client: netip.MustParseAddr(server)}
	}
	crafted := answer(49800)
	crafted.Mapper = netip.MustParseAddr(dc2) // dc2 names an endpoint of dc's
	otherClient := answer(49800)
	otherClient.Client = netip.MustParseAddr(nobody)
	certain := func(id protocol.ID) func(*matrix.FlowFacts) {
		return func(f *matrix.FlowFacts) {
			handshake(f)
			f.Protocol, f.Confidence, f.Recognised = id, protocol.Certain, true
		}
	}
	TCP, UDP := uint8(capture.ProtoTCP), uint8(capture.ProtoUDP)
	return []judgeCase{
		// Allowed: the peer answered.
		{name: "handshake, protocol not recognised", facts: out(TCP, dc, 389, handshake),
			verdict: matrix.Allowed, rule: "directory-out", dir: matrix.Outbound, reason: "matches directory-out", notes: []string{noProto}},
		{name: "handshake, LDAP certain", facts: out(TCP, dc, 389, certain(protocol.LDAP)),
			verdict: matrix.Allowed, rule: "directory-out", dir: matrix.Outbound, reason: "matches directory-out"},
		{name: "handshake, looks like TLS", facts: out(TCP, dc, 389, func(f *matrix.FlowFacts) {
			handshake(f)
			f.Protocol, f.Confidence, f.Recognised = protocol.TLS, protocol.Likely, true
		}), verdict: matrix.Allowed, rule: "directory-out", dir: matrix.Outbound, reason: "matches directory-out", notes: []string{"protocol looks like tls (not certain)"}},
		{name: "mid-stream with the responder's data", facts: out(TCP, dc, 389, func(f *matrix.FlowFacts) {
			f.IniPkts, f.ResPkts, f.IniData, f.ResData, f.Guessed = 2, 2, true, true, true
		}), verdict: matrix.Allowed, rule: "directory-out", dir: matrix.Outbound, reason: "matches directory-out (seen mid-stream)", notes: []string{noProto}},
		{name: "reasons not asked for", facts: out(TCP, dc, 389, handshake), quiet: true,
			verdict: matrix.Allowed, rule: "directory-out", dir: matrix.Outbound},

		// Blocked, one case per way of failing.
		{name: "SYNs unanswered", facts: out(TCP, dc, 389, synsUnanswered),
			verdict: matrix.Blocked, rule: "directory-out", block: matrix.NoAnswer, dir: matrix.Outbound, reason: "no-answer: 2 SYNs without an answer"},
		{name: "bare probes unanswered", facts: out(TCP, dc, 389, func(f *matrix.FlowFacts) { f.IniPkts = 3 }),
			verdict: matrix.Blocked, rule: "directory-out", block: matrix.NoAnswer, dir: matrix.Outbound, reason: "no-answer: 3 segments without an answer"},
		{name: "SYN then RST, nothing back but the reset's own flow", facts: out(TCP, dc, 389, func(f *matrix.FlowFacts) {
			f.IniPkts, f.ResPkts, f.SYNs, f.Opening = 2, 1, 1, matrix.OpeningUnanswered
		}), verdict: matrix.Blocked, rule: "directory-out", block: matrix.NoAnswer, dir: matrix.Outbound, reason: "no-answer: 1 SYN without an answer"},
		{name: "SYN answered by RST", facts: out(TCP, dc, 389, func(f *matrix.FlowFacts) {
			f.IniPkts, f.ResPkts, f.SYNs, f.Opening = 1, 1, 1, matrix.OpeningRefused
		}), verdict: matrix.Blocked, rule: "directory-out", block: matrix.Refused, dir: matrix.Outbound, reason: "refused: the responder answered the SYN with RST"},
		{name: "TCP answered by a firewall's ICMP", facts: out(TCP, dc, 389, func(f *matrix.FlowFacts) {
			synsUnanswered(f)
			f.Unreach, f.ICMPCode = true, 13
		}), verdict: matrix.Blocked, rule: "directory-out", block: matrix.Unreachable, dir: matrix.Outbound,
			reason: "unreachable: ICMP destination unreachable: administratively prohibited (code 13)"},
		{name: "ICMPv6 administratively prohibited", facts: out(TCP, dc, 389, func(f *matrix.FlowFacts) {
			synsUnanswered(f)
			f.Unreach, f.ICMPv6, f.ICMPCode = true, true, 1
		}), verdict: matrix.Blocked, rule: "directory-out", block: matrix.Unreachable, dir: matrix.Outbound,
			reason: "unreachable: ICMPv6 destination unreachable: administratively prohibited (code 1)"},
		{name: "ICMP code without a name", facts: out(TCP, dc, 389, func(f *matrix.FlowFacts) {
			synsUnanswered(f)
			f.Unreach, f.ICMPCode = true, 7
		}), verdict: matrix.Blocked, rule: "directory-out", block: matrix.Unreachable, dir: matrix.Outbound,
			reason: "unreachable: ICMP destination unreachable: code 7"},
		{name: "UDP answered by port unreachable", facts: in(UDP, agent, 10002, func(f *matrix.FlowFacts) {
			f.IniPkts, f.Unreach, f.ICMPCode = 1, true, 3
		}), verdict: matrix.Blocked, rule: "query-in", block: matrix.Unreachable, dir: matrix.Inbound,
			reason: "unreachable: ICMP destination unreachable: port unreachable (code 3)"},
		{name: "blocked before mismatched", facts: out(TCP, dc, 389, func(f *matrix.FlowFacts) {
			synsUnanswered(f)
			f.Protocol, f.Confidence, f.Recognised = protocol.HTTP, protocol.Certain, true
		}), verdict: matrix.Blocked, rule: "directory-out", block: matrix.NoAnswer, dir: matrix.Outbound, reason: "no-answer: 2 SYNs without an answer"},

		// Unconfirmed: neither an answer nor a failure.
		{name: "one-way data", facts: out(TCP, dc, 389, func(f *matrix.FlowFacts) { f.IniPkts, f.IniData = 2, true }),
			verdict: matrix.Unconfirmed, rule: "directory-out", dir: matrix.Outbound,
			reason: "matches directory-out, unconfirmed: 2 segments from the initiator, with data, and nothing back" + oneWay},
		{name: "lone SYN/ACKs", facts: out(TCP, dc, 389, func(f *matrix.FlowFacts) { f.ResPkts, f.ResSYNACK = 3, true }),
			verdict: matrix.Unconfirmed, rule: "directory-out", dir: matrix.Outbound,
			reason: "matches directory-out, unconfirmed: 3 segments from the responder only, a SYN/ACK without the initiator's SYN" + oneWay},
		{name: "the responder's ACKs only", facts: out(TCP, dc, 389, func(f *matrix.FlowFacts) { f.ResPkts = 2 }),
			verdict: matrix.Unconfirmed, rule: "directory-out", dir: matrix.Outbound,
			reason: "matches directory-out, unconfirmed: 2 segments from the responder only, without data" + oneWay},
		{name: "a mid-stream S0 is no failure", facts: out(TCP, dc, 389, func(f *matrix.FlowFacts) {
			f.IniPkts, f.ResPkts, f.Opening, f.Guessed = 2, 1, matrix.OpeningUnanswered, true
		}), verdict: matrix.Unconfirmed, rule: "directory-out", dir: matrix.Outbound,
			reason: "matches directory-out (seen mid-stream), unconfirmed: packets both ways, but no completed handshake and no data from the responder (its ACKs alone do not show the service answering)"},
		{name: "UDP without the reply its rule needs", facts: in(UDP, agent, 10002, func(f *matrix.FlowFacts) { f.IniPkts = 1 }),
			verdict: matrix.Unconfirmed, rule: "query-in", dir: matrix.Inbound,
			reason: "matches query-in, unconfirmed: 1 datagram from the initiator and no reply" + oneWay},
		{name: "UDP with a reply", facts: in(UDP, agent, 10002, func(f *matrix.FlowFacts) { f.IniPkts, f.ResPkts = 1, 1 }),
			verdict: matrix.Allowed, rule: "query-in", dir: matrix.Inbound, reason: "matches query-in"},

		// one_way: a datagram the server received is the evidence.
		{name: "one_way datagram received", facts: in(UDP, agent, 10000, func(f *matrix.FlowFacts) { f.IniPkts = 4 }),
			verdict: matrix.Allowed, rule: "events-in", dir: matrix.Inbound, reason: "matches events-in", notes: []string{noProto}},
		{name: "one_way rule, a datagram from the server's side only", facts: in(UDP, agent, 10000, func(f *matrix.FlowFacts) { f.ResPkts = 1 }),
			verdict: matrix.Unconfirmed, rule: "events-in", dir: matrix.Inbound,
			reason: "matches events-in, unconfirmed: 0 datagrams from the initiator and no reply" + oneWay},

		{name: "one_way both ways, the server's own datagram", facts: out(UDP, nobody, 162, func(f *matrix.FlowFacts) { f.IniPkts = 1 }),
			verdict: matrix.Unconfirmed, rule: "traps", dir: matrix.Outbound,
			reason: "matches traps, unconfirmed: 1 datagram from the initiator and no reply" + oneWay},
		{name: "one_way both ways, a datagram received", facts: in(UDP, nobody, 162, func(f *matrix.FlowFacts) { f.IniPkts = 1 }),
			verdict: matrix.Allowed, rule: "traps", dir: matrix.Inbound, reason: "matches traps"},

		// Mismatch: a certain protocol the rule does not list.
		{name: "HTTP on the LDAP port", facts: out(TCP, dc, 389, certain(protocol.HTTP)),
			verdict: matrix.Mismatch, rule: "directory-out", dir: matrix.Outbound, reason: "directory-out speaks http; the rule expects ldap"},

		// Unexpected, ignored, not judged.
		{name: "no rule for the port", facts: out(TCP, dc, 3268, handshake),
			verdict: matrix.Unexpected, dir: matrix.Outbound, reason: "no rule allows tcp 3268 outbound"},
		{name: "no rule, the attempt failed", facts: out(TCP, dc, 3268, func(f *matrix.FlowFacts) { f.IniPkts, f.SYNs, f.Opening = 1, 1, matrix.OpeningUnanswered }),
			verdict: matrix.Unexpected, block: matrix.NoAnswer, dir: matrix.Outbound,
			reason: "no rule allows tcp 3268 outbound; the attempt failed (no-answer: 1 SYN without an answer)"},
		{name: "ignored", facts: out(UDP, nobody, 137, func(f *matrix.FlowFacts) { f.IniPkts = 1 }),
			verdict: matrix.Ignored, dir: matrix.Outbound, reason: "ignored by netbios"},
		{name: "transit", facts: flowFacts(TCP, agent, 51000, dc, 389, handshake),
			verdict: matrix.NotJudged, dir: matrix.Transit, reason: "transit: neither end is the server"},
		{name: "local, no rule", facts: flowFacts(TCP, "127.0.0.1", 51000, server, 8443, handshake),
			verdict: matrix.NotJudged, dir: matrix.Local, reason: "local: both ends are the server and no rule covers it"},
		{name: "local, a local rule", facts: flowFacts(TCP, "::1", 51000, "::1", 5432, handshake),
			verdict: matrix.Allowed, rule: "db-out", dir: matrix.Local, reason: "matches db-out"},

		// Direction and role mistakes: no rule speaks of such a flow.
		{name: "an outbound rule's port, inbound", facts: in(TCP, dc, 389, handshake),
			verdict: matrix.Unexpected, dir: matrix.Inbound, reason: "no rule allows tcp 389 inbound"},
		{name: "an inbound rule's port, outbound", facts: out(UDP, agent, 10000, func(f *matrix.FlowFacts) { f.IniPkts = 1 }),
			verdict: matrix.Unexpected, dir: matrix.Outbound, reason: "no rule allows udp 10000 outbound"},
		{name: "a peer outside the rule's role", facts: out(TCP, nobody, 389, handshake),
			verdict: matrix.Unexpected, dir: matrix.Outbound, reason: "no rule allows tcp 389 outbound"},
		{name: "an outbound rule to the local host, not local", facts: flowFacts(TCP, server, 50000, "127.0.0.1", 389, handshake),
			verdict: matrix.NotJudged, dir: matrix.Local, reason: "local: both ends are the server and no rule covers it"},
		{name: "bidirectional rule, inbound", facts: in(TCP, nobody, 8080, handshake),
			verdict: matrix.Allowed, rule: "console", dir: matrix.Inbound, reason: "matches console"},
		{name: "bidirectional rule, outbound", facts: flowFacts(TCP, server, 50001, nobody, 8080, handshake),
			verdict: matrix.Allowed, rule: "console", dir: matrix.Outbound, reason: "matches console"},
		{name: "two rules alike", facts: in(TCP, nobody, 8443, handshake),
			verdict: matrix.Allowed, rule: "web-in", dir: matrix.Inbound, reason: "matches web-in",
			notes: []string{"ambiguous: also matches [web-again-in]; web-in chosen by config order"}},
		{name: "server source port below the dynamic range", facts: flowFacts(TCP, server, 1025, dc, 389, certain(protocol.LDAP)),
			verdict: matrix.Allowed, rule: "directory-out", dir: matrix.Outbound, reason: "matches directory-out",
			notes: []string{"server source port 1025 is outside the site's dynamic range 49152-65535 (site.dynamic_ports)"}},

		// The dynamic range: admitted only by the capture's evidence.
		{name: "learned endpoint in the range", facts: out(TCP, dc, 49800, handshake), learned: learnedEndpoints{answer(49800)},
			verdict: matrix.Allowed, rule: "dyn-out", dir: matrix.Outbound, reason: "matches dyn-out", notes: []string{learned}},
		{name: "learned endpoint outside the range", facts: out(TCP, dc, 4997, handshake), learned: learnedEndpoints{answer(4997)},
			verdict: matrix.Allowed, rule: "dyn-out", dir: matrix.Outbound, reason: "matches dyn-out",
			notes: []string{"learned: port 4997 handed out by the endpoint mapper in tcp 10.0.0.10:49700 -> 10.0.0.20:135, outside the rule's documented range 49152-65535 (RPC ports fixed or narrowed on the site)"}},
		{name: "strict_range refuses a learned port outside the range", facts: out(TCP, dc, 4997, handshake), learned: learnedEndpoints{answer(4997)}, strict: true,
			verdict: matrix.Unexpected, dir: matrix.Outbound, reason: "no rule allows tcp 4997 outbound"},
		{name: "strict_range keeps a learned port inside the range", facts: out(TCP, dc, 49800, handshake), learned: learnedEndpoints{answer(49800)}, strict: true,
			verdict: matrix.Allowed, rule: "dyn-out", dir: matrix.Outbound, reason: "matches dyn-out", notes: []string{learned}},
		{name: "learned endpoint, the attempt failed", facts: out(TCP, dc, 49800, synsUnanswered), learned: learnedEndpoints{answer(49800)},
			verdict: matrix.Blocked, rule: "dyn-out", block: matrix.NoAnswer, dir: matrix.Outbound, reason: "no-answer: 2 SYNs without an answer", notes: []string{learned}},
		{name: "an endpoint named by another host", facts: out(TCP, dc, 49800, handshake), learned: learnedEndpoints{crafted},
			verdict: matrix.Unexpected, dir: matrix.Outbound, reason: "no rule allows tcp 49800 outbound"},
		{name: "an endpoint handed to another client", facts: out(TCP, dc, 49800, handshake), learned: learnedEndpoints{otherClient},
			verdict: matrix.Unexpected, dir: matrix.Outbound, reason: "no rule allows tcp 49800 outbound"},
		{name: "by range to a peer that answered DCE/RPC", facts: out(TCP, dc, 49800, handshake), dcs: []string{dc},
			verdict: matrix.Allowed, rule: "dyn-out", dir: matrix.Outbound, reason: "matches dyn-out", notes: []string{byRange}},
		{name: "the range without evidence", facts: out(TCP, dc, 49800, handshake),
			verdict: matrix.Unexpected, dir: matrix.Outbound, reason: "no rule allows tcp 49800 outbound"},
		{name: "the range, another peer answered DCE/RPC", facts: out(TCP, dc, 49800, handshake), dcs: []string{dc2},
			verdict: matrix.Unexpected, dir: matrix.Outbound, reason: "no rule allows tcp 49800 outbound"},
		{name: "a learned port off the rule's range, inbound", facts: in(TCP, dc, 4997, handshake), learned: learnedEndpoints{answer(4997)},
			verdict: matrix.Unexpected, dir: matrix.Inbound, reason: "no rule allows tcp 4997 inbound"},
	}
}

// TestJudge judges flows by their facts alone, with the endpoints and
// domain controllers the capture showed: every verdict, every way of
// failing, the evidence rule's unconfirmed cases, learned ports and the
// mistakes of direction and role, reason and notes word for word.
func TestJudge(t *testing.T) {
	sites := map[bool]*matrix.Matrix{false: loadJudgeSite(t, false), true: loadJudgeSite(t, true)}
	for _, tc := range judgeCases() {
		t.Run(tc.name, func(t *testing.T) {
			m := sites[tc.strict]
			cx := &matrix.Context{Servers: matrix.NewServerSet([]netip.Addr{netip.MustParseAddr(server)}), DCs: &matrix.DCs{ByEPM: map[netip.Addr]bool{}},
				Evidence: tc.learned, EPMLifetime: time.Hour, Explain: !tc.quiet, Ports: matrix.NewNamedPorts(m)}
			for _, a := range tc.dcs {
				cx.DCs.ByEPM[netip.MustParseAddr(a)] = true
			}
			var j matrix.Judgement
			m.Judge(&tc.facts, cx, &j)
			rule := ""
			if j.Rule >= 0 {
				rule = m.Rules[j.Rule].ID
			}
			if j.Verdict != tc.verdict || rule != tc.rule || j.Block != tc.block || j.Dir != tc.dir {
				t.Errorf("%s by %q (%q, %s), want %s by %q (%q, %s)", j.Verdict, rule, j.Block, j.Dir, tc.verdict, tc.rule, tc.block, tc.dir)
			}
			if j.Reason != tc.reason || !slices.Equal(j.Notes, tc.notes) {
				t.Errorf("reason %q notes %q,\nwant   %q notes %q", j.Reason, j.Notes, tc.reason, tc.notes)
			}
			if learned := tc.learned != nil && tc.rule == "dyn-out"; (j.Learned != nil) != learned {
				t.Errorf("learned endpoint %v, want one: %v", j.Learned, learned)
			}
			if wantIgnore := tc.verdict == matrix.Ignored; (j.Ignore >= 0) != wantIgnore || wantIgnore && m.Ignore[j.Ignore].ID != "netbios" {
				t.Errorf("ignore entry %d", j.Ignore)
			}
			peer, port := tc.facts.Res, tc.facts.ResPort
			if tc.dir == matrix.Inbound {
				peer = tc.facts.Ini
			}
			if j.PeerAddr != peer || j.Peer != peer.Netip() || j.Port != port {
				t.Errorf("peer %s (%s) port %d, want %s port %d", j.Peer, j.PeerAddr.Netip(), j.Port, peer.Netip(), port)
			}
		})
	}
}

// TestNoteDC records the domain controllers the traffic shows: the peer
// of the server's flow to the endpoint mapper, when it answered DCE/RPC.
func TestNoteDC(t *testing.T) {
	answered := func(f *matrix.FlowFacts) {
		handshake(f)
		f.AnsweredRPC = true
	}
	for _, tc := range []struct {
		name  string
		facts matrix.FlowFacts
		dc    bool
	}{
		{"answered DCE/RPC on 135", out(capture.ProtoTCP, dc, 135, answered), true},
		{"a handshake on 135 without DCE/RPC", out(capture.ProtoTCP, dc, 135, handshake), false},
		{"DCE/RPC on another port", out(capture.ProtoTCP, dc, 1135, answered), false},
		{"the peer's own flow to the server's 135", in(capture.ProtoTCP, dc, 135, answered), false},
		{"nothing back", out(capture.ProtoTCP, dc, 135, func(f *matrix.FlowFacts) {
			answered(f)
			f.ResPkts = 0
		}), false},
		{"UDP 135", out(capture.ProtoUDP, dc, 135, answered), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cx := &matrix.Context{Servers: matrix.NewServerSet([]netip.Addr{netip.MustParseAddr(server)}), DCs: &matrix.DCs{ByEPM: map[netip.Addr]bool{}}}
			cx.NoteDC(&tc.facts)
			if got := cx.DCs.ByEPM[netip.MustParseAddr(dc)]; got != tc.dc || len(cx.DCs.ByEPM) > 1 {
				t.Errorf("domain controllers %v, want %s: %v", cx.DCs.ByEPM, dc, tc.dc)
			}
		})
	}
}
