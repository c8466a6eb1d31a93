package protocol_test

import (
	"encoding/binary"
	"math/rand"
	"net/netip"
	"testing"
	"time"

	. "github.com/flowverify/flowverify/classifier/protocol"
	"github.com/flowverify/flowverify/internal/synth"
)

// sample is one conversation's first bytes, built with the generator's
// encoders (the same bytes its captures carry) or copied from real
// captures.
type sample struct {
	name      string
	transport Transport
	port      uint16
	client    []byte
	server    []byte
	want      ID
	conf      Confidence
	meta      map[string]string // fields that must be present
}

var when = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func samples() []sample {
	tlsHello := clientHello("dc01.corp.example", "h2")
	pgTLS := clientHello("db.corp.example", "postgresql")
	return []sample{
		{"syslog 3164", UDP, 10000, synth.Syslog3164(134, when, "fs01", "StealthAUDIT", "event"), nil, Syslog, Certain,
			map[string]string{"format": "rfc3164", "facility": "local0", "severity": "info"}},
		{"syslog 5424", UDP, 10000, synth.Syslog5424(14, when, "fs01", "app", "event"), nil, Syslog, Certain, map[string]string{"format": "rfc5424", "facility": "user"}},
		{"syslog tcp octet-counted", TCP, 601, append([]byte("37 "), synth.Syslog5424(13, when, "h", "a", "m")...), nil, Syslog, Certain, map[string]string{"framing": "octet-counting"}},
		{"amqp 0-9-1 header and start", TCP, 10001, synth.AMQPHeader091(), synth.AMQPConnectionStart(), AMQP, Certain, map[string]string{"version": "0-9-1", "broker": "connection.start 0-9"}},
		{"amqp 1.0 sasl", TCP, 5672, []byte("AMQP\x03\x01\x00\x00"), nil, AMQP, Certain, map[string]string{"layer": "sasl"}},
		{"amqp mid-stream publish", TCP, 10001, synth.AMQPPublish(1, "x", "rk", []byte("{}")), nil, AMQP, Certain, map[string]string{"first-frame": "method"}},
		{"ldap sasl bind", TCP, 389, synth.LDAPBindSASL(1, "GSS-SPNEGO", []byte("token")), synth.LDAPBindResponse(1, 0), LDAP, Certain,
			map[string]string{"op": "bind", "auth": "sasl", "sasl": "GSS-SPNEGO"}},
		{"ldap simple bind", TCP, 389, synth.LDAPBindSimple(1, "cn=admin", "s3cret"), nil, LDAP, Certain, map[string]string{"auth": "simple"}},
		{"ldap search", TCP, 3268, synth.LDAPSearch(2, "DC=corp"), synth.LDAPSearchDone(2), LDAP, Certain, map[string]string{"op": "search"}},
		{"ldap starttls", TCP, 389, startTLS(), nil, LDAP, Certain, map[string]string{"op": "extended", "extended": "starttls"}},
		{"kerberos as-req tcp + error", TCP, 88, synth.KerberosTCP(synth.KerberosASReq("u", "R", when, 1)), synth.KerberosTCP(synth.KerberosError(25, "R", when)),
			Kerberos, Certain, map[string]string{"request": "as-req", "reply": "krb-error", "error": "KDC_ERR_PREAUTH_REQUIRED"}},
		{"kerberos as-req udp", UDP, 88, synth.KerberosASReq("u", "R", when, 1), synth.KerberosASRep("u", "R", []byte("x")), Kerberos, Certain,
			map[string]string{"request": "as-req", "reply": "as-rep"}},
		{"dcerpc epm bind", TCP, 135, synth.DCERPCBindEPM(1), synth.DCERPCBindAck(1), DCERPC, Certain, map[string]string{"client": "bind", "interface": "epm", "server": "bind_ack"}},
		{"dcerpc drsuapi bind", TCP, 49671, synth.DCERPCBindDRSUAPI(1), nil, DCERPC, Certain, map[string]string{"interface": "drsuapi"}},
		{"adws preamble", TCP, 9389, synth.NMFPreamble("dc01", "Windows/Enumeration"), []byte{0x0a}, ADWS, Certain,
			map[string]string{"via": "/ActiveDirectoryWebServices/Windows/Enumeration", "mode": "duplex"}},
		{"postgres startup", TCP, 5435, synth.PostgresStartup("u", "db", "app"), synth.PostgresAuthOK(), PostgreSQL, Certain,
			map[string]string{"request": "startup", "version": "3.0", "server": "authentication"}},
		{"postgres sslrequest", TCP, 5432, []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}, []byte("S"), PostgreSQL, Certain, map[string]string{"request": "ssl", "ssl": "accepted"}},
		{"postgres gssenc", TCP, 5432, []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30}, []byte("N"), PostgreSQL, Certain, map[string]string{"request": "gssenc"}},
		{"postgres cancel", TCP, 5432, []byte{0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 1, 0, 0, 0, 2}, nil, PostgreSQL, Certain, map[string]string{"request": "cancel"}},
		{"postgres direct tls", TCP, 5432, pgTLS, nil, PostgreSQL, Certain, map[string]string{"alpn": "postgresql", "request": "direct-tls"}},
		{"postgres mid-stream", TCP, 5432, pgMsg('Q', "select 1;\x00"), append(pgMsg('C', "SELECT 1\x00"), pgMsg('Z', "I")...), PostgreSQL, Certain, map[string]string{"request": "mid-stream"}},
		{"postgres mid-stream, initiator guessed the wrong way", TCP, 40190, append(pgMsg('T', "\x00\x00"), pgMsg('Z', "T")...), pgMsg('Q', "commit;\x00"), PostgreSQL, Certain, map[string]string{"request": "mid-stream"}},
		{"postgres frontend alone", TCP, 5432, pgMsg('Q', "select 1;\x00"), nil, Unknown, None, nil},
		{"postgres bad ReadyForQuery status", TCP, 5432, pgMsg('Q', "x\x00"), pgMsg('Z', "Q"), Unknown, None, nil},
		{"http request and response", TCP, 8080, synth.HTTPRequest("GET", "/x", "h"), synth.HTTPResponse(200, "OK", "{}"), HTTP, Certain,
			map[string]string{"method": "GET", "version": "HTTP/1.1", "status": "200"}},
		{"http/2 preface", TCP, 8080, []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), nil, HTTP2, Certain, nil},
		{"tls client hello with sni and alpn", TCP, 10001, tlsHello, []byte{0x16, 3, 3, 0, 0x5a, 2, 0, 0, 0x56, 3, 3}, TLS, Certain,
			map[string]string{"sni": "dc01.corp.example", "alpn": "h2", "server": "hello"}},
		{"dns query and answer", UDP, 53, synth.DNSQuery(7, "dc01.corp.example"), synth.DNSAnswer(7, "dc01.corp.example", [4]byte{10, 0, 0, 1}), DNS, Certain, map[string]string{"rcode": "0"}},
		{"mdns", UDP, 5353, synth.DNSQuery(0, "printer.local"), nil, MDNS, Likely, nil},
		{"llmnr", UDP, 5355, synth.DNSQuery(9, "wpad"), nil, LLMNR, Likely, nil},
		{"ntp client/server", UDP, 123, synth.NTPClient(), ntpServer(), NTP, Certain, map[string]string{"version": "4"}},
		{"smb2 negotiate", TCP, 445, synth.SMB2Negotiate(), nil, SMB, Certain, map[string]string{"version": "2/3"}},
		{"rdp x.224", TCP, 3389, []byte{3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 3, 0, 0, 0}, nil, RDP, Certain, nil},
		{"ssh", TCP, 22, []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"), nil, SSH, Certain, map[string]string{"version": "2.0"}},
		{"snmp v2c get", UDP, 161, []byte{0x30, 0x1a, 0x02, 0x01, 0x01, 0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c', 0xa0, 0x0d, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x02, 0x30, 0x00},
			nil, SNMP, Certain, map[string]string{"version": "2c", "pdu": "get"}},
		{"netbios name query", UDP, 137, nbnsQuery(), nil, NetBIOSNS, Certain, nil},
	}
}

func clientHello(sni, alpn string) []byte {
	ext := []byte{}
	name := []byte(sni)
	sniExt := append([]byte{0, byte(len(name) + 3), 0, 0, byte(len(name))}, name...)
	ext = append(ext, 0, 0, 0, byte(len(sniExt)))
	ext = append(ext, sniExt...)
	alpnList := append([]byte{0, byte(len(alpn) + 1), byte(len(alpn))}, alpn...)
	ext = append(ext, 0, 16, 0, byte(len(alpnList)))
	ext = append(ext, alpnList...)
	body := []byte{3, 3}
	body = append(body, make([]byte, 32)...)
	body = append(body, 0)                // session id
	body = append(body, 0, 2, 0x13, 0x01) // one cipher suite
	body = append(body, 1, 0)             // null compression
	body = append(body, 0, byte(len(ext)))
	body = append(body, ext...)
	hs := append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{0x16, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}

func startTLS() []byte {
	oid := "1.3.6.1.4.1.1466.20037"
	req := append([]byte{0x77, byte(len(oid) + 2), 0x80, byte(len(oid))}, oid...)
	msg := append([]byte{0x02, 0x01, 0x01}, req...)
	return append([]byte{0x30, byte(len(msg))}, msg...)
}

func ntpServer() []byte {
	b := make([]byte, 48)
	b[0] = 0x24
	return b
}

func nbnsQuery() []byte {
	b := []byte{0x12, 0x34, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 0, 32}
	for i := 0; i < 32; i++ {
		b = append(b, 'A'+byte(i%16))
	}
	return append(b, 0, 0, 0x20, 0, 1)
}

func TestRecognisers(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			res := Recognise(Input{Transport: s.transport, Client: s.client, Server: s.server, Port: s.port})
			if res.ID != s.want || res.Conf != s.conf {
				t.Fatalf("got %s (%s), want %s (%s)", res.ID, res.Conf, s.want, s.conf)
			}
			got := res.Meta.Map()
			for k, v := range s.meta {
				if got[k] != v {
					t.Errorf("meta %s = %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}

// The port is a tie-breaker, never proof: the same bytes on another port
// are recognised the same.
func TestRecognitionIgnoresPorts(t *testing.T) {
	for _, s := range samples() {
		if s.want == MDNS || s.want == LLMNR {
			continue // these are DNS by definition of their port
		}
		res := Recognise(Input{Transport: s.transport, Client: s.client, Server: s.server, Port: 40000})
		if res.ID != s.want {
			t.Errorf("%s on port 40000: got %s", s.name, res.ID)
		}
	}
}

// Each recogniser rejects the others' bytes: feeding a sample's client
// bytes alone must not produce a different certain answer.
func TestRecognisersRejectOthers(t *testing.T) {
	all := samples()
	for _, s := range all {
		res := Recognise(Input{Transport: s.transport, Client: s.client, Port: 40000})
		if res.Conf == Certain && res.ID != s.want && !(s.want == DNS && res.ID == DNS) {
			t.Errorf("%s: client bytes alone read as %s", s.name, res.ID)
		}
	}
}

func TestRandomBytesAreNotCertain(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	certain := 0
	for i := 0; i < 20000; i++ {
		c := make([]byte, 1+r.Intn(300))
		s := make([]byte, r.Intn(300))
		r.Read(c)
		r.Read(s)
		tr := TCP
		if i%2 == 0 {
			tr = UDP
		}
		if res := Recognise(Input{Transport: tr, Client: c, Server: s, Port: uint16(r.Intn(65535))}); res.Conf == Certain {
			certain++
		}
	}
	// Structure checks make a random hit very rare; allow a handful.
	if certain > 5 {
		t.Fatalf("%d of 20000 random inputs recognised with certainty", certain)
	}
}

func TestRecogniseDoesNotAllocateOnMisses(t *testing.T) {
	junk := []byte("\x00\x01\x02 this is not any protocol at all, really \xff\xfe")
	allocs := testing.AllocsPerRun(200, func() {
		Recognise(Input{Transport: TCP, Client: junk, Server: junk, Port: 40000})
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations for unrecognised bytes", allocs)
	}
}

func TestEptMapTowers(t *testing.T) {
	resp := synth.DCERPCEptMapResponse(2, 49671, [4]byte{10, 20, 0, 21})
	p, ok := ParsePDU(resp)
	if !ok || !p.Complete {
		t.Fatal("response PDU does not parse")
	}
	eps, err := ParseEptMapResponse(&p)
	if err != nil || len(eps) != 1 {
		t.Fatalf("%v %v", eps, err)
	}
	if eps[0].Port != 49671 || eps[0].Addr != netip.MustParseAddr("10.20.0.21") || eps[0].Interface != "drsuapi" {
		t.Fatalf("endpoint %+v", eps[0])
	}
	req, _ := ParsePDU(synth.DCERPCEptMapRequest(2))
	if !EptMapRequest(&req) {
		t.Fatal("ept_map request not recognised")
	}
	for cut := 1; cut < len(resp); cut++ {
		if p, ok := ParsePDU(resp[:cut]); ok {
			ParseEptMapResponse(&p) // must not panic on any truncation
		}
	}
}

func FuzzRecognise(f *testing.F) {
	for _, s := range samples() {
		f.Add(uint8(s.transport), s.port, s.client, s.server)
	}
	f.Fuzz(func(t *testing.T, tr uint8, port uint16, c, s []byte) {
		res := Recognise(Input{Transport: Transport(tr), Client: c, Server: s, Port: port})
		if res.Conf != None && res.ID == Unknown {
			t.Fatal("confidence without a protocol")
		}
		if res.Meta.N > len(res.Meta.Fields) {
			t.Fatal("meta overflow")
		}
	})
}

func FuzzEptMapResponse(f *testing.F) {
	f.Add(synth.DCERPCEptMapResponse(2, 49671, [4]byte{10, 20, 0, 21}))
	f.Add(synth.DCERPCEptMapRequest(2))
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, ok := ParsePDU(b); ok {
			eps, _ := ParseEptMapResponse(&p)
			for _, e := range eps {
				if e.Port == 0 {
					t.Fatal("endpoint without port")
				}
			}
		}
		ParseTower(b)
	})
}

// pgMsg frames a PostgreSQL message after the startup: type, length
// (itself included), body.
func pgMsg(t byte, body string) []byte {
	b := []byte{t, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(4+len(body)))
	return append(b, body...)
}
