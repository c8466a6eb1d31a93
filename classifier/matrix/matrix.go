// Package matrix is the policy: the firewall matrix (rules, roles, port
// sets, ignore entries, limits), how it is loaded and validated (profiles,
// the user's YAML, FLOWVERIFY_* variables, flags), and the judging of one
// flow against it. Judging is pure: what it needs from the engine beyond
// the flow (recognised protocols, learned endpoints) it asks through
// Evidence. It imports nothing of the engine (classifier) or of report.
package matrix

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowverify/flowverify/capture"
)

// Direction of a rule or of a flow relative to the server.
type Direction uint8

// Directions. Local and Transit are flow directions only.
const (
	Inbound Direction = iota + 1
	Outbound
	Bidirectional
	Local
	Transit
)

func (d Direction) String() string {
	switch d {
	case Inbound:
		return "inbound"
	case Outbound:
		return "outbound"
	case Bidirectional:
		return "bidirectional"
	case Local:
		return "local"
	case Transit:
		return "transit"
	}
	return "unknown"
}

// PortRange is an inclusive range.
type PortRange struct{ Lo, Hi uint16 }

// Ports is a list of ranges.
type Ports []PortRange

// Contains reports whether p is in the set.
func (ps Ports) Contains(p uint16) bool {
	for _, r := range ps {
		if p >= r.Lo && p <= r.Hi {
			return true
		}
	}
	return false
}

func (ps Ports) String() string {
	var b strings.Builder
	for i, r := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		if r.Lo == r.Hi {
			b.WriteString(strconv.Itoa(int(r.Lo)))
		} else {
			fmt.Fprintf(&b, "%d-%d", r.Lo, r.Hi)
		}
	}
	return b.String()
}

// maxRanges bounds the port ranges of one rule or ignore entry: every
// flow is tested against them, so a crafted matrix of 120,000 ranges made
// the sample day take 20 s. Real rows list a few.
const maxRanges = 1024

// parsePorts reads "88", "5435,5439" or "49152-65535".
func parsePorts(s string) (Ports, error) {
	var out Ports
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("no ports given")
	}
	if n := strings.Count(s, ",") + 1; n > maxRanges {
		return nil, fmt.Errorf("%d port ranges is more than %d; join them into wider ranges", n, maxRanges)
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("%q: an empty item (a comma too many?)", s)
		}
		lo, hi, isRange := strings.Cut(part, "-")
		if isRange && (strings.TrimSpace(lo) == "" || strings.TrimSpace(hi) == "") {
			return nil, fmt.Errorf("%q: a range has both ends, such as 49152-65535", part)
		}
		a, err := parsePort(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parsePort(hi); err != nil {
				return nil, err
			}
			if b < a {
				return nil, fmt.Errorf("range %q is reversed", part)
			}
		}
		out = append(out, PortRange{a, b})
	}
	return out, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a port number", s)
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %d is outside 1-65535", n)
	}
	return uint16(n), nil
}

// Role is a named set of peers: host names, addresses and CIDRs as the
// configuration gives them (Members), resolved into the prefixes a peer
// is tested against and the peers a rule expects to reach one by one.
type Role struct {
	Name     string
	Members  []string
	Prefixes []netip.Prefix
	// Peers are the named hosts and single addresses: partial and missing
	// peers are judged over these; a CIDR stands for "any of".
	Peers []Peer
	from  origin
}

// contains reports whether a is in the role. An empty role has no members;
// callers treat it as "any peer".
func (r *Role) contains(a netip.Addr) bool {
	for _, p := range r.Prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Transport names.
const (
	TCP = capture.ProtoTCP
	UDP = capture.ProtoUDP
)

// TransportName names an IP protocol number.
func TransportName(p uint8) string {
	switch p {
	case capture.ProtoTCP:
		return "tcp"
	case capture.ProtoUDP:
		return "udp"
	case capture.ProtoICMP:
		return "icmp"
	case capture.ProtoICMPv6:
		return "icmp6"
	}
	return "ip-proto-" + strconv.Itoa(int(p))
}

// Rule is one row of the matrix.
type Rule struct {
	ID          string
	Description string
	Direction   Direction
	Local       bool // also judges flows between the server's own addresses
	Transport   uint8
	Ports       Ports
	Roles       []string
	Protocols   []string
	Required    bool
	Learn       LearnMode // how it learns its ports at run time, if it does
	// OneWay: a UDP row whose peers send and expect nothing back
	// (syslog): a datagram received by the server is the evidence that
	// it works, where any other row needs the responder's answer.
	OneWay bool
	// StrictRange: with learn epm, a learned port counts only inside
	// Ports. By default a port the endpoint mapper named is the row
	// whatever its number (sites fix NTDS and Netlogon ports), and the
	// report notes one outside Ports.
	StrictRange bool
	// Part is the site part (Site.Parts) a host this row's flows reach
	// plays; "" for none.
	Part string
	// evidence is the row's weight as evidence of which address is the
	// server (0: none): each of its ports, on the server's side of the
	// row, counts as that many kinds.
	evidence int
	// service names what the row's port serves, in prose ("AD Web
	// Services"), for the evidence it gives.
	service string
}

// IgnoreRule names traffic a site does not judge.
type IgnoreRule struct {
	ID          string
	Description string
	Transport   uint8
	Ports       Ports
	roles       []string
}

// Roles are the roles an ignore entry names.
func (g IgnoreRule) Roles() []string { return g.roles }

// Limits configures the flow table.
type Limits struct {
	MaxFlows     int
	TCPTimeout   time.Duration
	UDPTimeout   time.Duration
	ClosedLinger time.Duration
	EPMLifetime  time.Duration // how long a port learned from the endpoint mapper stays expected
}

// Matrix is the effective configuration: rules, roles and run settings.
type Matrix struct {
	Name        string
	Description string
	Profile     string // the shipped profile the matrix starts from
	ConfigFile  string
	Server      []netip.Addr
	ServerAuto  bool
	ServerFrom  ServerSource
	ServerHost  string // the host the server's addresses belong to, if one is named
	Hosts       map[string]*Host
	HostOrder   []string
	Roles       map[string]*Role
	RoleOrder   []string
	Rules       []Rule
	Ignore      []IgnoreRule
	Limits      Limits
	FailOn      []Finding
	Site        Site
	hints       []portHint // the profile's word on unexpected ports, before the protocols'

	evidence     []ServerEvidence
	capturePoint CapturePoint
	hostOf       map[netip.Addr]*Host
	serverList   []string
	serverFrom   origin
}

// FailsOn reports whether a finding kind makes the run exit 1.
func (m *Matrix) FailsOn(kind Finding) bool { return slices.Contains(m.FailOn, kind) }

// peerInRoles says whether a rule's roles admit the peer: true with
// specific=true when a non-empty role lists it, true with specific=false
// when every role is empty (any peer), false when roles list other peers.
func (m *Matrix) peerInRoles(roles []string, a netip.Addr) (ok, specific bool) {
	if len(roles) == 0 {
		return true, false
	}
	anyListed := false
	for _, name := range roles {
		r := m.Roles[name]
		if r == nil || len(r.Prefixes) == 0 {
			continue
		}
		anyListed = true
		if r.contains(a) {
			return true, true
		}
	}
	return !anyListed, false
}

// ServicePorts lists every port the matrix names, for the mid-stream
// direction heuristic.
func (m *Matrix) ServicePorts() []uint16 {
	var out []uint16
	for _, r := range m.Rules {
		for _, pr := range r.Ports {
			if pr.Hi-pr.Lo < 16 {
				for p := int(pr.Lo); p <= int(pr.Hi); p++ {
					out = append(out, uint16(p))
				}
			}
		}
	}
	return out
}
