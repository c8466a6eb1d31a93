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
	amAgents    []string // Activity Monitor agents (syslog)
	TPAgents    []string // Threat Prevention agents (AMQP)
	Console     string
	analyzer    string // Access Analyzer console host
	action      string // Action Service host
	router      string
	Realm       string
	dynamicPort uint16
}

// DefaultNet is the IPv4 site of the sample captures.
func DefaultNet() Net {
	return Net{
		Server: "10.20.0.10", DCs: []string{"10.20.0.21", "10.20.0.22"},
		amAgents: []string{"10.20.1.31", "10.20.1.32", "10.20.1.33"}, TPAgents: []string{"10.20.1.41", "10.20.1.42"},
		Console: "10.20.2.50", analyzer: "10.20.2.60", action: "10.20.3.70", router: "10.20.0.1",
		Realm: "CORP.EXAMPLE", dynamicPort: 49671,
	}
}

// ipv6Net is the same site on IPv6 addresses.
func ipv6Net() Net {
	return Net{
		Server: "2001:db8:20::10", DCs: []string{"2001:db8:20::21", "2001:db8:20::22"},
		amAgents: []string{"2001:db8:21::31"}, TPAgents: []string{"2001:db8:21::41"},
		Console: "2001:db8:22::50", analyzer: "2001:db8:22::60", action: "2001:db8:23::70", router: "2001:db8:20::1",
		Realm: "CORP.EXAMPLE", dynamicPort: 49671,
	}
}

// dualStackNet is DefaultNet's hosts on IPv6: each address is
// 2001:db8:0:20:: with the host's IPv4 address in its last 32 bits, so a
// host's two addresses sit behind one MAC, as a dual-stack NIC's do.
func dualStackNet() Net {
	n := DefaultNet()
	v6 := func(a string) string { return "2001:db8:0:20::" + a }
	all := func(as []string) []string {
		out := make([]string, len(as))
		for i, a := range as {
			out[i] = v6(a)
		}
		return out
	}
	n.Server, n.Console, n.analyzer, n.action, n.router = v6(n.Server), v6(n.Console), v6(n.analyzer), v6(n.action), v6(n.router)
	n.DCs, n.amAgents, n.TPAgents = all(n.DCs), all(n.amAgents), all(n.TPAgents)
	return n
}

// Site generates traffic for a Net; its port counters keep tuples unique.
type Site struct {
	n        Net
	C        *Capture
	srvPort  uint16
	peerPort uint16
	iface    int
}

// NewSite starts a capture for n.
func NewSite(n Net, seed uint64) *Site {
	return &Site{n: n, C: New(seed), srvPort: 49800, peerPort: 50100}
}

func (s *Site) serverEP() Endpoint {
	s.srvPort++
	if s.srvPort < 49800 {
		s.srvPort = 49800
	}
	return EP(s.n.Server, s.srvPort)
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
	for i, a := range s.n.amAgents {
		var msgs []Message
		for k := 0; k < n; k++ {
			line := Syslog3164(13*8+6, t.Add(time.Duration(k)*time.Second), fmt.Sprintf("fs%02d", i+1), "StealthAUDIT",
				fmt.Sprintf("FileSystem event %d: share=\\\\fs%02d\\data op=write", k, i+1))
			if k%2 == 1 {
				line = Syslog5424(13*8+6, t.Add(time.Duration(k)*time.Second), fmt.Sprintf("fs%02d", i+1), "StealthAUDIT", fmt.Sprintf("FileSystem event %d", k))
			}
			msgs = append(msgs, Message{FromClient: true, Data: line, Delay: time.Second})
		}
		s.C.UDP(t.Add(time.Duration(i)*time.Millisecond), s.peerEP(a), EP(s.n.Server, 10000), msgs, s.iface)
	}
}

// AMQP opens one connection per Threat Prevention agent; the first is
// closed RabbitMQ-style (the broker answers the client's FIN with RST).
func (s *Site) AMQP(t time.Time, publishes int) {
	for i, a := range s.n.TPAgents {
		msgs := []Message{
			{FromClient: true, Data: AMQPHeader091()},
			{FromClient: false, Data: AMQPConnectionStart()},
			{FromClient: true, Data: amqpStartOk("tp-agent", "app-token-redacted")},
			{FromClient: false, Data: amqpTune()},
		}
		for k := 0; k < publishes; k++ {
			msgs = append(msgs, Message{FromClient: true, Data: AMQPPublish(1, "sd.events", "ad", []byte(fmt.Sprintf(`{"event":%d}`, k))), Delay: 200 * time.Millisecond})
		}
		cl := closeFIN
		if i == 0 {
			cl = closeServerRST
		}
		s.C.TCP(t.Add(time.Duration(i)*5*time.Millisecond), s.peerEP(a), EP(s.n.Server, 10001), msgs, TCPOptions{Close: cl, iface: s.iface})
	}
}

// console is an administrator's browser on 8080 (and the Access Analyzer
// host when withAnalyzer).
func (s *Site) console(t time.Time, withAnalyzer bool) {
	req := []Message{{FromClient: true, Data: HTTPRequest("GET", "/api/v1/threats?page=1", s.n.Server+":8080")},
		{FromClient: false, Data: HTTPResponse(200, "OK", `{"threats":[]}`)}}
	s.C.TCP(t, s.peerEP(s.n.Console), EP(s.n.Server, 8080), req, TCPOptions{iface: s.iface})
	if withAnalyzer {
		post := []Message{{FromClient: true, Data: HTTPRequest("POST", "/api/v1/integrations/accessanalyzer", s.n.Server+":8080", "Content-Length: 0")},
			{FromClient: false, Data: HTTPResponse(204, "No Content", "")}}
		s.C.TCP(t.Add(2*time.Second), s.peerEP(s.n.analyzer), EP(s.n.Server, 8080), post, TCPOptions{iface: s.iface})
	}
}

// actionService is the server reaching a remote Action Service on 8080.
func (s *Site) actionService(t time.Time) {
	msgs := []Message{{FromClient: true, Data: HTTPRequest("POST", "/actions/run", s.n.action+":8080", "Content-Length: 0")},
		{FromClient: false, Data: HTTPResponse(202, "Accepted", `{"queued":true}`)}}
	s.C.TCP(t, s.serverEP(), EP(s.n.action, 8080), msgs, TCPOptions{iface: s.iface})
}

// postgresLocal is the server talking to its local database over loopback.
func (s *Site) postgresLocal(t time.Time, iface int) {
	msgs := []Message{{FromClient: true, Data: PostgresStartup("tmservice", "threatmanager", "StealthDEFEND")},
		{FromClient: false, Data: PostgresAuthOK()},
		{FromClient: true, Data: postgresQuery("SELECT 1")}}
	lo := "127.0.0.1"
	if !netip.MustParseAddr(s.n.Server).Is4() {
		lo = "::1"
	}
	s.srvPort++
	s.C.TCP(t, EP(lo, s.srvPort), EP(lo, 5435), msgs, TCPOptions{iface: iface})
}

// dcOptions drop or fail parts of the domain-controller traffic.
type dcOptions struct {
	skipADWS    bool // the server never tries 9389
	dropADWS    bool // a firewall drops 9389: SYNs without answer
	skipDynamic bool
}

// dc runs the server's conversations with one domain controller:
// Kerberos, endpoint mapper (handing out the dynamic port), the dynamic
// RPC connection, LDAP and ADWS.
func (s *Site) dc(t time.Time, dc string, o dcOptions) time.Time {
	realm := s.n.Realm
	krb1 := []Message{{FromClient: true, Data: KerberosTCP(KerberosASReq("svc-threatmanager", realm, t.Add(10*time.Hour), 271828))},
		{FromClient: false, Data: KerberosTCP(KerberosError(25, realm, t))}}
	t = s.C.TCP(t, s.serverEP(), EP(dc, 88), krb1, TCPOptions{iface: s.iface})
	krb2 := []Message{{FromClient: true, Data: KerberosTCP(KerberosASReq("svc-threatmanager", realm, t.Add(10*time.Hour), 314159))},
		{FromClient: false, Data: KerberosTCP(KerberosASRep("svc-threatmanager", realm, []byte("opaque-cipher-text-0123456789abcdef")))}}
	t = s.C.TCP(t.Add(5*time.Millisecond), s.serverEP(), EP(dc, 88), krb2, TCPOptions{iface: s.iface, MSS: 120})

	ip4 := [4]byte{}
	if a := netip.MustParseAddr(dc); a.Is4() {
		ip4 = a.As4()
	}
	epm := []Message{{FromClient: true, Data: DCERPCBindEPM(1)}, {FromClient: false, Data: DCERPCBindAck(1)},
		{FromClient: true, Data: DCERPCEptMapRequest(2)}, {FromClient: false, Data: DCERPCEptMapResponse(2, s.n.dynamicPort, ip4)}}
	t = s.C.TCP(t.Add(5*time.Millisecond), s.serverEP(), EP(dc, 135), epm, TCPOptions{iface: s.iface})
	if !o.skipDynamic {
		dyn := []Message{{FromClient: true, Data: DCERPCBindDRSUAPI(1)}, {FromClient: false, Data: DCERPCBindAck(1)}}
		t = s.C.TCP(t.Add(2*time.Millisecond), s.serverEP(), EP(dc, s.n.dynamicPort), dyn, TCPOptions{iface: s.iface})
	}

	ldap := []Message{{FromClient: true, Data: LDAPBindSASL(1, "GSS-SPNEGO", []byte("\x60\x28\x06\x06\x2b\x06\x01\x05\x05\x02negotiation-token"))},
		{FromClient: false, Data: LDAPBindResponse(1, 0)},
		{FromClient: true, Data: LDAPSearch(2, "DC=corp,DC=example")},
		{FromClient: false, Data: append(ldapSearchEntry(2, "CN=Users,DC=corp,DC=example"), LDAPSearchDone(2)...)}}
	t = s.C.TCP(t.Add(5*time.Millisecond), s.serverEP(), EP(dc, 389), ldap, TCPOptions{iface: s.iface, Close: closeClientRST})

	switch {
	case o.skipADWS:
	case o.dropADWS:
		t = s.C.Unanswered(t.Add(5*time.Millisecond), s.serverEP(), EP(dc, 9389), []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, s.iface)
	default:
		adws := []Message{{FromClient: true, Data: NMFPreamble("dc01.corp.example", "Windows/Enumeration")},
			{FromClient: false, Data: []byte{0x0a}},
			{FromClient: true, Data: []byte{0x16, 0x01, 0x00, 0x00, 0x20}},
			{FromClient: false, Data: []byte{0x0b}}}
		t = s.C.TCP(t.Add(5*time.Millisecond), s.serverEP(), EP(dc, 9389), adws, TCPOptions{iface: s.iface})
	}
	return t
}

// unexpected adds the traffic a real server shows beyond the matrix: DNS
// and SMB to a domain controller, LDAP to the global catalog, Kerberos
// over UDP.
func (s *Site) unexpected(t time.Time, dc string) {
	s.C.UDP(t, s.serverEP(), EP(dc, 53), []Message{{FromClient: true, Data: DNSQuery(0x1a2b, "dc01.corp.example")},
		{FromClient: false, Data: DNSAnswer(0x1a2b, "dc01.corp.example", [4]byte{10, 20, 0, 21})}}, s.iface)
	s.C.TCP(t.Add(time.Second), s.serverEP(), EP(dc, 445), []Message{{FromClient: true, Data: SMB2Negotiate()}}, TCPOptions{iface: s.iface})
	s.C.TCP(t.Add(2*time.Second), s.serverEP(), EP(dc, 3268), []Message{{FromClient: true, Data: LDAPSearch(1, "DC=corp,DC=example")},
		{FromClient: false, Data: LDAPSearchDone(1)}}, TCPOptions{iface: s.iface})
	s.C.UDP(t.Add(3*time.Second), s.serverEP(), EP(dc, 88), []Message{{FromClient: true, Data: KerberosASReq("svc-threatmanager", s.n.Realm, t.Add(10*time.Hour), 99)},
		{FromClient: false, Data: KerberosError(52, s.n.Realm, t)}}, s.iface)
}

// failures adds failed attempts: a refused console port on the action
// service, an ICMP administratively prohibited answer to an LDAP SYN, and
// syslog answered by port unreachable.
func (s *Site) failures(t time.Time) {
	s.C.Refused(t, s.serverEP(), EP(s.n.action, 8080), s.iface)
	s.C.ICMPBlocked(t.Add(time.Second), s.serverEP(), EP(s.n.DCs[len(s.n.DCs)-1], 389), Unreachable{Router: netip.MustParseAddr(s.n.router), Code: 13}, s.iface)
	s.C.ICMPBlocked(t.Add(2*time.Second), s.peerEP(s.n.amAgents[0]), EP(s.n.Server, 10000),
		Unreachable{Router: netip.MustParseAddr(s.n.Server), Code: 3, UDP: Syslog3164(134, t, "fs01", "StealthAUDIT", "FileSystem event")}, s.iface)
}

// Start is the clock origin of every scenario.
func Start() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }

// Scenario is a named capture recipe.
type Scenario struct {
	Name        string
	Description string
	Build       func() (*Capture, Format)
}

func goodSite(n Net, seed uint64, dc dcOptions) *Site {
	s := NewSite(n, seed)
	t := Start()
	s.Syslog(t, 5)
	s.AMQP(t.Add(500*time.Millisecond), 3)
	for i, d := range n.DCs {
		s.dc(t.Add(time.Duration(2+i)*time.Second), d, dc)
	}
	s.console(t.Add(8*time.Second), true)
	s.actionService(t.Add(9 * time.Second))
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
			s := goodSite(DefaultNet(), 1, dcOptions{})
			s.postgresLocal(Start().Add(10*time.Second), 0)
			return s.C, Format{}
		}},
		{"dual-stack", "a site on IPv4 and IPv6 at once: every host has both addresses; the agents' syslog, one DC and the console go over IPv4, AMQP, the other DC and the Action Service over IPv6", func() (*Capture, Format) {
			s4 := NewSite(DefaultNet(), 15)
			s6 := NewSite(dualStackNet(), 15)
			s6.C = s4.C
			t := Start()
			s4.Syslog(t, 3)
			s6.AMQP(t.Add(500*time.Millisecond), 2)
			s6.dc(t.Add(2*time.Second), s6.n.DCs[0], dcOptions{})
			s4.dc(t.Add(3*time.Second), s4.n.DCs[1], dcOptions{})
			s4.console(t.Add(8*time.Second), true)
			s6.actionService(t.Add(9 * time.Second))
			return s4.C, Format{}
		}},
		{"missing-dc", "the server never reaches AD Web Services (adws-out missing)", func() (*Capture, Format) {
			return goodSite(DefaultNet(), 2, dcOptions{skipADWS: true}).C, Format{}
		}},
		{"firewall-9389", "a firewall silently drops tcp/9389 to the domain controllers", func() (*Capture, Format) {
			return goodSite(DefaultNet(), 3, dcOptions{dropADWS: true}).C, Format{}
		}},
		{"failures", "refused, ICMP administratively prohibited and port unreachable, plus unexpected traffic", func() (*Capture, Format) {
			s := goodSite(DefaultNet(), 4, dcOptions{})
			s.failures(Start().Add(12 * time.Second))
			s.unexpected(Start().Add(15*time.Second), s.n.DCs[0])
			return s.C, Format{}
		}},
		{"midstream", "capture started while connections were open (no handshakes)", func() (*Capture, Format) {
			s := NewSite(DefaultNet(), 5)
			t := Start()
			s.Syslog(t, 3)
			for _, dc := range s.n.DCs {
				s.C.TCP(t, s.serverEP(), EP(dc, 389), []Message{{FromClient: true, Data: LDAPSearch(7, "DC=corp,DC=example")},
					{FromClient: false, Data: LDAPSearchDone(7)}}, TCPOptions{SkipSYN: true, Close: CloseNone})
			}
			s.C.TCP(t.Add(time.Second), s.peerEP(s.n.TPAgents[0]), EP(s.n.Server, 10001), []Message{{FromClient: true,
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
			return goodSite(DefaultNet(), 6, dcOptions{}).C, Format{vlans: []uint16{120}}
		}},
		{"qinq", "all-good double-tagged (QinQ 802.1ad 300 / 802.1Q 120)", func() (*Capture, Format) {
			return goodSite(DefaultNet(), 7, dcOptions{}).C, Format{vlans: []uint16{300, 120}}
		}},
		{"sll2", "all-good as tcpdump -i any writes it (Linux cooked v2), nanosecond pcap", func() (*Capture, Format) {
			return goodSite(DefaultNet(), 8, dcOptions{}).C, Format{Links: []uint32{LinkSLL2}, Nanos: true}
		}},
		{"ipv6", "all-good over IPv6, big-endian pcap", func() (*Capture, Format) {
			s := goodSite(ipv6Net(), 9, dcOptions{})
			s.C.ICMPBlocked(Start().Add(20*time.Second), s.serverEP(), EP(s.n.DCs[0], 636), Unreachable{Router: netip.MustParseAddr(s.n.router), Code: 1}, 0)
			return s.C, Format{BigEndian: true}
		}},
		{"pcapng-two-interfaces", "pcapng: the NIC (Ethernet) and loopback (NULL) with the local PostgreSQL", func() (*Capture, Format) {
			s := goodSite(DefaultNet(), 10, dcOptions{})
			s.postgresLocal(Start().Add(10*time.Second), 1)
			return s.C, Format{NG: true, Links: []uint32{LinkEthernet, LinkNull}}
		}},
		{"gzip", "all-good, gzip-compressed pcap", func() (*Capture, Format) {
			return goodSite(DefaultNet(), 11, dcOptions{}).C, Format{Gzip: true}
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
			tls := tlsClientHello("threatmanager.corp.example", "")
			s.C.TCP(t.Add(time.Second), s.peerEP(n.TPAgents[0]), EP(n.Server, 10001), []Message{{FromClient: true, Data: tls}}, TCPOptions{})
			s.dc(t.Add(2*time.Second), n.DCs[0], dcOptions{skipADWS: true})
			s.C.TCP(t.Add(3*time.Second), s.serverEP(), EP(n.DCs[0], 389), []Message{{FromClient: true, Data: HTTPRequest("GET", "/", n.DCs[0]+":389")},
				{FromClient: false, Data: HTTPResponse(400, "Bad Request", "")}}, TCPOptions{})
			s.C.TCP(t.Add(4*time.Second), s.serverEP(), EP(n.DCs[0], 9389), []Message{{FromClient: true, Data: tls}}, TCPOptions{})
			return s.C, Format{}
		}},
		{"postgres-5432", "a remote PostgreSQL on 5432, as Threat Manager 3.0 documents it", func() (*Capture, Format) {
			s := goodSite(DefaultNet(), 14, dcOptions{})
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
			s.C.fragmentedUDP(Start(), s.peerEP(s.n.amAgents[0]), EP(s.n.Server, 10000), big, 1480)
			return s.C, Format{Links: []uint32{linkRaw}}
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
		s.dc(t.Add(2*time.Minute), n.DCs[0], dcOptions{})
		s.dc(t.Add(3*time.Minute), n.DCs[1], dcOptions{dropADWS: true})
		s.console(t.Add(10*time.Minute), h%2 == 0)
		s.postgresLocal(t.Add(11*time.Minute), 0)
		if h%3 == 0 {
			s.actionService(t.Add(12 * time.Minute))
		}
		s.unexpected(t.Add(20*time.Minute), n.DCs[h%2])
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
	s.C.UDP(t, s.peerEP(n.amAgents[0]), EP(n.Server, 10000), []Message{{FromClient: true, Data: Syslog3164(134, t, "fs01", "StealthAUDIT", "user jdoe opened salary.xlsx "+sec[3])}}, 0)
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
