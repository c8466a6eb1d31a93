package capture

import "encoding/binary"

// NFLOG records (LINKTYPE_NFLOG, what tcpdump -i nflog:N writes): a
// 4-byte nfgenmsg header (address family, version, resource id), then
// TLVs of which NFULA_PAYLOAD holds the packet from its IP header on.
// Each TLV's length (header included) and type are in the byte order of
// the host that wrote the file; a TLV is padded to four bytes.
const (
	nflogHeaderLen = 4
	nfulaPayload   = 9
)

// nflogPayload returns the IP packet an NFLOG record carries. The byte
// order is the one under which the TLVs fill the record exactly; a
// payload cut by the snap length is returned as far as it goes.
func nflogPayload(data []byte) ([]byte, bool) {
	if len(data) < nflogHeaderLen {
		return nil, false
	}
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		if p, ok := nflogTLVs(data[nflogHeaderLen:], bo); ok {
			return p, true
		}
	}
	return nil, false
}

func nflogTLVs(b []byte, bo binary.ByteOrder) ([]byte, bool) {
	var payload []byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, false
		}
		n, typ := int(bo.Uint16(b)), bo.Uint16(b[2:])&0x7fff // the top bit marks nesting
		if n < 4 {
			return nil, false
		}
		if n > len(b) {
			if typ == nfulaPayload {
				return b[4:], true // cut by the snap length
			}
			return nil, false
		}
		if typ == nfulaPayload {
			payload = b[4:n]
		}
		b = b[min((n+3)&^3, len(b)):]
	}
	return payload, payload != nil
}
