package classifier

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
)

// evidenceKinds are the traffic patterns that mark the Threat Manager
// server: it receives the agents' streams and the console, and it opens
// the directory services of the domain controllers.
type evidenceKind struct {
	proto   uint8
	port    uint16
	inbound bool // true: the server is the responder
	text    string
}

func evidenceKinds() []evidenceKind {
	return []evidenceKind{
		{matrix.UDP, 10000, true, "receives syslog on udp/10000"},
		{matrix.TCP, 10001, true, "receives AMQP on tcp/10001"},
		{matrix.TCP, 8080, true, "serves tcp/8080"},
		{matrix.TCP, 88, false, "opens Kerberos tcp/88"},
		{matrix.TCP, 135, false, "opens the RPC endpoint mapper tcp/135"},
		{matrix.TCP, 389, false, "opens LDAP tcp/389"},
		{matrix.TCP, 9389, false, "opens AD Web Services tcp/9389"},
	}
}

type candidate struct {
	kinds uint16
	peers [16]map[netip.Addr]struct{}
}

// serverInference collects per-address evidence from finished flows.
type serverInference struct {
	cands map[netip.Addr]*candidate
}

func newServerInference() *serverInference {
	return &serverInference{cands: map[netip.Addr]*candidate{}}
}

func (s *serverInference) observe(f *flow.Flow) {
	ia, _ := f.Initiator()
	ra, rport := f.Responder()
	for i, k := range evidenceKinds() {
		if k.proto != f.Key.Proto || k.port != rport {
			continue
		}
		who, peer := ia.Netip(), ra.Netip()
		if k.inbound {
			who, peer = peer, who
		}
		if who.IsLoopback() {
			continue
		}
		c := s.cands[who]
		if c == nil {
			c = &candidate{}
			s.cands[who] = c
		}
		c.kinds |= 1 << i
		if c.peers[i] == nil {
			c.peers[i] = map[netip.Addr]struct{}{}
		}
		if len(c.peers[i]) < 1000 {
			c.peers[i][peer] = struct{}{}
		}
	}
}

func popcount(x uint16) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// decide picks the address with the most kinds of evidence. A tie, or no
// evidence at all, is an error that tells the user what to pass instead.
func (s *serverInference) decide() (netip.Addr, []string, error) {
	type scored struct {
		a netip.Addr
		n int
	}
	var list []scored
	for a, c := range s.cands {
		list = append(list, scored{a, popcount(c.kinds)})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].n != list[j].n {
			return list[i].n > list[j].n
		}
		return list[i].a.Less(list[j].a)
	})
	if len(list) == 0 {
		return netip.Addr{}, nil, fmt.Errorf("cannot infer the server: no address receives udp/10000, tcp/10001 or tcp/8080, and none opens tcp/88, 135, 389 or 9389; pass --server ADDR")
	}
	if len(list) > 1 && list[0].n == list[1].n {
		var names []string
		for _, c := range list {
			if c.n == list[0].n {
				names = append(names, c.a.String())
			}
		}
		return netip.Addr{}, nil, fmt.Errorf("cannot infer the server: %s show the same evidence (%d kinds each); pass --server ADDR", strings.Join(names, ", "), list[0].n)
	}
	best := list[0].a
	c := s.cands[best]
	var ev []string
	for i, k := range evidenceKinds() {
		if c.kinds&(1<<i) != 0 {
			ev = append(ev, fmt.Sprintf("%s %s %d peer(s)", k.text, map[bool]string{true: "from", false: "to"}[k.inbound], len(c.peers[i])))
		}
	}
	if len(list) > 1 {
		ev = append(ev, fmt.Sprintf("next candidate %s shows %d kind(s) of evidence against %d", list[1].a, list[1].n, list[0].n))
	}
	return best, ev, nil
}
