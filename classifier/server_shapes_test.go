package classifier_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
	"github.com/flowverify/flowverify/report"
)

// The cast of the shapes: the server, its peers, and a scanner.
const (
	shapeServer   = "198.18.0.10"
	shapeConsole  = "198.18.0.50"
	shapeAction   = "198.18.0.60"
	shapeDB       = "198.18.0.20"
	shapeDC       = "198.18.0.30"
	shapeAgent    = "198.18.0.40"
	shapeResolver = "198.18.0.2"
	shapeScanner  = "198.18.0.99"
)

// shape builds one capture; its flows start at t and each gets its own
// source port from next.
type shape struct {
	c    *synth.Capture
	t    time.Time
	port uint16
}

func newShape(seed uint64) *shape {
	return &shape{c: synth.New(seed), t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), port: 49800}
}

func (s *shape) ep(addr string) synth.Endpoint { s.port++; return synth.EP(addr, s.port) }

// tcp is a conversation from a to b's port: the client's messages and the
// server's answers alternate.
func (s *shape) tcp(a, b string, port uint16, msgs ...[]byte) {
	var ms []synth.Message
	for i, m := range msgs {
		ms = append(ms, synth.Message{FromClient: i%2 == 0, Data: m})
	}
	s.t = s.c.TCP(s.t.Add(time.Second), s.ep(a), synth.EP(b, port), ms, synth.TCPOptions{})
}

// udp is a query and, when reply is set, its answer.
func (s *shape) udp(a, b string, port uint16, query, reply []byte) {
	ms := []synth.Message{{FromClient: true, Data: query}}
	if reply != nil {
		ms = append(ms, synth.Message{Data: reply})
	}
	s.t = s.c.UDP(s.t.Add(time.Second), s.ep(a), synth.EP(b, port), ms, 0)
}

func (s *shape) bytes(t *testing.T) []byte {
	return testcaps.Bytes(t, func(w io.Writer) error { return s.c.Write(w, synth.Format{}) })
}

var tlsRecord = []byte{0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00}

func (s *shape) http8080(client, server string) {
	s.tcp(client, server, 8080, synth.HTTPRequest("GET", "/api/v1/threats", server+":8080"), synth.HTTPResponse(200, "OK", "{}"))
}

func (s *shape) postgres(client, server string, port uint16) {
	s.tcp(client, server, port, synth.PostgresStartup("tmservice", "threatmanager", "StealthDEFEND"), synth.PostgresAuthOK())
}

func (s *shape) dns(client, server string) {
	s.udp(client, server, 53, synth.DNSQuery(0x1a2b, "dc01.corp.example"), synth.DNSAnswer(0x1a2b, "dc01.corp.example", [4]byte{198, 18, 0, 30}))
}

func (s *shape) krbUDP(client, dc string) {
	s.udp(client, dc, 88, synth.KerberosASReq("svc-tm", "CORP.EXAMPLE", s.t.Add(10*time.Hour), 7), synth.KerberosError(25, "CORP.EXAMPLE", s.t))
}

// scan is a SYN sweep of ports 1-1000 of target: most unanswered, every
// tenth refused, open answers a SYN/ACK that the scanner never completes.
// With connect, the scanner completes the handshake on open ports (a
// connect scan) and closes them.
func (s *shape) scan(target string, connect bool, open ...uint16) {
	isOpen := map[uint16]bool{}
	for _, p := range open {
		isOpen[p] = true
	}
	for p := uint16(1); p <= 1000; p++ {
		s.t = s.t.Add(time.Millisecond)
		cl := s.ep(shapeScanner)
		switch {
		case isOpen[p] && connect:
			s.t = s.c.TCP(s.t, cl, synth.EP(target, p), nil, synth.TCPOptions{})
		case isOpen[p]:
			s.c.Probe(s.t, cl, synth.EP(target, p), synth.FlagSYN, 0)
			s.c.Probe(s.t.Add(time.Millisecond), synth.EP(target, p), cl, synth.FlagSYN|synth.FlagACK, 0)
		case p%10 == 0:
			s.t = s.c.Refused(s.t, cl, synth.EP(target, p), 0)
		default:
			s.c.Unanswered(s.t, cl, synth.EP(target, p), nil, 0)
		}
	}
}

// repeat runs f n times: a lab round talks more than once.
func repeat(n int, f func()) {
	for range n {
		f()
	}
}

// serverShapes are the captures of the eight shapes, captured on
// the server as the lab records them, scans, and ties.
func serverShapes() []struct {
	name  string
	build func(s *shape)
	// server is the addresses inferred, comma-separated; empty: none.
	server   string
	evidence []string // words some evidence line (or the reason) holds
} {
	return []struct {
		name     string
		build    func(s *shape)
		server   string
		evidence []string
	}{
		{"console and Action Service on 8080", func(s *shape) {
			repeat(6, func() { s.http8080(shapeConsole, shapeServer); s.http8080(shapeServer, shapeAction) })
		}, shapeServer, []string{"serves tcp/8080 from 1 peer", "opens tcp/8080 to 1 peer", "the capture point", "decided by weight 8 (6 from the rows, 2 from the capture point) against 3"}},
		{"PostgreSQL on 5435", func(s *shape) {
			repeat(5, func() { s.postgres(shapeServer, shapeDB, 5435) })
		}, shapeServer, []string{"opens PostgreSQL tcp/5435 to 1 peer (weak evidence)"}},
		{"PostgreSQL on 5439", func(s *shape) {
			repeat(5, func() { s.postgres(shapeServer, shapeDB, 5439) })
		}, shapeServer, []string{"opens PostgreSQL tcp/5439"}},
		{"Kerberos over UDP 88 only", func(s *shape) {
			repeat(4, func() { s.krbUDP(shapeServer, shapeDC) })
		}, shapeServer, []string{"opens Kerberos udp/88 to 1 peer (weak evidence)", "decided by weight 1 (0 from the rows, 1 from weak evidence)"}},
		{"LDAPS on 636 only", func(s *shape) {
			repeat(4, func() { s.tcp(shapeServer, shapeDC, 636, tlsRecord, tlsRecord) })
		}, shapeServer, []string{"opens LDAPS tcp/636"}},
		{"SMB, DNS, the global catalog and CLDAP to a DC", func(s *shape) {
			repeat(3, func() {
				s.tcp(shapeServer, shapeDC, 445, synth.SMB2Negotiate(), synth.SMB2Negotiate())
				s.dns(shapeServer, shapeDC)
				s.tcp(shapeServer, shapeDC, 3268, synth.LDAPSearch(1, "DC=corp,DC=example"), synth.LDAPSearchDone(1))
				s.udp(shapeServer, shapeDC, 389, synth.LDAPSearch(2, ""), synth.LDAPSearchDone(2))
			})
		}, shapeServer, []string{"opens SMB tcp/445 to 1 peer (weak evidence: with a host that plays dc)", "opens DNS udp/53", "opens the global catalog tcp/3268", "opens CLDAP udp/389", "at one end of 12 of 12 answered flows on the matrix's ports (the capture point)"}},
		{"syslog over TCP 10000, PostgreSQL 5432 and DNS", func(s *shape) {
			repeat(4, func() {
				s.tcp(shapeAgent, shapeServer, 10000, synth.Syslog3164(134, s.t, "fs01", "StealthAUDIT", "FileSystem event"))
				s.postgres(shapeServer, shapeDB, 5432)
				s.dns(shapeServer, shapeResolver)
			})
		}, shapeServer, []string{"receives syslog on tcp/10000 from 1 peer", "opens PostgreSQL tcp/5432", "the capture point"}},
		{"the server's own loopback", func(s *shape) {
			repeat(3, func() {
				s.postgres("127.0.0.1", "127.0.0.1", 5435)
				s.udp("127.0.0.1", "127.0.0.1", 10000, synth.Syslog3164(134, s.t, "tm", "StealthAUDIT", "event"), nil)
			})
		}, "127.0.0.1", []string{"every one of the 6 flows stays on one host (127.0.0.1)"}},
		{"a SYN scan of the server", func(s *shape) { s.scan(shapeServer, false, 88, 389, 8080, 10001) },
			"", []string{"no address receives"}},
		{"a connect scan of a domain controller", func(s *shape) { s.scan(shapeDC, true, 53, 88, 135, 389, 445, 636, 3268, 8080) },
			"", []string{"apart from scanners, no address receives", "198.18.0.99 probed 1000 ports of 198.18.0.30, 6 accepted: a scan, never evidence of the server"}},
		{"a connect scan next to the server's traffic", func(s *shape) {
			repeat(3, func() { s.http8080(shapeConsole, shapeServer); s.http8080(shapeServer, shapeAction) })
			s.scan(shapeDC, true, 88, 135, 389, 8080)
		}, shapeServer, []string{"opens tcp/8080 to 1 peer", "198.18.0.99 probed 1000 ports of 198.18.0.30, 3 accepted"}},
		{"equal weight, more rows", func(s *shape) {
			s.http8080(shapeConsole, shapeServer)
			s.http8080(shapeServer, shapeAction)
			s.tcp("198.18.0.11", shapeDC, 88, synth.KerberosTCP(synth.KerberosASReq("u", "R", s.t, 1)), synth.KerberosTCP(synth.KerberosError(25, "R", s.t)))
			s.tcp("198.18.0.11", shapeDC, 389, synth.LDAPSearch(1, ""), synth.LDAPSearchDone(1))
		}, "198.18.0.11", []string{"decided by the number of rows: 2 against 1 for the next candidate 198.18.0.10, both of weight 6"}},
		{"a tie", func(s *shape) {
			s.http8080(shapeConsole, shapeServer)
			s.http8080("198.18.0.51", "198.18.0.11")
		}, "", []string{"198.18.0.10, 198.18.0.11 show evidence of the same weight (3, from 1 row each): no strongest candidate"}},
	}
}

// TestServerShapes: the server is inferred right from each shape without
// --server, with the words that say why, and a scanner is never it.
func TestServerShapes(t *testing.T) {
	m, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	shapes := serverShapes()
	for i, c := range shapes {
		t.Run(c.name, func(t *testing.T) {
			s := newShape(uint64(i + 1))
			c.build(s)
			r, err := classifier.Analyze(m, testcaps.Sources(t, "shape", s.bytes(t)), nil, classifier.Options{Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			ok := checkServer(t, r, c.server, c.evidence)
			// The loopback's own rows are judged: its PostgreSQL on 5435
			// is a local row's.
			for _, rr := range r.Rules {
				if strings.HasPrefix(c.server, "127.") && rr.ID == "postgresql-out" && (rr.Status != matrix.StatusOK || rr.Flows != 3) {
					ok = false
					t.Errorf("postgresql-out on the loopback: %s, %d flows; want ok, 3", rr.Status, rr.Flows)
				}
			}
			if ok {
				right++
			}
		})
	}
	t.Logf("%d of %d shapes inferred right", right, len(shapes))
}

// checkServer compares a report's server with the one wanted and looks
// for the words in its evidence, or in the candidates' when none.
func checkServer(t *testing.T, r *report.Report, server string, words []string) bool {
	t.Helper()
	got := strings.Join(r.Server.Addresses, ",")
	lines := append([]string{}, r.Server.Evidence...)
	for _, c := range r.Server.Candidates {
		lines = append(lines, c.Evidence...)
		if c.Address == shapeScanner {
			t.Errorf("the scanner is a candidate: %v", c.Evidence)
		}
	}
	ok := got == server
	if !ok {
		t.Errorf("server %q (%s), want %q; evidence:\n%s", got, r.Server.Source, server, strings.Join(lines, "\n"))
	}
	all := strings.Join(lines, "\n")
	for _, w := range words {
		if !strings.Contains(all, w) {
			ok = false
			t.Errorf("no evidence says %q:\n%s", w, all)
		}
	}
	return ok
}

// TestServerOfTestdataCaptures: captures of real software under testdata
// name the server they were recorded on, or none.
func TestServerOfTestdataCaptures(t *testing.T) {
	m, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		files    []string
		server   string
		evidence []string
	}{
		{[]string{"scenarios/all-good.pcap"}, "10.20.0.10", []string{"opens tcp/8080 to 1 peer", "decided by weight"}},
		{[]string{"real/lab-site.pcap"}, "10.99.0.10", []string{"receives syslog on udp/10000"}},
		{[]string{"pcaps/ndpi_tcp_scan.pcapng"}, "", []string{"no address receives"}},
		{[]string{"pcaps/arkime_dns_udp.pcap"}, "", []string{"no address receives"}},
		// The lab's rounds of the eight shapes, recorded on the server
		// 10.99.0.10 with real software, and nmap's sweeps from 10.99.0.31.
		{[]string{"real/shapes/console-action-8080.pcap"}, "10.99.0.10", []string{"serves tcp/8080 from 1 peer", "opens tcp/8080 to 1 peer"}},
		{[]string{"real/shapes/postgres-5435.pcap"}, "10.99.0.10", []string{"opens PostgreSQL tcp/5435"}},
		{[]string{"real/shapes/postgres-5439.pcap"}, "10.99.0.10", []string{"opens PostgreSQL tcp/5439"}},
		{[]string{"real/shapes/kerberos-udp88.pcap"}, "10.99.0.10", []string{"opens Kerberos udp/88"}},
		{[]string{"real/shapes/ldaps-636.pcap"}, "10.99.0.10", []string{"opens LDAPS tcp/636"}},
		{[]string{"real/shapes/dc-talk.pcap"}, "10.99.0.10", []string{"opens SMB tcp/445 to 1 peer (weak evidence: with a host that plays dc)", "opens CLDAP udp/389"}},
		{[]string{"real/shapes/syslog-tcp-pg-dns.pcap"}, "10.99.0.10", []string{"receives syslog on tcp/10000", "opens PostgreSQL tcp/5432"}},
		{[]string{"real/shapes/loopback.pcap"}, "127.0.0.1", []string{"stays on one host (127.0.0.1)"}},
		{[]string{"real/shapes/nmap-scan.pcap"}, "", []string{"10.99.0.31 probed 1000 ports of 10.99.0.21, 3 accepted: a scan"}},
		{[]string{"real/shapes/nmap-scan-tm.pcap"}, "", []string{"10.99.0.31 probed 1000 ports of 10.99.0.10, 2 accepted"}},
		{[]string{"scenarios/all-good.pcap", "real/lab-site.pcap"}, "", []string{"10.20.0.10, 10.99.0.10 each both serve and open the matrix's traffic, as only a server does"}},
	} {
		t.Run(strings.Join(c.files, "+"), func(t *testing.T) {
			var data [][]byte
			for _, f := range c.files {
				b, err := os.ReadFile(filepath.Join("..", "testdata", f))
				if err != nil {
					t.Fatal(err)
				}
				data = append(data, b)
			}
			r, err := classifier.Analyze(m, testcaps.Sources(t, "cap", data...), nil, classifier.Options{Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			checkServer(t, r, c.server, c.evidence)
		})
	}
}
