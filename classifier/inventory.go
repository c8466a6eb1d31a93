package classifier

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/classifier/protocol"
	"github.com/flowverify/flowverify/configs"
	"github.com/flowverify/flowverify/report"
)

// maxInventory bounds the addresses an inventory describes; a scan's
// further addresses are counted, not listed.
const maxInventory = 10000

// maxServices bounds the ports listed per host and direction.
const maxServices = 64

type svcKey struct {
	proto    uint8
	port     uint16
	protocol string
}

type svcAgg struct {
	flows int
	peers map[netip.Addr]bool
}

type addrAgg struct {
	packets, bytes uint64
	// serves and opens hold answered flows only: a port that refused
	// or never answered is not served, whatever was sent to it.
	serves, opens map[svcKey]*svcAgg
	// refused and silent are the ports this address refused (an RST, an
	// ICMP error) or never answered; tried those it opened and got
	// either of the two from.
	refused, silent, tried *portsAgg
}

// inventory collects, flow by flow, what every address serves and opens.
type inventory struct {
	addrs  map[netip.Addr]*addrAgg
	others map[netip.Addr]bool
	site   siteModel // what a host can be, set when the hosts are described
	// received are the UDP ports of the matrix's one_way rows: a
	// datagram with no reply is received there, not unanswered.
	received map[uint16]bool
	// scans are the report's scanners other than the server, each with
	// its scan's line less the scanner: a scanner plays no part and is
	// no member of a role, whatever rows its probes hit.
	scans map[netip.Addr]string
}

func (inv *inventory) host(a netip.Addr) *addrAgg {
	h := inv.addrs[a]
	if h == nil {
		if len(inv.addrs) >= maxInventory {
			if len(inv.others) < maxInventory {
				inv.others[a] = true
			}
			return nil
		}
		h = &addrAgg{serves: map[svcKey]*svcAgg{}, opens: map[svcKey]*svcAgg{}, refused: newPortsAgg(), silent: newPortsAgg(), tried: newPortsAgg()}
		inv.addrs[a] = h
	}
	return h
}

func note(m map[svcKey]*svcAgg, k svcKey, peer netip.Addr) {
	s := m[k]
	if s == nil {
		if len(m) >= maxServices {
			return
		}
		s = &svcAgg{peers: map[netip.Addr]bool{}}
		m[k] = s
	}
	s.flows++
	if len(s.peers) < 1000 {
		s.peers[peer] = true
	}
}

// outcome is what a flow shows of its responder's port.
type outcome uint8

const (
	answeredPort outcome = iota // a reply, a handshake, a SYN/ACK, or a datagram a one_way row receives
	refusedPort                 // an RST to the SYN, or an ICMP error
	silentPort                  // sent to, and nothing came back
)

// outcomeOf tells an answered port from a refused or silent one. A SYN/ACK
// answers even when the opener resets it (a SYN scan): the port listens.
func (inv *inventory) outcomeOf(f *flow.Flow, port uint16, protocolName string) outcome {
	switch {
	case f.Unreach || f.OnlyByICMP:
		return refusedPort
	case f.Key.Proto == capture.ProtoTCP && f.ConnState() == "REJ" && !f.SentSYNACK(flow.Resp):
		return refusedPort
	case f.Pkts[flow.Resp] > 0:
		return answeredPort
	case f.Key.Proto == capture.ProtoUDP && (inv.received[port] || protocolName == protocol.Syslog.String()):
		// A datagram stream (syslog) is served without an answer.
		return answeredPort
	}
	return silentPort
}

// observe adds a finished flow: the responder serves its port and the
// initiator opens it when the port answered; else the responder refused
// it or stayed silent, and the initiator tried it. A multicast or
// broadcast responder is no host.
func (inv *inventory) observe(f *flow.Flow, protocolName string) {
	ia, _ := f.Initiator()
	ra, rport := f.Responder()
	i, r := ia.Netip(), ra.Netip()
	k := svcKey{f.Key.Proto, rport, protocolName}
	if _, _, icmp := f.ICMPMessage(); icmp {
		k.port = 0
	}
	o := inv.outcomeOf(f, rport, protocolName)
	if h := inv.host(i); h != nil {
		h.packets += uint64(f.Pkts[flow.Orig])
		h.bytes += f.Bytes[flow.Orig]
		if o == answeredPort {
			note(h.opens, k, r)
		} else {
			h.tried.note(k, r)
		}
	}
	if r.IsMulticast() || r == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return
	}
	if h := inv.host(r); h != nil {
		h.packets += uint64(f.Pkts[flow.Resp])
		h.bytes += f.Bytes[flow.Resp]
		switch o {
		case answeredPort:
			note(h.serves, k, i)
		case refusedPort:
			h.refused.note(k, i)
		default:
			h.silent.note(k, i)
		}
	}
}

// maxPorts bounds the refused, silent or tried ports kept per address:
// every port of both transports, so that a scan is told in full.
const maxPorts = 2 * 65536

// portsAgg counts flows by transport and port, compactly: a scan of
// every port must not cost a map of peers per port.
type portsAgg struct {
	flows map[uint32]int // transport<<16 | port
	peers map[uint8]map[netip.Addr]bool
}

func newPortsAgg() *portsAgg {
	return &portsAgg{flows: map[uint32]int{}, peers: map[uint8]map[netip.Addr]bool{}}
}

func (p *portsAgg) note(k svcKey, peer netip.Addr) {
	key := uint32(k.proto)<<16 | uint32(k.port)
	if _, ok := p.flows[key]; !ok && len(p.flows) >= maxPorts {
		return
	}
	p.flows[key]++
	ps := p.peers[k.proto]
	if ps == nil {
		ps = map[netip.Addr]bool{}
		p.peers[k.proto] = ps
	}
	if len(ps) < 1000 {
		ps[peer] = true
	}
}

func (p *portsAgg) merge(src *portsAgg) {
	for k, n := range src.flows {
		p.flows[k] += n
	}
	for proto, ps := range src.peers {
		if p.peers[proto] == nil {
			p.peers[proto] = map[netip.Addr]bool{}
		}
		for a := range ps {
			p.peers[proto][a] = true
		}
	}
}

// list is the ports by transport, as ranges.
func (p *portsAgg) list() []report.Ports {
	byProto := map[uint8][]int{}
	flows := map[uint8]int{}
	for key, n := range p.flows {
		proto := uint8(key >> 16)
		byProto[proto] = append(byProto[proto], int(key&0xffff))
		flows[proto] += n
	}
	out := []report.Ports{}
	for proto, ports := range byProto {
		slices.Sort(ports)
		out = append(out, report.Ports{Transport: matrix.TransportName(proto), Ports: portRanges(ports), Count: len(ports), Flows: flows[proto], Peers: len(p.peers[proto])})
	}
	slices.SortFunc(out, func(a, b report.Ports) int { return strings.Compare(a.Transport, b.Transport) })
	return out
}

// portRanges writes sorted ports as "1-87,89,90-388".
func portRanges(ports []int) string {
	var b strings.Builder
	for i := 0; i < len(ports); {
		j := i
		for j+1 < len(ports) && ports[j+1] == ports[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j > i {
			fmt.Fprintf(&b, "%d-%d", ports[i], ports[j])
		} else {
			fmt.Fprintf(&b, "%d", ports[i])
		}
		i = j + 1
	}
	return b.String()
}

// receivedPorts are the UDP ports of the matrix's one_way rows.
func receivedPorts(m *matrix.Matrix) map[uint16]bool {
	out := map[uint16]bool{}
	for _, r := range m.Rules {
		if !r.OneWay || r.Transport != matrix.UDP {
			continue
		}
		for p := 0; p < 65536; p++ {
			if r.Ports.Contains(uint16(p)) {
				out[uint16(p)] = true
			}
		}
	}
	return out
}

// Inventory reads the captures as analyze does, with every role empty
// (any peer) and the server inferred unless the matrix names it, and
// describes every host: what it serves and opens, what part of a Threat
// Manager site it plays, and a site configuration built from which rules
// reached it.
func Inventory(m *matrix.Matrix, srcs []*capture.FileSource, unread []*capture.InputStats, o Options) (*report.Inventory, error) {
	open := openRoles(m)
	inv := &inventory{addrs: map[netip.Addr]*addrAgg{}, others: map[netip.Addr]bool{}, received: receivedPorts(m)}
	var table *flow.Table
	r, _, err := analyze(open, srcs, unread, o, func(an *analyzer, t *flow.Table) {
		table = t
		all := new(flow.PortSet)
		for p := 0; p < 65536; p++ {
			all.Add(uint16(p))
		}
		t.SetMACPorts(all)
		end := t.OnEnd
		t.OnEnd = func(f *flow.Flow) {
			end(f)
			inv.observe(f, protocolOf(f.Meta, f.Protocol).String())
		}
	})
	if err != nil {
		return nil, err
	}
	out := inv.build(m, r, table)
	if m.ConfigFile != "" {
		// -c takes one file: the site file carries this one's rules and
		// settings, or judging with it would lose them.
		if out.Config.Base, err = os.ReadFile(m.ConfigFile); err != nil {
			return nil, fmt.Errorf("reading %s again for the site file: %w", m.ConfigFile, err)
		}
	}
	return out, nil
}

// openRoles is m with every role emptied: the inventory asks which peers
// each rule reached, not which it was told to expect.
func openRoles(m *matrix.Matrix) *matrix.Matrix {
	c := *m
	c.Roles = map[string]*matrix.Role{}
	for name, r := range m.Roles {
		c.Roles[name] = &matrix.Role{Name: r.Name}
	}
	return &c
}

func (inv *inventory) build(m *matrix.Matrix, r *report.Report, t *flow.Table) *report.Inventory {
	out := &report.Inventory{Schema: report.InventorySchema, Inputs: r.Inputs, Server: r.Server, Others: len(inv.others),
		Damaged: r.Summary.Damaged, Warnings: r.Warnings}
	inv.site = newSiteModel(m)
	partner := stationPairs(t, func(a netip.Addr) bool { return inv.addrs[a] != nil })
	servers := map[netip.Addr]bool{}
	for _, s := range r.Server.Addresses {
		if a, err := netip.ParseAddr(s); err == nil {
			servers[a] = true
		}
	}
	reached, tried := reachedBy(r, true), reachedBy(r, false)
	inv.scans = scanLines(r, servers)
	for a := range inv.scans {
		delete(reached, a)
		delete(tried, a)
	}
	addrs := make([]netip.Addr, 0, len(inv.addrs))
	for a := range inv.addrs {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	done := map[netip.Addr]bool{}
	var parts []hostPart
	var hostAddrs [][]netip.Addr // the addresses of out.Hosts[i], as read
	for _, a := range addrs {
		if done[a] {
			continue
		}
		group := []netip.Addr{a}
		if p, ok := partner[a]; ok {
			group = append(group, p)
		}
		for _, g := range group {
			done[g] = true
		}
		h, hp := inv.describe(group, servers, reached, tried)
		parts = append(parts, hp)
		hostAddrs = append(hostAddrs, group)
		if t != nil {
			if mac, ok := t.MAC(capture.AddrFromNetip(a)); ok && len(group) == 2 {
				h.MAC = net.HardwareAddr(mac[:]).String()
			}
		}
		out.Hosts = append(out.Hosts, h)
	}
	inv.site.nameHosts(out.Hosts, parts)
	// The site file lists every peer a rule's flows went to, answered
	// or not: judged with it, a flow that failed or was seen one way
	// only is that rule's, as it is with -s alone, not unexpected.
	went := map[netip.Addr][]string{}
	for _, byAddr := range []map[netip.Addr][]string{reached, tried} {
		for a, ids := range byAddr {
			went[a] = append(went[a], ids...)
		}
	}
	out.Config, out.Args = siteConfig(m, r, out.Hosts, hostAddrs, went)
	for i := range out.Hosts {
		h := &out.Hosts[i]
		for role, members := range out.Config.Roles {
			// A role the site file invents for a narrowed rule is no
			// role of the matrix the host was described with.
			if slices.Contains(members, h.Name) && m.Roles[role] != nil {
				h.Roles = append(h.Roles, role)
			}
		}
		slices.Sort(h.Roles)
	}
	return out
}

// reachedBy maps each address to the rules whose flows reached it
// (answered), or with answered false to those whose flows went to it and
// never reached it (blocked, or seen one way only).
func reachedBy(r *report.Report, answered bool) map[netip.Addr][]string {
	out := map[netip.Addr][]string{}
	for _, rule := range r.Rules {
		for _, p := range rule.Peers {
			if (p.Status == matrix.StatusOK) != answered {
				continue
			}
			addrs := p.Addresses
			if p.Address != "" {
				addrs = []string{p.Address}
			}
			for _, s := range addrs {
				if a, err := netip.ParseAddr(s); err == nil {
					out[a] = append(out[a], rule.ID)
				}
			}
		}
	}
	return out
}

// describe merges a host's addresses and says what it looks like.
func (inv *inventory) describe(group []netip.Addr, servers map[netip.Addr]bool, reached, tried map[netip.Addr][]string) (report.InventoryHost, hostPart) {
	h := report.InventoryHost{Serves: []report.Service{}, Opens: []report.Service{}}
	serves, opens := map[svcKey]*svcAgg{}, map[svcKey]*svcAgg{}
	refused, silent, failed := newPortsAgg(), newPortsAgg(), newPortsAgg()
	isServer := false
	var rules, unanswered []string
	for _, a := range group {
		h.Addresses = append(h.Addresses, a.String())
		x := inv.addrs[a]
		h.Packets += x.packets
		h.Bytes += x.bytes
		merge(serves, x.serves)
		merge(opens, x.opens)
		refused.merge(x.refused)
		silent.merge(x.silent)
		failed.merge(x.tried)
		isServer = isServer || servers[a]
		rules = append(rules, reached[a]...)
		unanswered = append(unanswered, tried[a]...)
	}
	h.Serves, h.Opens = serviceList(serves), serviceList(opens)
	h.Refused, h.NoAnswer, h.Tried = refused.list(), silent.list(), failed.list()
	slices.Sort(rules)
	rules = slices.Compact(rules)
	slices.Sort(unanswered)
	unanswered = slices.DeleteFunc(slices.Compact(unanswered), func(id string) bool { return slices.Contains(rules, id) })
	weak := inv.site.weakParts(servers, serves, opens)
	hp, ev := inv.site.looksLike(isServer, h.Serves, rules, unanswered, weak)
	h.LooksLike, h.Evidence = inv.site.what(hp), ev
	for _, a := range group {
		if line, ok := inv.scans[a]; ok && !isServer {
			// Weak evidence may have given it a part: a scan shows
			// the ports it hit, not what the host is.
			h.LooksLike, hp = "a scanner: "+line, hostPart{part: -1}
			break
		}
	}
	return h, hp
}

// scanLines gives each scanner of r but the server its scan's line
// without the scanner's own name: "probed 1000 ports of 10.99.0.10, 2
// accepted".
func scanLines(r *report.Report, servers map[netip.Addr]bool) map[netip.Addr]string {
	out := map[netip.Addr]string{}
	for _, sc := range r.Scans {
		a, err := netip.ParseAddr(sc.Scanner)
		if err != nil || servers[a] {
			continue
		}
		out[a] = strings.TrimPrefix(sc.Line(), sc.ScannerLabel()+" ")
	}
	return out
}

func merge(dst, src map[svcKey]*svcAgg) {
	for k, s := range src {
		d := dst[k]
		if d == nil {
			d = &svcAgg{peers: map[netip.Addr]bool{}}
			dst[k] = d
		}
		d.flows += s.flows
		for p := range s.peers {
			d.peers[p] = true
		}
	}
}

func serviceList(m map[svcKey]*svcAgg) []report.Service {
	out := []report.Service{}
	for k, s := range m {
		out = append(out, report.Service{Transport: matrix.TransportName(k.proto), Port: int(k.port), Protocol: k.protocol, Flows: s.flows, Peers: len(s.peers)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Port != out[j].Port {
			return out[i].Port < out[j].Port
		}
		if out[i].Transport != out[j].Transport {
			return out[i].Transport < out[j].Transport
		}
		return out[i].Protocol < out[j].Protocol
	})
	return out
}

// siteModel is what a host can be in the site, from the matrix: the
// server, or one of the site's parts, with the rules whose flows show it.
type siteModel struct {
	server     string // what the server looks like: "the Threat Manager server"
	serverHost string // the stem of its host's name
	parts      []sitePart
}

// sitePart is one part with the rules that name it and the stem of the
// names its hosts take.
type sitePart struct {
	name, what string
	rules      []string
	// weak are the site.weak_evidence kinds that name this part without
	// only_with: a host the server reached on one of them plays it (a
	// domain controller seen only through the global catalog or CLDAP).
	weak []matrix.ServerEvidence
}

func newSiteModel(m *matrix.Matrix) siteModel {
	sm := siteModel{server: "the " + m.Site.ServerLabel(), serverHost: m.Site.ServerHost}
	if sm.serverHost == "" {
		sm.serverHost = "server"
	}
	for _, p := range m.Site.Parts {
		sp := sitePart{name: p.Name, what: p.LooksLike}
		for _, r := range m.Rules {
			if r.Part == p.Name {
				sp.rules = append(sp.rules, r.ID)
			}
		}
		for _, e := range m.ServerEvidence() {
			if e.Weak && e.Part == p.Name && e.OnlyWith == "" {
				sp.weak = append(sp.weak, e)
			}
		}
		sm.parts = append(sm.parts, sp)
	}
	return sm
}

// triedAs is what a host looks like that the server tried as this part
// and that never answered.
func (p sitePart) triedAs() string {
	what, _, _ := strings.Cut(p.what, " (")
	return "tried as " + what + ", never answered"
}

// hostPart is the part a host plays: the server, one of the site's parts
// (tried only, when its rules never reached it), or none (part -1).
type hostPart struct {
	server bool
	part   int
	tried  bool
}

// what words the part a host plays, "" for none.
func (sm siteModel) what(hp hostPart) string {
	switch {
	case hp.server:
		return sm.server
	case hp.part < 0:
		return ""
	case hp.tried:
		return sm.parts[hp.part].triedAs()
	}
	return sm.parts[hp.part].what
}

// looksLike names the part a host plays, from the rules that reached it
// or, failing those, that tried it unanswered, and states the evidence.
func (sm siteModel) looksLike(isServer bool, serves []report.Service, rules, unanswered []string, weak map[int][]string) (hostPart, []string) {
	var ev []string
	for _, s := range serves {
		if s.Protocol != protocol.Unknown.String() {
			verb := "answers"
			if s.Transport == matrix.TransportName(matrix.UDP) && s.Protocol == protocol.Syslog.String() {
				verb = "receives"
			}
			ev = append(ev, fmt.Sprintf("%s %s on %s/%d", verb, s.Protocol, s.Transport, s.Port))
		}
	}
	if isServer {
		return hostPart{server: true, part: -1}, ev
	}
	if len(rules) > 0 {
		ev = append(ev, "reached by "+strings.Join(rules, ", "))
	}
	if len(unanswered) > 0 {
		ev = append(ev, "tried by "+strings.Join(unanswered, ", ")+", never answered")
	}
	for i, p := range sm.parts {
		for _, r := range p.rules {
			if slices.Contains(rules, r) {
				return hostPart{part: i}, ev
			}
		}
	}
	// No row reached it, but the server's usual talk beyond the matrix
	// did, and answered: it plays that part, and the evidence says how.
	for i := range sm.parts {
		if texts := weak[i]; len(texts) > 0 {
			return hostPart{part: i}, append(ev, "weak evidence, the server with it: "+strings.Join(texts, ", "))
		}
	}
	// Tried and never answered: the server treats it as one, the traffic
	// does not show it being one.
	for i, p := range sm.parts {
		for _, r := range p.rules {
			if slices.Contains(unanswered, r) {
				return hostPart{part: i, tried: true}, ev
			}
		}
	}
	return hostPart{part: -1}, ev
}

// weakParts finds, for each part, the weak evidence kinds a host showed
// with the server in an answered flow: it serves the port the server
// opens, or opens the port the server serves. The texts are the kinds'
// own, "opens the global catalog tcp/3268", from the server's side.
func (sm siteModel) weakParts(servers map[netip.Addr]bool, serves, opens map[svcKey]*svcAgg) map[int][]string {
	withServer := func(m map[svcKey]*svcAgg, proto uint8, port uint16) bool {
		for k, s := range m {
			if k.proto != proto || k.port != port {
				continue
			}
			for p := range s.peers {
				if servers[p] {
					return true
				}
			}
		}
		return false
	}
	var out map[int][]string
	for i, p := range sm.parts {
		for _, e := range p.weak {
			side := serves // the server opens it: the host serves it
			if e.Responder {
				side = opens
			}
			if withServer(side, e.Transport, e.Port) && !slices.Contains(out[i], e.Text) {
				if out == nil {
					out = map[int][]string{}
				}
				out[i] = append(out[i], e.Text)
			}
		}
	}
	return out
}

// nameHosts gives the server and every host that plays a part a name:
// tm, dc1, dc2, agent1, ... (parts[i] is what hosts[i] plays).
func (sm siteModel) nameHosts(hosts []report.InventoryHost, parts []hostPart) {
	n := map[string]int{}
	for i := range hosts {
		h, hp := &hosts[i], parts[i]
		switch {
		case hp.server:
			h.Name = sm.serverHost
			if n[sm.serverHost]++; n[sm.serverHost] > 1 {
				h.Name = fmt.Sprintf("%s%d", sm.serverHost, n[sm.serverHost])
			}
		case hp.part >= 0:
			stem := sm.parts[hp.part].name
			n[stem]++
			h.Name = fmt.Sprintf("%s%d", stem, n[stem])
		}
	}
}

// siteBuild is the site configuration as it is built: the matrix it
// describes the site against, the hosts each rule went to, and the roles
// the traffic may not fill.
type siteBuild struct {
	m      *matrix.Matrix
	cfg    report.SiteConfig
	byRule map[string][]string // rule id -> the named hosts its flows went to
	bounds roleBounds
}

// roleBounds are the roles the matrix restricts (a member given by the
// file, a flag or a variable) and the roles of the rules that use one.
// A restricted role is written with its own members, never with the
// peers the traffic showed: an empty role admits any peer, and peers the
// matrix did not list would pass a rule judged with the site file that
// fails judged with the matrix. A rule's roles are judged together
// (empty ones admit nothing when another lists peers), so the other
// roles of such a rule are not filled from the traffic either.
type roleBounds struct {
	kept    map[string][]string // role -> its members as addresses and CIDRs
	bounded map[string]bool
}

func boundsOf(m *matrix.Matrix) roleBounds {
	b := roleBounds{kept: map[string][]string{}, bounded: map[string]bool{}}
	for name, r := range m.Roles {
		if len(r.Prefixes) == 0 {
			continue
		}
		// Addresses, not the matrix's host names: the site file's
		// hosts replace the matrix's.
		var members []string
		for _, p := range r.Prefixes {
			s := p.String()
			if p.IsSingleIP() {
				s = p.Addr().String()
			}
			if !slices.Contains(members, s) {
				members = append(members, s)
			}
		}
		b.kept[name] = members
	}
	for _, rule := range m.Rules {
		if slices.ContainsFunc(rule.Roles, func(role string) bool { return b.kept[role] != nil }) {
			for _, role := range rule.Roles {
				b.bounded[role] = true
			}
		}
	}
	return b
}

// siteConfig writes the site as configuration: the named hosts, the
// server, each role's members from the rules that reached them, and, for
// a rule that reached only some of its role's members (a DC without an
// endpoint mapper), a role of its own, so that judging with the file calls
// nothing partial that worked. hosts[i] has the addresses addrs[i].
func siteConfig(m *matrix.Matrix, r *report.Report, hosts []report.InventoryHost, addrs [][]netip.Addr, reached map[netip.Addr][]string) (report.SiteConfig, []report.SiteArg) {
	sb := &siteBuild{m: m, cfg: report.SiteConfig{Hosts: map[string][]string{}, Roles: map[string][]string{}},
		byRule: map[string][]string{}, bounds: boundsOf(m)}
	flags := sb.hosts(r, hosts, addrs, reached)
	cfg := &sb.cfg
	for _, rule := range m.Rules {
		for _, role := range rule.Roles {
			if sb.bounds.bounded[role] {
				continue
			}
			for _, h := range sb.byRule[rule.ID] {
				if !slices.Contains(cfg.Roles[role], h) {
					cfg.Roles[role] = append(cfg.Roles[role], h)
				}
			}
		}
	}
	sb.narrow()
	for name, members := range sb.bounds.kept {
		cfg.Roles[name] = members
		cfg.Kept = append(cfg.Kept, name)
	}
	slices.Sort(cfg.Kept)
	if m.ConfigFile != "" {
		sb.fileRoles()
	}
	roles := make([]string, 0, len(cfg.Roles))
	for name := range cfg.Roles {
		roles = append(roles, name)
	}
	slices.Sort(roles)
	flagRoles := rolesForFlags(m, sb.byRule, sb.bounds)
	for _, name := range roles {
		slices.Sort(cfg.Roles[name])
		if members := flagRoles[name]; len(members) > 0 {
			flags = append(flags, report.SiteArg{Setting: matrix.SettingRole, Name: name, Values: members})
		}
	}
	return sb.sorted(), flags
}

// hosts names the hosts and the server in the configuration and notes
// which named hosts each rule went to; it returns the flags so far.
func (sb *siteBuild) hosts(r *report.Report, hosts []report.InventoryHost, addrs [][]netip.Addr, reached map[netip.Addr][]string) []report.SiteArg {
	var flags []report.SiteArg
	cfg := &sb.cfg
	if sb.m.Profile != configs.Default {
		// Without it, -c would lay the file over the default profile:
		// rows the site was not described with, and narrowed rules
		// the default may not have.
		cfg.Extends = sb.m.Profile
		flags = append(flags, report.SiteArg{Setting: matrix.SettingProfile, Values: []string{sb.m.Profile}})
	}
	servers := map[netip.Addr]bool{}
	for _, s := range r.Server.Addresses {
		if a, err := netip.ParseAddr(s); err == nil {
			servers[a] = true
		}
	}
	for i, h := range hosts {
		if h.Name == "" {
			continue
		}
		cfg.Hosts[h.Name] = h.Addresses
		flags = append(flags, report.SiteArg{Setting: matrix.SettingHost, Name: h.Name, Values: h.Addresses})
		if slices.ContainsFunc(addrs[i], func(a netip.Addr) bool { return servers[a] }) {
			cfg.Server = append(cfg.Server, h.Name)
			continue
		}
		var rules []string
		for _, a := range addrs[i] {
			rules = append(rules, reached[a]...)
		}
		slices.Sort(rules)
		for _, id := range slices.Compact(rules) {
			sb.byRule[id] = append(sb.byRule[id], h.Name)
		}
	}
	if len(cfg.Server) > 0 {
		flags = append(flags, report.SiteArg{Setting: matrix.SettingServer, Values: slices.Clone(cfg.Server)})
	}
	return flags
}

// fileRoles makes the roles of a site file laid over a matrix file (-c)
// those its rules use: its roles replace the file's, so a role the file
// declares and the traffic gave no member is written empty (any peer, as
// the file has it), and a role whose every rule now has a role of its own
// is left out, with its place in the diagram: a role that no rule or
// ignore entry uses and the profile does not declare does not load.
func (sb *siteBuild) fileRoles() {
	own := map[string][]string{}
	for _, r := range sb.cfg.Rules {
		own[r.ID] = r.Role
	}
	used := map[string]bool{}
	for _, rule := range sb.m.Rules {
		roles := rule.Roles
		if o, ok := own[rule.ID]; ok {
			roles = o
		}
		for _, role := range roles {
			used[role] = true
		}
	}
	for _, g := range sb.m.Ignore {
		for _, role := range g.Roles() {
			used[role] = true
		}
	}
	for role := range used {
		if sb.cfg.Roles[role] == nil {
			sb.cfg.Roles[role] = []string{}
		}
	}
	// The profile's own roles load unused: kept, with their members.
	if pm, err := matrix.Load(matrix.LoadOptions{Profile: sb.m.Profile}); err == nil {
		for _, role := range pm.RoleOrder {
			used[role] = used[role] || sb.cfg.Roles[role] != nil
		}
	}
	for role := range sb.cfg.Roles {
		if used[role] {
			continue
		}
		delete(sb.cfg.Roles, role)
		if sb.cfg.Site != nil {
			for i, g := range sb.cfg.Site.Groups {
				sb.cfg.Site.Groups[i].Roles = slices.DeleteFunc(g.Roles, func(n string) bool { return n == role })
			}
		}
	}
}

// sorted is the configuration with its lists in a stable order.
func (sb *siteBuild) sorted() report.SiteConfig {
	for _, ms := range sb.cfg.Roles {
		slices.Sort(ms)
	}
	return sb.cfg
}

// narrow gives a rule that reached only some of its roles' members a role
// of its own, so that judging with the file calls nothing partial that
// worked. The new role is no role of the matrix's diagram: the file also
// draws it in the box of the rule's first role, or the rule would leave
// its box for "Other" (site.groups is a list, so the file gives it whole).
// A rule with a role the traffic may not fill (roleBounds) keeps its
// roles.
func (sb *siteBuild) narrow() {
	m, cfg, byRule := sb.m, &sb.cfg, sb.byRule
	boxed := map[string][]string{} // a role of the matrix -> the new roles drawn with it
	for _, rule := range m.Rules {
		if len(rule.Roles) == 0 || len(byRule[rule.ID]) == 0 || sb.bounds.bounded[rule.Roles[0]] {
			continue
		}
		var members []string
		for _, role := range rule.Roles {
			members = append(members, cfg.Roles[role]...)
		}
		slices.Sort(members)
		if len(byRule[rule.ID]) >= len(slices.Compact(members)) {
			continue
		}
		own := ownRole(m, cfg, rule.ID)
		cfg.Roles[own] = byRule[rule.ID]
		cfg.Rules = append(cfg.Rules, report.SiteRule{ID: rule.ID, Role: []string{own}})
		boxed[rule.Roles[0]] = append(boxed[rule.Roles[0]], own)
	}
	site := siteInfo(m.Site)
	if site == nil {
		return
	}
	changed := false
	for i, g := range site.Groups {
		for _, role := range g.Roles {
			if len(boxed[role]) > 0 {
				site.Groups[i].Roles, changed = append(site.Groups[i].Roles, boxed[role]...), true
			}
		}
	}
	if changed {
		cfg.Site = &report.SiteGroups{Groups: site.Groups}
	}
}

// ownRole names the role of a narrowed rule: ID-peers, numbered when the
// matrix or the file has a role of that name already.
func ownRole(m *matrix.Matrix, cfg *report.SiteConfig, id string) string {
	name := id + "-peers"
	for n := 2; m.Roles[name] != nil || cfg.Roles[name] != nil; n++ {
		name = fmt.Sprintf("%s-peers%d", id, n)
	}
	return name
}

// rolesForFlags fills the roles as --role flags can: flags cannot give a
// rule a role of its own, as the file does (rules: [{id, role: [ID-peers]}]),
// so a role shared by rules that went to different hosts would list, for
// one rule, hosts it never tried, and judging with the flags would call it
// partial where -s or the file calls it ok. A role therefore lists only the
// hosts every rule that uses it and went anywhere went to; a rule whose
// hosts its roles then fail to cover has its roles emptied (any peer), so
// that none of its flows turns unexpected. Both only widen what a role
// admits over what the traffic showed, so the flags judge the capture as
// the file does. A role the matrix restricts is given as the matrix has
// it, and the rules that use one are left out (roleBounds), as in the file.
func rolesForFlags(m *matrix.Matrix, byRule map[string][]string, bounds roleBounds) map[string][]string {
	members := map[string][]string{}
	seen := map[string]bool{}
	for _, rule := range m.Rules {
		went := byRule[rule.ID]
		if len(went) == 0 || slices.ContainsFunc(rule.Roles, func(r string) bool { return bounds.bounded[r] }) {
			continue
		}
		for _, role := range rule.Roles {
			if !seen[role] {
				seen[role] = true
				members[role] = slices.Clone(went)
				continue
			}
			members[role] = slices.DeleteFunc(members[role], func(h string) bool { return !slices.Contains(went, h) })
		}
	}
	for changed := true; changed; {
		changed = false
		for _, rule := range m.Rules {
			var listed []string
			for _, role := range rule.Roles {
				listed = append(listed, members[role]...)
			}
			if len(listed) == 0 {
				continue // every role empty: any peer
			}
			for _, h := range byRule[rule.ID] {
				if !slices.Contains(listed, h) {
					for _, role := range rule.Roles {
						if len(members[role]) > 0 {
							members[role], changed = nil, true
						}
					}
					break
				}
			}
		}
	}
	for name, ms := range bounds.kept {
		members[name] = slices.Clone(ms)
	}
	for _, ms := range members {
		slices.Sort(ms)
	}
	return members
}
