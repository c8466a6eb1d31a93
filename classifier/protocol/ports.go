package protocol

// Port is what flowverify knows of one well-known port: the protocol it
// usually carries (to break ties between equally confident recognisers),
// whether the end on it is the server (to place a flow seen mid-stream),
// whether a UDP service there answers requests (a datagram from it to a
// high port is an answer whose question was missed; one-way services such
// as syslog do not), and which service usually listens there, for
// unexpected flows (what it means next to a given product's server is
// that profile's hint, in the matrix). This table, each protocol's
// part declared in the protocol's own file, is the one home of port
// knowledge.
type Port struct {
	Transport Transport
	Number    uint16
	Usual     ID
	Server    bool
	Answers   bool
	Hint      string
}

// WellKnownPorts lists every port flowverify knows.
func WellKnownPorts() []Port {
	var out []Port
	for _, ps := range [][]Port{
		syslogPorts(),
		amqpPorts(),
		tlsPorts(),
		ldapPorts(),
		kerberosPorts(),
		dcerpcPorts(),
		nmfPorts(),
		postgresPorts(),
		httpPorts(),
		dnsPorts(),
		ntpPorts(),
		smbPorts(),
		netbiosPorts(),
		rdpPorts(),
		sshPorts(),
		snmpPorts(),
		otherPorts(),
	} {
		out = append(out, ps...)
	}
	return out
}

// otherPorts are services with no recogniser of their own: FTP, telnet,
// mail, databases, DHCP and TFTP, IKE, RADIUS and WinRM. A product's own
// ports and what they mean are its profile's (the matrix's hints).
func otherPorts() []Port {
	return []Port{
		{Transport: TCP, Number: 20, Server: true},
		{Transport: TCP, Number: 21, Server: true},
		{Transport: TCP, Number: 23, Server: true},
		{Transport: TCP, Number: 25, Server: true},
		{Transport: UDP, Number: 67, Server: true, Answers: true, Hint: "DHCP"},
		{Transport: UDP, Number: 68, Server: true, Hint: "DHCP"},
		{Transport: UDP, Number: 69, Answers: true},
		{Transport: TCP, Number: 110, Server: true},
		{Transport: TCP, Number: 143, Server: true},
		{Transport: TCP, Number: 993, Server: true},
		{Transport: TCP, Number: 995, Server: true},
		{Transport: UDP, Number: 500, Answers: true},
		{Transport: TCP, Number: 1433, Server: true},
		{Transport: TCP, Number: 1521, Server: true},
		{Transport: UDP, Number: 1812, Answers: true},
		{Transport: TCP, Number: 3306, Server: true},
		{Transport: TCP, Number: 5985, Server: true, Hint: "WinRM (HTTP)"},
		{Transport: TCP, Number: 5986, Server: true, Hint: "WinRM (HTTPS)"},
	}
}

// wellKnown is WellKnownPorts indexed once; it is only read after.
var wellKnown = NewPortTable()

// Ports is the shared, read-only index of WellKnownPorts.
func Ports() *PortTable { return wellKnown }

// PortTable answers questions about well-known ports.
type PortTable struct {
	usual   map[uint16]ID
	hints   map[uint32]string
	server  []uint16
	answers []uint16
}

// NewPortTable indexes WellKnownPorts.
func NewPortTable() *PortTable {
	t := &PortTable{usual: map[uint16]ID{}, hints: map[uint32]string{}}
	for _, p := range WellKnownPorts() {
		if p.Usual != Unknown {
			t.usual[p.Number] = p.Usual
		}
		if p.Hint != "" {
			t.hints[portKey(p.Transport, p.Number)] = p.Hint
		}
		if p.Server {
			t.server = append(t.server, p.Number)
		}
		if p.Answers && p.Transport == UDP {
			t.answers = append(t.answers, p.Number)
		}
	}
	return t
}

func portKey(t Transport, port uint16) uint32 { return uint32(t)<<16 | uint32(port) }

// Usual is the protocol a port usually carries, on either transport.
func (t *PortTable) Usual(port uint16) ID { return t.usual[port] }

// Hint says what traffic to a port usually means.
func (t *PortTable) Hint(tr Transport, port uint16) (string, bool) {
	h, ok := t.hints[portKey(tr, port)]
	return h, ok
}

// ServerPorts are the ports whose end is the server's.
func (t *PortTable) ServerPorts() []uint16 { return t.server }

// AnsweringUDPPorts are the UDP ports of services that answer requests.
func (t *PortTable) AnsweringUDPPorts() []uint16 { return t.answers }
