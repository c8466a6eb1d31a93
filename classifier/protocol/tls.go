package protocol

import "encoding/binary"

// recogniseTLS reads a ClientHello (record 0x16, version 3.x, handshake
// type 1) and keeps SNI and ALPN, and the ServerHello's version. A
// ClientHello offering ALPN "postgresql" is PostgreSQL's direct TLS start.
func recogniseTLS(in Input) Result {
	c := in.Client
	if len(c) < 11 || c[0] != 0x16 || c[1] != 3 || c[2] > 4 || c[5] != 1 || c[9] != 3 || c[10] > 4 {
		return Result{}
	}
	res := Result{ID: TLS, Conf: Certain}
	sni, alpn := clientHello(c[5:])
	if sni != "" {
		res.Meta.add("sni", sni)
	}
	if alpn != "" {
		res.Meta.add("alpn", alpn)
		if alpn == "postgresql" {
			res.ID = PostgreSQL
			res.Meta.add("request", "direct-tls")
		}
	}
	s := in.Server
	if len(s) >= 11 && s[0] == 0x16 && s[1] == 3 && s[5] == 2 {
		res.Meta.add("server", "hello")
	} else if len(s) >= 7 && s[0] == 0x15 && s[1] == 3 {
		res.Meta.add("server", "alert")
	}
	return res
}

// clientHello walks a (possibly truncated) ClientHello handshake message to
// its extensions and returns server_name and the first ALPN protocol.
func clientHello(h []byte) (sni, alpn string) {
	// type(1) length(3) version(2) random(32)
	p := 4 + 2 + 32
	if len(h) < p+1 {
		return
	}
	p += 1 + int(h[p]) // session id
	if len(h) < p+2 {
		return
	}
	p += 2 + int(binary.BigEndian.Uint16(h[p:])) // cipher suites
	if len(h) < p+1 {
		return
	}
	p += 1 + int(h[p]) // compression methods
	if len(h) < p+2 {
		return
	}
	end := min(len(h), p+2+int(binary.BigEndian.Uint16(h[p:])))
	p += 2
	for p+4 <= end {
		typ, l := binary.BigEndian.Uint16(h[p:]), int(binary.BigEndian.Uint16(h[p+2:]))
		p += 4
		if p+l > end {
			return
		}
		ext := h[p : p+l]
		switch typ {
		case 0: // server_name: list length, type 0, name length, name
			if len(ext) >= 5 && ext[2] == 0 {
				n := int(binary.BigEndian.Uint16(ext[3:5]))
				if 5+n <= len(ext) && n <= 255 && printable(ext[5:5+n]) {
					sni = string(ext[5 : 5+n])
				}
			}
		case 16: // ALPN: list length, then length-prefixed names
			if len(ext) >= 3 {
				n := int(ext[2])
				if 3+n <= len(ext) && printable(ext[3:3+n]) {
					alpn = string(ext[3 : 3+n])
				}
			}
		}
		p += l
	}
	return
}

// tlsPorts: services that speak TLS from the first byte.
func tlsPorts() []port {
	return []port{
		{transport: TCP, number: 443, usual: TLS, server: true, hint: "HTTPS"},
		{transport: TCP, number: 636, usual: TLS, server: true, hint: "LDAPS (LDAP over TLS)"},
		{transport: TCP, number: 3269, usual: TLS, server: true, hint: "LDAPS on 3269: the global catalog over TLS"},
		{transport: TCP, number: 5671, usual: TLS, server: true, hint: "AMQPS on its standard port"},
		{transport: TCP, number: 8443, server: true},
	}
}
