package protocol

import "encoding/binary"

// PostgreSQL first messages (protocol.h / pqcomm.h).
const (
	pgSSLRequest    = 80877103
	pgGSSENCRequest = 80877104
	pgCancelRequest = 80877102
)

// recognisePostgres reads the client's first message: a StartupMessage
// (protocol 3.x, NUL-terminated parameter pairs), SSLRequest,
// GSSENCRequest or CancelRequest; and the server's one-byte SSL answer.
// Parameter values (user, database) are not kept.
func recognisePostgres(in Input) Result {
	c := in.Client
	if len(c) < 8 {
		return Result{}
	}
	l := int(binary.BigEndian.Uint32(c[0:4]))
	code := binary.BigEndian.Uint32(c[4:8])
	res := Result{ID: PostgreSQL, Conf: Certain}
	switch {
	case l == 8 && code == pgSSLRequest:
		res.Meta.Add("request", "ssl")
		if len(in.Server) > 0 {
			switch in.Server[0] {
			case 'S':
				res.Meta.Add("ssl", "accepted")
			case 'N':
				res.Meta.Add("ssl", "refused")
			}
		}
	case l == 8 && code == pgGSSENCRequest:
		res.Meta.Add("request", "gssenc")
	case l == 16 && code == pgCancelRequest:
		res.Meta.Add("request", "cancel")
	case code>>16 == 3 && code&0xffff <= 2 && l > 8 && l <= 10000:
		// StartupMessage: key\0value\0...\0 — check the pairs that are here.
		body := c[8:min(l, len(c))]
		nul := 0
		for _, b := range body {
			if b == 0 {
				nul++
			} else if b < 0x20 && b != '\t' {
				return Result{}
			}
		}
		if nul == 0 && len(body) > 64 {
			return Result{}
		}
		res.Meta.Add("request", "startup")
		res.Meta.Add("version", "3."+itoa(int(code&0xffff)))
		if len(in.Server) > 0 {
			switch in.Server[0] {
			case 'R':
				res.Meta.Add("server", "authentication")
			case 'E':
				res.Meta.Add("server", "error")
			}
		}
	default:
		return Result{}
	}
	return res
}

// postgresPorts: PostgreSQL's default port and the two Threat Manager uses.
func postgresPorts() []Port {
	return []Port{
		{Transport: TCP, Number: 5432, Usual: PostgreSQL, Server: true, Hint: "PostgreSQL default port: the later matrix (threatmanager-3.0) uses 5432; this one lists 5435/5439"},
		{Transport: TCP, Number: 5435, Usual: PostgreSQL, Server: true},
		{Transport: TCP, Number: 5439, Usual: PostgreSQL, Server: true},
	}
}
