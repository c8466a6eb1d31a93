package protocol

import (
	"encoding/binary"
	"fmt"
)

// DCE/RPC connection-oriented PDU types (C706 §12.6, as Zeek names them).
func dcerpcPType(t byte) string {
	switch t {
	case 0:
		return "request"
	case 2:
		return "response"
	case 3:
		return "fault"
	case 11:
		return "bind"
	case 12:
		return "bind_ack"
	case 13:
		return "bind_nak"
	case 14:
		return "alter_context"
	case 15:
		return "alter_context_resp"
	case 16:
		return "auth3"
	case 17:
		return "shutdown"
	case 18:
		return "co_cancel"
	case 19:
		return "orphaned"
	}
	return ""
}

// uuid is an interface identifier in canonical (big-endian) byte order.
type uuid [16]byte

// uuidFrom reads an NDR UUID whose first three fields are in bo's order.
func uuidFrom(b []byte, bo binary.ByteOrder) uuid {
	var u uuid
	binary.BigEndian.PutUint32(u[0:4], bo.Uint32(b[0:4]))
	binary.BigEndian.PutUint16(u[4:6], bo.Uint16(b[4:6]))
	binary.BigEndian.PutUint16(u[6:8], bo.Uint16(b[6:8]))
	copy(u[8:], b[8:16])
	return u
}

func (u uuid) String() string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// name is the well-known interface name, or the UUID's text.
func (u uuid) name() string {
	if n := dcerpcInterface(u); n != "" {
		return n
	}
	return u.String()
}

func mustHexUUID(s string) uuid {
	var u uuid
	j := 0
	for i := 0; i < len(s) && j < 32; i++ {
		c := s[i]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		default:
			continue
		}
		u[j/2] |= v << (4 * (1 - j%2))
		j++
	}
	return u
}

// knownInterfaces are the interfaces reports name; parsed once, read only.
var knownInterfaces = [...]struct {
	uuid uuid
	name string
}{
	{mustHexUUID("e1af8308-5d1f-11c9-91a4-08002b14a0fa"), "epm"},
	{mustHexUUID("e3514235-4b06-11d1-ab04-00c04fc2dcd2"), "drsuapi"},
	{mustHexUUID("12345778-1234-abcd-ef00-0123456789ab"), "lsarpc"},
	{mustHexUUID("12345778-1234-abcd-ef00-0123456789ac"), "samr"},
	{mustHexUUID("12345678-1234-abcd-ef00-01234567cffb"), "netlogon"},
	{mustHexUUID("000001a0-0000-0000-c000-000000000046"), "isystemactivator"},
	{mustHexUUID("99fcfec4-5260-101b-bbcb-00aa0021347a"), "iobjectexporter"},
	{mustHexUUID("3919286a-b10c-11d0-9ba8-00c04fd92ef5"), "dssetup"},
}

// dcerpcInterface names a well-known interface, or says "".
func dcerpcInterface(u uuid) string {
	for _, k := range knownInterfaces {
		if k.uuid == u {
			return k.name
		}
	}
	return ""
}

// PDU is one connection-oriented DCE/RPC PDU header.
type PDU struct {
	Type     byte
	flags    byte
	le       bool
	fragLen  int
	authLen  int
	CallID   uint32
	body     []byte // the body, cut to what is available
	Complete bool   // all fragLen bytes are present
}

// ParsePDU reads the 16-byte common header (version 5.0 or 5.1).
func ParsePDU(b []byte) (PDU, bool) {
	if len(b) < 16 || b[0] != 5 || b[1] > 1 || dcerpcPType(b[2]) == "" || b[4]&0xe0 != 0 {
		return PDU{}, false
	}
	p := PDU{Type: b[2], flags: b[3], le: b[4]&0x10 != 0}
	var bo binary.ByteOrder = binary.BigEndian
	if p.le {
		bo = binary.LittleEndian
	}
	p.fragLen, p.authLen = int(bo.Uint16(b[8:10])), int(bo.Uint16(b[10:12]))
	p.CallID = bo.Uint32(b[12:16])
	if p.fragLen < 16 || p.authLen > p.fragLen-16 {
		return PDU{}, false
	}
	end := min(p.fragLen, len(b))
	p.body, p.Complete = b[16:end], end == p.fragLen
	return p, true
}

func (p *PDU) order() binary.ByteOrder {
	if p.le {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// boundInterface returns the first abstract syntax of a bind or
// alter_context: p_context_elem after max_xmit, max_recv, assoc_group.
func (p *PDU) boundInterface() (uuid, bool) {
	b := p.body
	if (p.Type != 11 && p.Type != 14) || len(b) < 12+4+20 || b[8] == 0 {
		return uuid{}, false
	}
	return uuidFrom(b[16:32], p.order()), true
}

// recogniseDCERPC checks the first PDU of each direction and names the
// bound interface when it is a well-known one.
func recogniseDCERPC(in Input) Result {
	var res Result
	for dir, b := range [2][]byte{in.Client, in.Server} {
		p, ok := ParsePDU(b)
		if !ok {
			continue
		}
		// A request/bind from the client, an answer from the server.
		if dir == 0 && p.Type != 0 && p.Type != 11 && p.Type != 14 && p.Type != 16 {
			continue
		}
		if res.ID == Unknown {
			res = Result{ID: DCERPC, Conf: Likely}
			if p.Complete || p.fragLen <= 5840 {
				res.Conf = Certain
			}
		}
		key := "client"
		if dir == 1 {
			key = "server"
			res.Answered = p.Type == 12 || p.Type == 15 || p.Type == 2 // bind_ack, alter_context_resp, response
		}
		res.Meta.add(key, dcerpcPType(p.Type))
		if uuid, ok := p.boundInterface(); ok {
			res.Meta.add("interface", uuid.name())
		}
	}
	return res
}

// dcerpcPorts: the RPC endpoint mapper.
func dcerpcPorts() []port {
	return []port{
		{transport: TCP, number: 135, usual: DCERPC, server: true},
	}
}
