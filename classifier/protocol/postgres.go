package protocol

import (
	"encoding/binary"
	"strings"
)

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
		return postgresMidStream(in)
	}
	l := int(binary.BigEndian.Uint32(c[0:4]))
	code := binary.BigEndian.Uint32(c[4:8])
	res := Result{ID: PostgreSQL, Conf: Certain}
	switch {
	case l == 8 && code == pgSSLRequest:
		res.Meta.add("request", "ssl")
		if len(in.Server) > 0 {
			switch in.Server[0] {
			case 'S':
				res.Meta.add("ssl", "accepted")
			case 'N':
				res.Meta.add("ssl", "refused")
			}
		}
	case l == 8 && code == pgGSSENCRequest:
		res.Meta.add("request", "gssenc")
	case l == 16 && code == pgCancelRequest:
		res.Meta.add("request", "cancel")
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
		res.Meta.add("request", "startup")
		res.Meta.add("version", "3."+itoa(int(code&0xffff)))
		if len(in.Server) > 0 {
			switch in.Server[0] {
			case 'R':
				res.Meta.add("server", "authentication")
			case 'E':
				res.Meta.add("server", "error")
			}
		}
	default:
		return postgresMidStream(in)
	}
	return res
}

// Message types after the startup (protocol.h, the PostgreSQL
// documentation's "Message Formats"): what a frontend and a backend send.
const (
	pgFrontendTypes = "BCDEFHPQSXcdfp"
	pgBackendTypes  = "123ACDEGHIKNRSTVWZcdnstv"
)

// postgresMidStream recognises a session whose startup the capture
// missed, from the framing alone: each side's bytes must be a chain of
// type-and-length messages of its role. Certain only when both
// directions agree (one side frontend, the other backend: either way
// round, since a mid-stream flow's initiator is a guess); nothing from
// one side alone, which a short run of other bytes could imitate.
func postgresMidStream(in Input) Result {
	if in.Transport != TCP {
		return Result{}
	}
	fc, bs := pgChain(in.Client, false), pgChain(in.Server, true)
	if fc == 0 || bs == 0 {
		// The initiator guessed from the ports may be the backend.
		fc, bs = pgChain(in.Server, false), pgChain(in.Client, true)
	}
	if fc == 0 || bs == 0 {
		return Result{}
	}
	res := Result{ID: PostgreSQL, Conf: Certain}
	res.Meta.add("request", "mid-stream")
	return res
}

// pgChain counts the messages b holds when it is a chain of a backend's
// (or a frontend's) messages from its first byte (the last one may be cut
// short by the recognition bound), and 0 when it is not.
func pgChain(b []byte, backend bool) int {
	types := pgFrontendTypes
	if backend {
		types = pgBackendTypes
	}
	n := 0
	for len(b) > 0 {
		if len(b) < 5 {
			return n // a header cut by the bound (nothing at all if it is the first)
		}
		t, l := b[0], int(binary.BigEndian.Uint32(b[1:5]))
		if strings.IndexByte(types, t) < 0 || l < 4 || l > 1<<24 || !pgLengthFits(t, l, backend) {
			return 0
		}
		// ReadyForQuery's status: idle, in a transaction, or failed.
		if t == 'Z' && backend && len(b) > 5 && strings.IndexByte("ITE", b[5]) < 0 {
			return 0
		}
		n++
		if 1+l >= len(b) {
			return n
		}
		b = b[1+l:]
	}
	return n
}

// pgLengthFits checks the messages whose length is fixed.
func pgLengthFits(t byte, l int, backend bool) bool {
	if backend {
		switch t {
		case 'Z':
			return l == 5
		case '1', '2', '3', 'n', 'I', 's', 'c':
			return l == 4
		case 'K':
			return l >= 12
		}
		return true
	}
	switch t {
	case 'S', 'H', 'X', 'c':
		return l == 4
	}
	return true
}

// postgresPorts: PostgreSQL's default port; a product's own is its matrix's.
func postgresPorts() []port {
	return []port{
		{transport: TCP, number: 5432, usual: PostgreSQL, server: true, hint: "PostgreSQL default port"},
	}
}
