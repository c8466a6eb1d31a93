package protocol

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// Endpoint is a TCP endpoint named by an endpoint-mapper tower.
type Endpoint struct {
	Addr      netip.Addr // zero when the tower names no address (0.0.0.0)
	Port      uint16
	Interface string // well-known name, or the UUID
}

var errTower = errors.New("malformed protocol tower")

// EptMapRequest reports whether a client PDU is an ept_map call (opnum 3).
func EptMapRequest(p *PDU) bool {
	if p.Type != 0 || len(p.body) < 8 {
		return false
	}
	return p.order().Uint16(p.body[6:8]) == 3
}

// ParseEptMapResponse reads the towers of an ept_map response stub:
// context handle (20), num_towers, a conformant-varying array of tower
// pointers (max_count, offset, actual_count, referent ids), then per tower
// tower_length twice and the octets; status last. Every length is checked.
func ParseEptMapResponse(p *PDU) ([]Endpoint, error) {
	if p.Type != 2 || len(p.body) < 8 {
		return nil, errTower
	}
	bo := p.order()
	stub := p.body[8:]
	if len(stub) < 20+4+12 {
		return nil, errTower
	}
	n := int(bo.Uint32(stub[20:24]))
	actual := int(bo.Uint32(stub[32:36]))
	if n > 64 || actual > n {
		return nil, errTower
	}
	off := 36 + 4*actual // referent ids
	var out []Endpoint
	for i := 0; i < actual; i++ {
		off = (off + 3) &^ 3
		if off+8 > len(stub) {
			return out, errTower
		}
		tl := int(bo.Uint32(stub[off+4 : off+8]))
		off += 8
		if tl > len(stub)-off {
			return out, errTower
		}
		if ep, err := ParseTower(stub[off : off+tl]); err == nil {
			out = append(out, ep)
		}
		off += tl
	}
	return out, nil
}

// ParseTower reads a protocol tower: floor count (LE), then per floor a
// left-hand side (protocol id, UUID floors add UUID and version) and a
// right-hand side. TCP floors (0x07) carry a big-endian port, IP floors
// (0x09) a big-endian IPv4 address.
func ParseTower(t []byte) (Endpoint, error) {
	if len(t) < 2 {
		return Endpoint{}, errTower
	}
	floors := int(binary.LittleEndian.Uint16(t))
	t = t[2:]
	if floors == 0 || floors > 8 {
		return Endpoint{}, errTower
	}
	var ep Endpoint
	sawTCP := false
	for i := 0; i < floors; i++ {
		if len(t) < 2 {
			return Endpoint{}, errTower
		}
		ll := int(binary.LittleEndian.Uint16(t))
		if ll < 1 || len(t) < 2+ll+2 {
			return Endpoint{}, errTower
		}
		lhs := t[2 : 2+ll]
		rl := int(binary.LittleEndian.Uint16(t[2+ll:]))
		if len(t) < 2+ll+2+rl {
			return Endpoint{}, errTower
		}
		rhs := t[4+ll : 4+ll+rl]
		t = t[4+ll+rl:]
		switch lhs[0] {
		case 0x0d:
			if i == 0 && len(lhs) >= 17 {
				ep.Interface = uuidFrom(lhs[1:17], binary.LittleEndian).name()
			}
		case 0x07:
			if len(rhs) != 2 {
				return Endpoint{}, errTower
			}
			ep.Port, sawTCP = binary.BigEndian.Uint16(rhs), true
		case 0x09:
			if len(rhs) != 4 {
				return Endpoint{}, errTower
			}
			if a := netip.AddrFrom4([4]byte(rhs)); !a.IsUnspecified() {
				ep.Addr = a
			}
		}
	}
	if !sawTCP || ep.Port == 0 {
		return Endpoint{}, errTower
	}
	return ep, nil
}

// PDUs walks the complete PDUs at the start of b.
func PDUs(b []byte, fn func(p *PDU) bool) {
	var p PDU // one for the walk: handed to fn, it escapes, once per call not per PDU
	for len(b) >= 16 {
		var ok bool
		p, ok = ParsePDU(b)
		if !ok || !p.Complete {
			return
		}
		if !fn(&p) {
			return
		}
		b = b[p.fragLen:]
	}
}
