package protocol

// port is what flowverify knows of one well-known port: the protocol it
// usually carries (to break ties between equally confident recognisers),
// whether the end on it is the server (to place a flow seen mid-stream),
// whether a UDP service there answers requests (a datagram from it to a
// high port is an answer whose question was missed; one-way services such
// as syslog do not), and which service usually listens there, for
// unexpected flows (what it means next to a given product's server is
// that profile's hint, in the matrix). This table, each protocol's
// part declared in the protocol's own file, is the one home of port
// knowledge.
type port struct {
	transport Transport
	number    uint16
	usual     ID
	server    bool
	answers   bool
	hint      string
}

// wellKnownPorts lists every port flowverify knows.
func wellKnownPorts() []port {
	var out []port
	for _, ps := range [][]port{
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
func otherPorts() []port {
	return []port{
		{transport: TCP, number: 20, server: true},
		{transport: TCP, number: 21, server: true},
		{transport: TCP, number: 23, server: true},
		{transport: TCP, number: 25, server: true},
		{transport: UDP, number: 67, server: true, answers: true, hint: "DHCP"},
		{transport: UDP, number: 68, server: true, hint: "DHCP"},
		{transport: UDP, number: 69, answers: true},
		{transport: TCP, number: 110, server: true},
		{transport: TCP, number: 143, server: true},
		{transport: TCP, number: 993, server: true},
		{transport: TCP, number: 995, server: true},
		{transport: UDP, number: 500, answers: true},
		{transport: TCP, number: 1433, server: true},
		{transport: TCP, number: 1521, server: true},
		{transport: UDP, number: 1812, answers: true},
		{transport: TCP, number: 3306, server: true},
		{transport: TCP, number: 5985, server: true, hint: "WinRM (HTTP)"},
		{transport: TCP, number: 5986, server: true, hint: "WinRM (HTTPS)"},
	}
}

// wellKnown is wellKnownPorts indexed once; it is only read after.
var wellKnown = newPortTable()

// Ports is the shared, read-only index of wellKnownPorts.
func Ports() *PortTable { return wellKnown }

// PortTable answers questions about well-known ports.
type PortTable struct {
	usual   map[uint16]ID
	hints   map[uint32]string
	server  []uint16
	answers []uint16
}

// newPortTable indexes wellKnownPorts.
func newPortTable() *PortTable {
	t := &PortTable{usual: map[uint16]ID{}, hints: map[uint32]string{}}
	for _, p := range wellKnownPorts() {
		if p.usual != Unknown {
			t.usual[p.number] = p.usual
		}
		if p.hint != "" {
			t.hints[portKey(p.transport, p.number)] = p.hint
		}
		if p.server {
			t.server = append(t.server, p.number)
		}
		if p.answers && p.transport == UDP {
			t.answers = append(t.answers, p.number)
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
