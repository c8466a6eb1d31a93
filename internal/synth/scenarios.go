package synth

import (
	"fmt"
	"net/netip"
	"time"
)

// Net is the cast of a Threat Manager site.
type Net struct {
	Server      string
	DCs         []string
	AMAgents    []string // Activity Monitor agents (syslog)
	TPAgents    []string // Threat Prevention agents (AMQP)
	Console     string
	Analyzer    string // Access Analyzer console host
	Action      string // Action Service host
	Router      string
	Realm       string
	DynamicPort uint16
}

// DefaultNet is the IPv4 site of the sample captures.
func DefaultNet() Net {
	return Net{
		Server: "10.20.0.10", DCs: []string{"10.20.0.21", "10.20.0.22"},
		AMAgents: []string{"10.20.1.31", "10.20.1.32", "10.20.1.33"}, TPAgents: []string{"10.20.1.41", "10.20.1.42"},
		Console: "10.20.2.50", Analyzer: "10.20.2.60", Action: "10.20.3.70", Router: "10.20.0.1",
		Realm: "CORP.EXAMPLE", DynamicPort: 49671,
	}
}

// IPv6Net is the same site on IPv6 addresses.
func IPv6Net() Net {
	return Net{
		Server: "2001:db8:20::10", DCs: []string{"2001:db8:20::21", "2001:db8:20::22"},
		AMAgents: []string{"2001:db8:21::31"}, TPAgents: []string{"2001:db8:21::41"},
		Console: "2001:db8:22::50", Analyzer: "2001:db8:22::60", Action: "2001:db8:23::70", Router: "2001:db8:20::1",
		Realm: "CORP.EXAMPLE", DynamicPort: 49671,
	}
}

// DualStackNet is DefaultNet's hosts on IPv6: each address is
// 2001:db8:0:20:: with the host's IPv4 address in its last 32 bits, so a
// host's two addresses sit behind one MAC, as a dual-stack NIC's do.
func DualStackNet() Net {
	n := DefaultNet()
	v6 := func(a string) string { return "2001:db8:0:20::" + a }
	all := func(as []string) []string {
		out := make([]string, len(as))
		for i, a := range as {
			out[i] = v6(a)
		}
		return out
	}
	n.Server, n.Console, n.Analyzer, n.Action, n.Router = v6(n.Server), v6(n.Console), v6(n.Analyzer), v6(n.Action), v6(n.Router)
	n.DCs, n.AMAgents, n.TPAgents = all(n.DCs), all(n.AMAgents), all(n.TPAgents)
	return n
}

// Site generates traffic for a Net; its port counters keep tuples unique.
type Site struct {
	N        Net
	C        *Capture
	srvPort  uint16
	peerPort uint16
	Iface    int
}

// NewSite starts a capture for n.
func NewSite(n Net, seed uint64) *Site {
	return &Site{N: n, C: New(seed), srvPort: 49800, peerPort: 50100}
}

func (s *Site) serverEP() Endpoint {
	s.srvPort++
	if s.srvPort < 49800 {
		s.srvPort = 49800
	}
	return EP(s.N.Server, s.srvPort)
}

func (s *Site) peerEP(addr string) Endpoint {
	s.peerPort++
	if s.peerPort < 50100 {
		s.peerPort = 50100
	}
	return EP(addr, s.peerPort)
}

// Syslog sends n lines from every Activity Monitor agent.
func (s *Site) Syslog(t time.Time, n int) {
	for i, a := range s.N.AMAgents {
		var msgs []Message
		for k := 0; k < n; k++ {
			line := Syslog3164(13*8+6, t.Add(time.Duration(k)*time.Second), fmt.Sprintf("fs%02d", i+1), "StealthAUDIT",
				fmt.Sprintf("FileSystem event %d: share=\\\\fs%02d\\data op=write", k, i+1))
			if k%2 == 1 {
				line = Syslog5424(13*8+6, t.Add(time.Duration(k)*time.Second), fmt.Sprintf("fs%02d", i+1), "StealthAUDIT", fmt.Sprintf("FileSystem event %d", k))
			}
			msgs = append(msgs, Message{FromClient: true, Data: line, Delay: time.Second})
		}
		s.C.UDP(t.Add(time.Duration(i)*time.Millisecond), s.peerEP(a), EP(s.N.Server, 10000), msgs, s.Iface)
	}
}

// AMQP opens one connection per Threat Prevention agent; the first is
// closed RabbitMQ-style (the broker answers the client's FIN with RST).
func (s *Site) AMQP(t time.Time, publishes int) {
	for i, a := range s.N.TPAgents {
		msgs := []Message{
			{FromClient: true, Data: AMQPHeader091()},
			{FromClient: false, Data: AMQPConnectionStart()},
			{FromClient: true, Data: AMQPStartOk("tp-agent", "app-token-redacted")},
			{FromClient: false, Data: AMQPTune()},
		}
		for k := 0; k < publishes; k++ {
			msgs = append(msgs, Message{FromClient: true, Data: AMQPPublish(1, "sd.events", "ad", []byte(fmt.Sprintf(`{"event":%d}`, k))), Delay: 200 * time.Millisecond})
		}
		cl := CloseFIN
		if i == 0 {
			cl = CloseServerRST
		}
		s.C.TCP(t.Add(time.Duration(i)*5*time.Millisecond), s.peerEP(a), EP(s.N.Server, 10001), msgs, TCPOptions{Close: cl, Iface: s.Iface})
	}
}

// Console is an administrator's browser on 8080 (and the Access Analyzer
// host when withAnalyzer).
func (s *Site) Console(t time.Time, withAnalyzer bool) {
	req := []Message{{FromClient: true, Data: HTTPRequest("GET", "/api/v1/threats?page=1", s.N.Server+":8080")},
		{FromClient: false, Data: HTTPResponse(200, "OK", `{"threats":[]}`)}}
	s.C.TCP(t, s.peerEP(s.N.Console), EP(s.N.Server, 8080), req, TCPOptions{Iface: s.Iface})
	if withAnalyzer {
		post := []Message{{FromClient: true, Data: HTTPRequest("POST", "/api/v1/integrations/accessanalyzer", s.N.Server+":8080", "Content-Length: 0")},
			{FromClient: false, Data: HTTPResponse(204, "No Content", "")}}
		s.C.TCP(t.Add(2*time.Second), s.peerEP(s.N.Analyzer), EP(s.N.Server, 8080), post, TCPOptions{Iface: s.Iface})
	}
}

// ActionService is the server reaching a remote Action Service on 8080.
func (s *Site) ActionService(t time.Time) {
	msgs := []Message{{FromClient: true, Data: HTTPRequest("POST", "/actions/run", s.N.Action+":8080", "Content-Length: 0")},
		{FromClient: false, Data: HTTPResponse(202, "Accepted", `{"queued":true}`)}}
	s.C.TCP(t, s.serverEP(), EP(s.N.Action, 8080), msgs, TCPOptions{Iface: s.Iface})
}

// PostgresLocal is the server talking to its local database over loopback.
func (s *Site) PostgresLocal(t time.Time, iface int) {
	msgs := []Message{{FromClient: true, Data: PostgresStartup("tmservice", "threatmanager", "StealthDEFEND")},
		{FromClient: false, Data: PostgresAuthOK()},
		{FromClient: true, Data: PostgresQuery("SELECT 1")}}
	lo := "127.0.0.1"
	if !netip.MustParseAddr(s.N.Server).Is4() {
		lo = "::1"
	}
	s.srvPort++
	s.C.TCP(t, EP(lo, s.srvPort), EP(lo, 5435), msgs, TCPOptions{Iface: iface})
}

// DCOptions drop or fail parts of the domain-controller traffic.
type DCOptions struct {
	SkipADWS    bool // the server never tries 9389
	DropADWS    bool // a firewall drops 9389: SYNs without answer
	SkipDynamic bool
}

// DC runs the server's conversations with one domain controller:
// Kerberos, endpoint mapper (handing out the dynamic port), the dynamic
// RPC connection, LDAP and ADWS.
func (s *Site) DC(t time.Time, dc string, o DCOptions) time.Time {
	realm := s.N.Realm
	krb1 := []Message{{FromClient: true, Data: KerberosTCP(KerberosASReq("svc-threatmanager", realm, t.Add(10*time.Hour), 271828))},
		{FromClient: false, Data: KerberosTCP(KerberosError(25, realm, t))}}
	t = s.C.TCP(t, s.serverEP(), EP(dc, 88), krb1, TCPOptions{Iface: s.Iface})
	krb2 := []Message{{FromClient: true, Data: KerberosTCP(KerberosASReq("svc-threatmanager", realm, t.Add(10*time.Hour), 314159))},
		{FromClient: false, Data: KerberosTCP(KerberosASRep("svc-threatmanager", realm, []byte("opaque-cipher-text-0123456789abcdef")))}}
	t = s.C.TCP(t.Add(5*time.Millisecond), s.serverEP(), EP(dc, 88), krb2, TCPOptions{Iface: s.Iface, MSS: 120})

	ip4 := [4]byte{}
	if a := netip.MustParseAddr(dc); a.Is4() {
		ip4 = a.As4()
	}
	epm := []Message{{FromClient: true, Data: DCERPCBindEPM(1)}, {FromClient: false, Data: DCERPCBindAck(1)},
		{FromClient: true, Data: DCERPCEptMapRequest(2)}, {FromClient: false, Data: DCERPCEptMapResponse(2, s.N.DynamicPort, ip4)}}
	t = s.C.TCP(t.Add(5*time.Millisecond), s.serverEP(), EP(dc, 135), epm, TCPOptions{Iface: s.Iface})
	if !o.SkipDynamic {
		dyn := []Message{{FromClient: true, Data: DCERPCBindDRSUAPI(1)}, {FromClient: false, Data: DCERPCBindAck(1)}}
		t = s.C.TCP(t.Add(2*time.Millisecond), s.serverEP(), EP(dc, s.N.DynamicPort), dyn, TCPOptions{Iface: s.Iface})
	}

	ldap := []Message{{FromClient: true, Data: LDAPBindSASL(1, "GSS-SPNEGO", []byte("\x60\x28\x06\x06\x2b\x06\x01\x05\x05\x02negotiation-token"))},
		{FromClient: false, Data: LDAPBindResponse(1, 0)},
		{FromClient: true, Data: LDAPSearch(2, "DC=corp,DC=example")},
		{FromClient: false, Data: append(LDAPSearchEntry(2, "CN=Users,DC=corp,DC=example"), LDAPSearchDone(2)...)}}
	t = s.C.TCP(t.Add(5*time.Millisecond), s.serverEP(), EP(dc, 389), ldap, TCPOptions{Iface: s.Iface, Close: CloseClientRST})

	switch {
	case o.SkipADWS:
	case o.DropADWS:
		t = s.C.Unanswered(t.Add(5*time.Millisecond), s.serverEP(), EP(dc, 9389), []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, s.Iface)
	default:
		adws := []Message{{FromClient: true, Data: NMFPreamble("dc01.corp.example", "Windows/Enumeration")},
			{FromClient: false, Data: []byte{0x0a}},
			{FromClient: true, Data: []byte{0x16, 0x01, 0x00, 0x00, 0x20}},
			{FromClient: false, Data: []byte{0x0b}}}
		t = s.C.TCP(t.Add(5*time.Millisecond), s.serverEP(), EP(dc, 9389), adws, TCPOptions{Iface: s.Iface})
	}
	return t
}

// Unexpected adds the traffic a real server shows beyond the matrix: DNS
// and SMB to a domain controller, LDAP to the global catalog, Kerberos
// over UDP.
func (s *Site) Unexpected(t time.Time, dc string) {
	s.C.UDP(t, s.serverEP(), EP(dc, 53), []Message{{FromClient: true, Data: DNSQuery(0x1a2b, "dc01.corp.example")},
		{FromClient: false, Data: DNSAnswer(0x1a2b, "dc01.corp.example", [4]byte{10, 20, 0, 21})}}, s.Iface)
	s.C.TCP(t.Add(time.Second), s.serverEP(), EP(dc, 445), []Message{{FromClient: true, Data: SMB2Negotiate()}}, TCPOptions{Iface: s.Iface})
	s.C.TCP(t.Add(2*time.Second), s.serverEP(), EP(dc, 3268), []Message{{FromClient: true, Data: LDAPSearch(1, "DC=corp,DC=example")},
		{FromClient: false, Data: LDAPSearchDone(1)}}, TCPOptions{Iface: s.Iface})
	s.C.UDP(t.Add(3*time.Second), s.serverEP(), EP(dc, 88), []Message{{FromClient: true, Data: KerberosASReq("svc-threatmanager", s.N.Realm, t.Add(10*time.Hour), 99)},
		{FromClient: false, Data: KerberosError(52, s.N.Realm, t)}}, s.Iface)
}

// Failures adds failed attempts: a refused console port on the action
// service, an ICMP administratively prohibited answer to an LDAP SYN, and
// syslog answered by port unreachable.
func (s *Site) Failures(t time.Time) {
	s.C.Refused(t, s.serverEP(), EP(s.N.Action, 8080), s.Iface)
	s.C.ICMPBlocked(t.Add(time.Second), s.serverEP(), EP(s.N.DCs[len(s.N.DCs)-1], 389), Unreachable{Router: netip.MustParseAddr(s.N.Router), Code: 13}, s.Iface)
	s.C.ICMPBlocked(t.Add(2*time.Second), s.peerEP(s.N.AMAgents[0]), EP(s.N.Server, 10000),
		Unreachable{Router: netip.MustParseAddr(s.N.Server), Code: 3, UDP: Syslog3164(134, t, "fs01", "StealthAUDIT", "FileSystem event")}, s.Iface)
}

// Start is the clock origin of every scenario.
func Start() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }

// Scenario is a named capture recipe.
type Scenario struct {
	Name        string
	Description string
	Build       func() (*Capture, Format)
}

func goodSite(n Net, seed uint64, dc DCOptions) *Site {
	s := NewSite(n, seed)
	t := Start()
	s.Syslog(t, 5)
	s.AMQP(t.Add(500*time.Millisecond), 3)
	for i, d := range n.DCs {
		s.DC(t.Add(time.Duration(2+i)*time.Second), d, dc)
	}
	s.Console(t.Add(8*time.Second), true)
	s.ActionService(t.Add(9 * time.Second))
	return s
}

// Scenarios lists every recipe, in a stable order.
func Scenarios() []Scenario {
	var list []Scenario
	for _, part := range [][]Scenario{siteScenarios(), formatScenarios(), protocolScenarios()} {
		list = append(list, part...)
	}
	return list
}

// siteScenarios are sites that work, or fail in one documented way.
func siteScenarios() []Scenario {
	return []Scenario{
		{"all-good", "every documented connection works", func() (*Capture, Format) {
			s := goodSite(DefaultNet(), 1, DCOptions{})
			s.PostgresLocal(Start().Add(10*time.Second), 0)
			return s.C, Format{}
		}},
		{"dual-stack", "a site on IPv4 and IPv6 at once: every host has both addresses; the agents' syslog, one DC and the console go over IPv4, AMQP, the other DC and the Action Service over IPv6", func() (*Capture, Format) {
			s4 := NewSite(DefaultNet(), 15)
			s6 := NewSite(DualStackNet(), 15)
			s6.C = s4.C
			t := Start()
			s4.Syslog(t, 3)
			s6.AMQP(t.Add(500*time.Millisecond), 2)
			s6.DC(t.Add(2*time.Second), s6.N.DCs[0], DCOptions{})
			s4.DC(t.Add(3*time.Second), s4.N.DCs[1], DCOptions{})
			s4.Console(t.Add(8*time.Second), true)
			s6.ActionService(t.Add(9 * time.Second))
			return s4.C, Format{}
		}},
		{"missing-dc", "the server never reaches AD Web Services (adws-out missing)", func() (*Capture, Format) {
			return goodSite(DefaultNet(), 2, DCOptions{SkipADWS: true}).C, Format{}
		}},
		{"firewall-9389", "a firewall silently drops tcp/9389 to the domain controllers", func() (*Capture, Format) {
			return goodSite(DefaultNet(), 3, DCOptions{DropADWS: true}).C, Format{}
		}},
		{"failures", "refused, ICMP administratively prohibited and port unreachable, plus unexpected traffic", func() (*Capture, Format) {
			s := goodSite(DefaultNet(), 4, DCOptions{})
			s.Failures(Start().Add(12 * time.Second))
			s.Unexpected(Start().Add(15*time.Second), s.N.DCs[0])
			return s.C, Format{}
		}},
		{"midstream", "capture started while connections were open (no handshakes)", func() (*Capture, Format) {
			s := NewSite(DefaultNet(), 5)
			t := Start()
			s.Syslog(t, 3)
			for _, dc := range s.N.DCs {
				s.C.TCP(t, s.serverEP(), EP(dc, 389), []Message{{FromClient: true, Data: LDAPSearch(7, "DC=corp,DC=example")},
					{FromClient: false, Data: LDAPSearchDone(7)}}, TCPOptions{SkipSYN: true, Close: CloseNone})
			}
			s.C.TCP(t.Add(time.Second), s.peerEP(s.N.TPAgents[0]), EP(s.N.Server, 10001), []Message{{FromClient: true,
				Data: AMQPPublish(1, "sd.events", "ad", []byte(`{"event":1}`))}}, TCPOptions{SkipSYN: true, Close: CloseNone})
			return s.C, Format{}
		}},
	}
}

// formatScenarios are all-good written the ways captures come: tagged,
// cooked, IPv6, pcapng, compressed.
func formatScenarios() []Scenario {
	return []Scenario{
		{"vlan", "all-good on 802.1Q VLAN 120", func() (*Capture, Format) {
			return goodSite(DefaultNet(), 6, DCOptions{}).C, Format{VLANs: []uint16{120}}
		}},
		{"qinq", "all-good double-tagged (QinQ 802.1ad 300 / 802.1Q 120)", func() (*Capture, Format) {
			return goodSite(DefaultNet(), 7, DCOptions{}).C, Format{VLANs: []uint16{300, 120}}
		}},
		{"sll2", "all-good as tcpdump -i any writes it (Linux cooked v2), nanosecond pcap", func() (*Capture, Format) {
			return goodSite(DefaultNet(), 8, DCOptions{}).C, Format{Links: []uint32{LinkSLL2}, Nanos: true}
		}},
		{"ipv6", "all-good over IPv6, big-endian pcap", func() (*Capture, Format) {
			s := goodSite(IPv6Net(), 9, DCOptions{})
			s.C.ICMPBlocked(Start().Add(20*time.Second), s.serverEP(), EP(s.N.DCs[0], 636), Unreachable{Router: netip.MustParseAddr(s.N.Router), Code: 1}, 0)
			return s.C, Format{BigEndian: true}
		}},
		{"pcapng-two-interfaces", "pcapng: the NIC (Ethernet) and loopback (NULL) with the local PostgreSQL", func() (*Capture, Format) {
			s := goodSite(DefaultNet(), 10, DCOptions{})
			s.PostgresLocal(Start().Add(10*time.Second), 1)
			return s.C, Format{NG: true, Links: []uint32{LinkEthernet, LinkNull}}
		}},
		{"gzip", "all-good, gzip-compressed pcap", func() (*Capture, Format) {
			return goodSite(DefaultNet(), 11, DCOptions{}).C, Format{Gzip: true}
		}},
	}
}

// protocolScenarios are protocols on ports that do not expect them, other
// ports, and fragments.
func protocolScenarios() []Scenario {
	return []Scenario{
		{"mismatch", "AMQPS (TLS) on 10001 is fine; an HTTP proxy answers on 389 and TLS on 9389: mismatches", func() (*Capture, Format) {
			n := DefaultNet()
			n.DCs = n.DCs[:1]
			s := NewSite(n, 13)
			t := Start()
			s.Syslog(t, 3)
			tls := TLSClientHello("threatmanager.corp.example", "")
			s.C.TCP(t.Add(time.Second), s.peerEP(n.TPAgents[0]), EP(n.Server, 10001), []Message{{FromClient: true, Data: tls}}, TCPOptions{})
			s.DC(t.Add(2*time.Second), n.DCs[0], DCOptions{SkipADWS: true})
			s.C.TCP(t.Add(3*time.Second), s.serverEP(), EP(n.DCs[0], 389), []Message{{FromClient: true, Data: HTTPRequest("GET", "/", n.DCs[0]+":389")},
				{FromClient: false, Data: HTTPResponse(400, "Bad Request", "")}}, TCPOptions{})
			s.C.TCP(t.Add(4*time.Second), s.serverEP(), EP(n.DCs[0], 9389), []Message{{FromClient: true, Data: tls}}, TCPOptions{})
			return s.C, Format{}
		}},
		{"postgres-5432", "a remote PostgreSQL on 5432, as Threat Manager 3.0 documents it", func() (*Capture, Format) {
			s := goodSite(DefaultNet(), 14, DCOptions{})
			s.C.TCP(Start().Add(10*time.Second), s.serverEP(), EP("10.20.0.41", 5432), []Message{
				{FromClient: true, Data: PostgresStartup("tmservice", "threatmanager", "StealthDEFEND")},
				{FromClient: false, Data: PostgresAuthOK()}}, TCPOptions{})
			return s.C, Format{}
		}},
		{"fragments", "syslog datagrams fragmented over IPv4, plus a raw-IP link", func() (*Capture, Format) {
			s := NewSite(DefaultNet(), 12)
			big := make([]byte, 0, 3000)
			for len(big) < 2800 {
				big = append(big, Syslog3164(134, Start(), "fs01", "StealthAUDIT", "FileSystem event with a long path ")...)
			}
			s.C.FragmentedUDP(Start(), s.peerEP(s.N.AMAgents[0]), EP(s.N.Server, 10000), big, 1480)
			return s.C, Format{Links: []uint32{LinkRaw}}
		}},
	}
}

// Lookup finds a scenario by name.
func Lookup(name string) (Scenario, bool) {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Day is the bundled sample: a working day of a Threat Manager server
// with two domain controllers, agents, consoles, the local database, an
// Action Service, the usual infrastructure noise, and one firewall that
// drops AD Web Services to the second domain controller.
func Day(seed uint64) *Capture {
	n := DefaultNet()
	s := NewSite(n, seed)
	t0 := Start()
	for h := 0; h < 8; h++ {
		t := t0.Add(time.Duration(h) * time.Hour)
		s.Syslog(t, 20)
		s.AMQP(t.Add(time.Minute), 10)
		s.DC(t.Add(2*time.Minute), n.DCs[0], DCOptions{})
		s.DC(t.Add(3*time.Minute), n.DCs[1], DCOptions{DropADWS: true})
		s.Console(t.Add(10*time.Minute), h%2 == 0)
		s.PostgresLocal(t.Add(11*time.Minute), 0)
		if h%3 == 0 {
			s.ActionService(t.Add(12 * time.Minute))
		}
		s.Unexpected(t.Add(20*time.Minute), n.DCs[h%2])
	}
	return s.C
}

// Secrets are unique strings that the privacy scenario plants in payloads;
// no report may ever contain them.
func Secrets() []string {
	return []string{"S3cret-LDAP-bind-9f2c", "S3cret-HTTP-auth-41d7", "S3cret-PG-password-77aa", "S3cret-syslog-body-c0de", "S3cret-KRB-cipher-5e5e"}
}

// Privacy is a site whose payloads carry credentials and personal data: an
// LDAP simple bind with a password, an HTTP Authorization header, a
// PostgreSQL password message, a syslog body, Kerberos cipher text.
func Privacy() *Capture {
	sec := Secrets()
	n := DefaultNet()
	s := NewSite(n, 21)
	t := Start()
	dc := n.DCs[0]
	s.C.UDP(t, s.peerEP(n.AMAgents[0]), EP(n.Server, 10000), []Message{{FromClient: true, Data: Syslog3164(134, t, "fs01", "StealthAUDIT", "user jdoe opened salary.xlsx "+sec[3])}}, 0)
	s.C.TCP(t.Add(time.Second), s.serverEP(), EP(dc, 389), []Message{{FromClient: true, Data: LDAPBindSimple(1, "cn=svc,dc=corp,dc=example", sec[0])},
		{FromClient: false, Data: LDAPBindResponse(1, 0)}}, TCPOptions{})
	s.C.TCP(t.Add(2*time.Second), s.peerEP(n.Console), EP(n.Server, 8080), []Message{{FromClient: true,
		Data: HTTPRequest("GET", "/api/v1/threats?token="+sec[1], n.Server, "Authorization: Basic "+sec[1])}, {FromClient: false, Data: HTTPResponse(200, "OK", "{}")}}, TCPOptions{})
	pw := append([]byte{'p', 0, 0, 0, byte(4 + len(sec[2]) + 1)}, append([]byte(sec[2]), 0)...)
	s.C.TCP(t.Add(3*time.Second), s.serverEP(), EP("10.20.0.41", 5435), []Message{{FromClient: true, Data: PostgresStartup("tmservice", "threatmanager", "StealthDEFEND")},
		{FromClient: false, Data: []byte{'R', 0, 0, 0, 8, 0, 0, 0, 3}}, {FromClient: true, Data: pw}, {FromClient: false, Data: PostgresAuthOK()}}, TCPOptions{})
	s.C.TCP(t.Add(4*time.Second), s.serverEP(), EP(dc, 88), []Message{{FromClient: true, Data: KerberosTCP(KerberosASReq("svc", n.Realm, t, 1))},
		{FromClient: false, Data: KerberosTCP(KerberosASRep("svc", n.Realm, []byte(sec[4])))}}, TCPOptions{})
	// The same secrets where nothing is expected: unexpected flows too.
	s.C.TCP(t.Add(5*time.Second), s.serverEP(), EP(dc, 3268), []Message{{FromClient: true, Data: LDAPBindSimple(1, "cn=svc", sec[0])}}, TCPOptions{})
	return s.C
}
