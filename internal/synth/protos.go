package synth

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// ber encodes one BER TLV with a definite length.
func ber(tag byte, content ...[]byte) []byte {
	n := 0
	for _, c := range content {
		n += len(c)
	}
	out := []byte{tag}
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	for _, c := range content {
		out = append(out, c...)
	}
	return out
}

func berInt(tag byte, v int) []byte {
	var b []byte
	for {
		b = append([]byte{byte(v)}, b...)
		v >>= 8
		if v == 0 {
			if b[0]&0x80 != 0 {
				b = append([]byte{0}, b...)
			}
			break
		}
	}
	return ber(tag, b)
}

func berStr(tag byte, s string) []byte { return ber(tag, []byte(s)) }

// LDAPBindSASL is an LDAPMessage with a BindRequest using a SASL mechanism
// (GSS-SPNEGO is what Windows clients send).
func LDAPBindSASL(msgID int, mech string, cred []byte) []byte {
	sasl := ber(0xa3, berStr(0x04, mech), ber(0x04, cred))
	return ber(0x30, berInt(0x02, msgID), ber(0x60, berInt(0x02, 3), berStr(0x04, ""), sasl))
}

// LDAPBindSimple is a simple bind with a DN and password.
func LDAPBindSimple(msgID int, dn, password string) []byte {
	return ber(0x30, berInt(0x02, msgID), ber(0x60, berInt(0x02, 3), berStr(0x04, dn), berStr(0x80, password)))
}

// LDAPBindResponse is a BindResponse with the given result code.
func LDAPBindResponse(msgID, result int) []byte {
	return ber(0x30, berInt(0x02, msgID), ber(0x61, berInt(0x0a, result), berStr(0x04, ""), berStr(0x04, "")))
}

// LDAPSearch is a SearchRequest for (objectClass=*) under base.
func LDAPSearch(msgID int, base string) []byte {
	filter := berStr(0x87, "objectClass") // present filter
	attrs := ber(0x30, berStr(0x04, "distinguishedName"), berStr(0x04, "objectGUID"))
	req := ber(0x63, berStr(0x04, base), berInt(0x0a, 2), berInt(0x0a, 0), berInt(0x02, 1000), berInt(0x02, 0),
		ber(0x01, []byte{0}), filter, attrs)
	return ber(0x30, berInt(0x02, msgID), req)
}

// LDAPSearchDone is a SearchResultDone with success.
func LDAPSearchDone(msgID int) []byte {
	return ber(0x30, berInt(0x02, msgID), ber(0x65, berInt(0x0a, 0), berStr(0x04, ""), berStr(0x04, "")))
}

// ldapSearchEntry is one SearchResultEntry with a DN only.
func ldapSearchEntry(msgID int, dn string) []byte {
	return ber(0x30, berInt(0x02, msgID), ber(0x64, berStr(0x04, dn), ber(0x30)))
}

// AMQPHeader091 is the AMQP 0-9-1 protocol header.
func AMQPHeader091() []byte { return []byte("AMQP\x00\x00\x09\x01") }

func amqpFrame(typ byte, channel uint16, payload []byte) []byte {
	out := []byte{typ, byte(channel >> 8), byte(channel)}
	out = binary.BigEndian.AppendUint32(out, uint32(len(payload)))
	out = append(out, payload...)
	return append(out, 0xce)
}

func amqpShortStr(s string) []byte { return append([]byte{byte(len(s))}, s...) }
func amqpLongStr(s string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(s))), s...)
}

// AMQPConnectionStart is the broker's Connection.Start method frame.
func AMQPConnectionStart() []byte {
	var table []byte
	for _, kv := range [][2]string{{"product", "RabbitMQ"}, {"version", "3.12.1"}, {"platform", "Erlang/OTP 25.3"}} {
		table = append(table, amqpShortStr(kv[0])...)
		table = append(table, 'S')
		table = append(table, amqpLongStr(kv[1])...)
	}
	p := []byte{0, 10, 0, 10, 0, 9} // class 10 connection, method 10 start, version 0-9
	p = binary.BigEndian.AppendUint32(p, uint32(len(table)))
	p = append(p, table...)
	p = append(p, amqpLongStr("PLAIN AMQPLAIN")...)
	p = append(p, amqpLongStr("en_US")...)
	return amqpFrame(1, 0, p)
}

// amqpStartOk is the client's Connection.Start-Ok with a PLAIN response.
func amqpStartOk(user, token string) []byte {
	p := []byte{0, 10, 0, 11}
	p = binary.BigEndian.AppendUint32(p, 0) // empty client properties
	p = append(p, amqpShortStr("PLAIN")...)
	p = append(p, amqpLongStr("\x00"+user+"\x00"+token)...)
	p = append(p, amqpShortStr("en_US")...)
	return amqpFrame(1, 0, p)
}

// amqpTune is Connection.Tune (from the broker).
func amqpTune() []byte {
	return amqpFrame(1, 0, []byte{0, 10, 0, 30, 0x07, 0xff, 0, 2, 0, 0, 0, 60, 0})
}

// AMQPPublish is a Basic.Publish method frame followed by header and body.
func AMQPPublish(channel uint16, exchange, routingKey string, body []byte) []byte {
	m := []byte{0, 60, 0, 40, 0, 0}
	m = append(m, amqpShortStr(exchange)...)
	m = append(m, amqpShortStr(routingKey)...)
	m = append(m, 0)
	out := amqpFrame(1, channel, m)
	h := []byte{0, 60, 0, 0}
	h = binary.BigEndian.AppendUint64(h, uint64(len(body)))
	h = append(h, 0, 0)
	out = append(out, amqpFrame(2, channel, h)...)
	return append(out, amqpFrame(3, channel, body)...)
}

// Syslog3164 is an RFC 3164 line.
func Syslog3164(pri int, t time.Time, host, tag, msg string) []byte {
	return []byte(fmt.Sprintf("<%d>%s %s %s: %s", pri, t.UTC().Format(time.Stamp), host, tag, msg))
}

// Syslog5424 is an RFC 5424 message.
func Syslog5424(pri int, t time.Time, host, app, msg string) []byte {
	return []byte(fmt.Sprintf("<%d>1 %s %s %s - - - %s", pri, t.UTC().Format(time.RFC3339Nano), host, app, msg))
}

// Kerberos message types.
const (
	krbASReq   = 10
	krbASRep   = 11
	krbTGSReq  = 12
	krbTGSRep  = 13
	krbError   = 30
	krbPrincNT = 1
)

func krbTime(t time.Time) []byte { return berStr(0x18, t.UTC().Format("20060102150405Z")) }

func krbPrincipal(names ...string) []byte {
	var seq [][]byte
	for _, n := range names {
		seq = append(seq, berStr(0x1b, n))
	}
	return ber(0x30, ber(0xa0, berInt(0x02, krbPrincNT)), ber(0xa1, ber(0x30, seq...)))
}

// KerberosASReq is an AS-REQ for user@realm asking for krbtgt.
func KerberosASReq(user, realm string, till time.Time, nonce int) []byte {
	body := ber(0x30,
		ber(0xa0, ber(0x03, []byte{0, 0x40, 0x81, 0x00, 0x10})),
		ber(0xa1, krbPrincipal(user)),
		ber(0xa2, berStr(0x1b, realm)),
		ber(0xa3, krbPrincipal("krbtgt", realm)),
		ber(0xa5, krbTime(till)),
		ber(0xa7, berInt(0x02, nonce)),
		ber(0xa8, ber(0x30, berInt(0x02, 18), berInt(0x02, 17), berInt(0x02, 23))),
	)
	return ber(0x6a, ber(0x30, ber(0xa1, berInt(0x02, 5)), ber(0xa2, berInt(0x02, krbASReq)), ber(0xa4, body)))
}

// KerberosError is a KRB-ERROR with an error code (25: pre-auth required).
func KerberosError(code int, realm string, now time.Time) []byte {
	return ber(0x7e, ber(0x30,
		ber(0xa0, berInt(0x02, 5)), ber(0xa1, berInt(0x02, krbError)),
		ber(0xa4, krbTime(now)), ber(0xa5, berInt(0x02, 0)),
		ber(0xa6, berInt(0x02, code)),
		ber(0xa9, berStr(0x1b, realm)), ber(0xaa, krbPrincipal("krbtgt", realm))))
}

// KerberosASRep is an AS-REP whose ticket and enc-part carry cipher text.
func KerberosASRep(user, realm string, cipher []byte) []byte {
	enc := ber(0x30, ber(0xa0, berInt(0x02, 18)), ber(0xa1, berInt(0x02, 2)), ber(0xa2, ber(0x04, cipher)))
	ticket := ber(0x61, ber(0x30, ber(0xa0, berInt(0x02, 5)), ber(0xa1, berStr(0x1b, realm)),
		ber(0xa2, krbPrincipal("krbtgt", realm)), ber(0xa3, enc)))
	return ber(0x6b, ber(0x30, ber(0xa0, berInt(0x02, 5)), ber(0xa1, berInt(0x02, krbASRep)),
		ber(0xa3, berStr(0x1b, realm)), ber(0xa4, krbPrincipal(user)), ber(0xa5, ticket), ber(0xa6, enc)))
}

// KerberosTCP adds the 4-byte record mark used over TCP.
func KerberosTCP(msg []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(msg))), msg...)
}

// UUIDs of well-known DCE/RPC interfaces, in the wire (little-endian
// fields) layout.
var (
	uuidEPM     = mustUUID("e1af8308-5d1f-11c9-91a4-08002b14a0fa")
	uuidNDR     = mustUUID("8a885d04-1ceb-11c9-9fe8-08002b104860")
	uuidDRSUAPI = mustUUID("e3514235-4b06-11d1-ab04-00c04fc2dcd2")
)

func mustUUID(s string) []byte {
	h := strings.ReplaceAll(s, "-", "")
	var b [16]byte
	for i := 0; i < 16; i++ {
		fmt.Sscanf(h[2*i:2*i+2], "%02x", &b[i])
	}
	// time_low, time_mid, time_hi are little-endian on the wire (drep LE).
	b[0], b[1], b[2], b[3] = b[3], b[2], b[1], b[0]
	b[4], b[5] = b[5], b[4]
	b[6], b[7] = b[7], b[6]
	return b[:]
}

func dcerpcHeader(ptype byte, callID uint32, body []byte) []byte {
	h := []byte{5, 0, ptype, 0x03, 0x10, 0, 0, 0}
	h = binary.LittleEndian.AppendUint16(h, uint16(16+len(body)))
	h = binary.LittleEndian.AppendUint16(h, 0)
	h = binary.LittleEndian.AppendUint32(h, callID)
	return append(h, body...)
}

// DCERPCBindEPM is a bind to the endpoint mapper (v3.0) with NDR.
func DCERPCBindEPM(callID uint32) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 5840)
	b = binary.LittleEndian.AppendUint16(b, 5840)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = append(b, 1, 0, 0, 0)                  // one context, padding
	b = binary.LittleEndian.AppendUint16(b, 0) // context id
	b = append(b, 1, 0)                        // one transfer syntax
	b = append(b, uuidEPM...)
	b = binary.LittleEndian.AppendUint32(b, 3) // version 3.0
	b = append(b, uuidNDR...)
	b = binary.LittleEndian.AppendUint32(b, 2)
	return dcerpcHeader(11, callID, b)
}

// DCERPCBindAck accepts the bind; secondary address "135".
func DCERPCBindAck(callID uint32) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 5840)
	b = binary.LittleEndian.AppendUint16(b, 5840)
	b = binary.LittleEndian.AppendUint32(b, 0x1234)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = append(b, '1', '3', '5', 0)
	b = append(b, 0, 0)       // pad to 4
	b = append(b, 1, 0, 0, 0) // one result
	b = append(b, 0, 0, 0, 0) // acceptance
	b = append(b, uuidNDR...)
	b = binary.LittleEndian.AppendUint32(b, 2)
	return dcerpcHeader(12, callID, b)
}

// eptTower is an ncacn_ip_tcp tower for DRSUAPI at port/ip.
func eptTower(port uint16, ip [4]byte) []byte {
	floor := func(lhs, rhs []byte) []byte {
		f := binary.LittleEndian.AppendUint16(nil, uint16(len(lhs)))
		f = append(f, lhs...)
		f = binary.LittleEndian.AppendUint16(f, uint16(len(rhs)))
		return append(f, rhs...)
	}
	t := binary.LittleEndian.AppendUint16(nil, 5)
	t = append(t, floor(append(append([]byte{0x0d}, uuidDRSUAPI...), 4, 0), []byte{0, 0})...)
	t = append(t, floor(append(append([]byte{0x0d}, uuidNDR...), 2, 0), []byte{0, 0})...)
	t = append(t, floor([]byte{0x0b}, []byte{0, 0})...)
	t = append(t, floor([]byte{0x07}, []byte{byte(port >> 8), byte(port)})...)
	t = append(t, floor([]byte{0x09}, ip[:])...)
	return t
}

// DCERPCEptMapRequest is an ept_map (opnum 3) request for DRSUAPI.
func DCERPCEptMapRequest(callID uint32) []byte {
	tower := eptTower(135, [4]byte{})
	stub := binary.LittleEndian.AppendUint32(nil, 1) // object uuid pointer
	stub = append(stub, make([]byte, 16)...)
	stub = binary.LittleEndian.AppendUint32(stub, 2) // map_tower referent
	stub = binary.LittleEndian.AppendUint32(stub, uint32(len(tower)))
	stub = binary.LittleEndian.AppendUint32(stub, uint32(len(tower)))
	stub = append(stub, tower...)
	for len(stub)%4 != 0 {
		stub = append(stub, 0)
	}
	stub = append(stub, make([]byte, 20)...)         // entry handle
	stub = binary.LittleEndian.AppendUint32(stub, 4) // max towers
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(stub)))
	b = binary.LittleEndian.AppendUint16(b, 0) // context
	b = binary.LittleEndian.AppendUint16(b, 3) // opnum: ept_map
	return dcerpcHeader(0, callID, append(b, stub...))
}

// DCERPCEptMapResponse answers with one tower naming port at ip.
func DCERPCEptMapResponse(callID uint32, port uint16, ip [4]byte) []byte {
	tower := eptTower(port, ip)
	stub := make([]byte, 20)                         // context handle
	stub = binary.LittleEndian.AppendUint32(stub, 1) // num towers
	stub = binary.LittleEndian.AppendUint32(stub, 4) // max count
	stub = binary.LittleEndian.AppendUint32(stub, 0) // offset
	stub = binary.LittleEndian.AppendUint32(stub, 1) // actual count
	stub = binary.LittleEndian.AppendUint32(stub, 3) // referent id
	stub = binary.LittleEndian.AppendUint32(stub, uint32(len(tower)))
	stub = binary.LittleEndian.AppendUint32(stub, uint32(len(tower)))
	stub = append(stub, tower...)
	for len(stub)%4 != 0 {
		stub = append(stub, 0)
	}
	stub = binary.LittleEndian.AppendUint32(stub, 0) // status
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(stub)))
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = append(b, 0, 0)
	return dcerpcHeader(2, callID, append(b, stub...))
}

// DCERPCBind is a bind to DRSUAPI on the dynamic port.
func DCERPCBindDRSUAPI(callID uint32) []byte {
	b := DCERPCBindEPM(callID)
	copy(b[16+12+4:], uuidDRSUAPI)
	binary.LittleEndian.PutUint32(b[16+12+4+16:], 4)
	return b
}

// NMFPreamble is the .NET Message Framing preamble an ADWS client sends.
func NMFPreamble(dc, endpoint string) []byte {
	via := fmt.Sprintf("net.tcp://%s:9389/ActiveDirectoryWebServices/%s", dc, endpoint)
	b := []byte{0x00, 0x01, 0x00, 0x01, 0x02, 0x02}
	b = append(b, nmfSize(len(via))...)
	b = append(b, via...)
	b = append(b, 0x03, 0x08, 0x09)
	up := "application/negotiate"
	b = append(b, nmfSize(len(up))...)
	return append(b, up...)
}

func nmfSize(n int) []byte {
	var out []byte
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n == 0 {
			return append(out, c)
		}
		out = append(out, c|0x80)
	}
}

// PostgresStartup is a protocol 3.0 StartupMessage.
func PostgresStartup(user, db, app string) []byte {
	var kv []byte
	for _, s := range []string{"user", user, "database", db, "application_name", app} {
		kv = append(kv, s...)
		kv = append(kv, 0)
	}
	kv = append(kv, 0)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(kv)))
	b = binary.BigEndian.AppendUint32(b, 0x00030000)
	return append(b, kv...)
}

// PostgresAuthOK is AuthenticationOk, a ParameterStatus and ReadyForQuery.
func PostgresAuthOK() []byte {
	b := []byte{'R', 0, 0, 0, 8, 0, 0, 0, 0}
	ps := "server_version\x0016.4\x00"
	b = append(b, 'S')
	b = binary.BigEndian.AppendUint32(b, uint32(4+len(ps)))
	b = append(b, ps...)
	return append(b, 'Z', 0, 0, 0, 5, 'I')
}

// postgresQuery is a simple Query message.
func postgresQuery(q string) []byte {
	b := []byte{'Q'}
	b = binary.BigEndian.AppendUint32(b, uint32(4+len(q)+1))
	b = append(b, q...)
	return append(b, 0)
}

// HTTPRequest is an HTTP/1.1 request head.
func HTTPRequest(method, path, host string, extra ...string) []byte {
	s := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n", method, path, host)
	for _, h := range extra {
		s += h + "\r\n"
	}
	return []byte(s + "\r\n")
}

// HTTPResponse is an HTTP/1.1 response with a small body.
func HTTPResponse(code int, reason, body string) []byte {
	return []byte(fmt.Sprintf("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", code, reason, len(body), body))
}

// SMB2Negotiate is an SMB2 NEGOTIATE request behind a NetBIOS session header.
func SMB2Negotiate() []byte {
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64)
	body := []byte{0x24, 0, 2, 0, 1, 0, 0, 0, 0x7f, 0, 0, 0}
	body = append(body, make([]byte, 16+8)...)
	body = append(body, 0x02, 0x02, 0x10, 0x02)
	msg := append(h, body...)
	return append([]byte{0, byte(len(msg) >> 16), byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// DNSQuery is a standard query for an A record.
func DNSQuery(id uint16, name string) []byte {
	b := []byte{byte(id >> 8), byte(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}
	for _, l := range strings.Split(name, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0, 0, 1, 0, 1)
}

// DNSAnswer answers a DNSQuery with one A record.
func DNSAnswer(id uint16, name string, ip [4]byte) []byte {
	q := DNSQuery(id, name)
	q[2], q[3] = 0x81, 0x80
	q[7] = 1
	a := []byte{0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4}
	return append(append(q, a...), ip[:]...)
}

// NTPClient is a version 4 client request.
func NTPClient() []byte {
	b := make([]byte, 48)
	b[0] = 0x23
	return b
}

// tlsClientHello is a TLS 1.2-style ClientHello record with SNI and, when
// alpn is set, one ALPN protocol.
func tlsClientHello(sni, alpn string) []byte {
	var ext []byte
	name := []byte(sni)
	sniExt := append([]byte{0, byte(len(name) + 3), 0, 0, byte(len(name))}, name...)
	ext = append(ext, 0, 0, 0, byte(len(sniExt)))
	ext = append(ext, sniExt...)
	if alpn != "" {
		list := append([]byte{0, byte(len(alpn) + 1), byte(len(alpn))}, alpn...)
		ext = append(ext, 0, 16, 0, byte(len(list)))
		ext = append(ext, list...)
	}
	body := []byte{3, 3}
	body = append(body, make([]byte, 32)...)          // random
	body = append(body, 0)                            // session id
	body = append(body, 0, 4, 0xc0, 0x2f, 0x13, 0x01) // cipher suites
	body = append(body, 1, 0)                         // null compression
	body = binary.BigEndian.AppendUint16(body, uint16(len(ext)))
	body = append(body, ext...)
	hs := append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{0x16, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}
