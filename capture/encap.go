package capture

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// Encapsulations the decoder recognises but does not open: the traffic
// inside them is not judged, so the report must say they were there
// ("0 unexpected" must not hide a tunnel).
const (
	EncapNone     uint8 = iota
	encapQinQ9100       // Ethernet type 0x9100/0x9200/0x9300: pre-standard QinQ
	encapGRE            // IP protocol 47
	encapERSPAN         // GRE carrying ERSPAN (0x88be, 0x22eb)
	encapVXLAN          // UDP 4789
	encapGeneve         // UDP 6081
	EncapKinds
)

// EncapName names an encapsulation kind in reports.
func EncapName(k uint8) string {
	switch k {
	case encapQinQ9100:
		return "QinQ (ethertype 0x9100)"
	case encapGRE:
		return "GRE"
	case encapERSPAN:
		return "ERSPAN"
	case encapVXLAN:
		return "VXLAN (udp/4789)"
	case encapGeneve:
		return "Geneve (udp/6081)"
	}
	return ""
}

// linkEncap spots a frame whose Ethernet or VLAN type is an old QinQ tag.
func linkEncap(t layers.EthernetType) uint8 {
	switch t {
	case 0x9100, 0x9200, 0x9300:
		return encapQinQ9100
	}
	return EncapNone
}

// ipEncap spots a tunnel in an IP packet's transport bytes: GRE (and
// ERSPAN inside it) by protocol, VXLAN and Geneve by their UDP ports.
func ipEncap(proto uint8, transport []byte) uint8 {
	switch {
	case proto == 47:
		if len(transport) >= 4 {
			if pt := binary.BigEndian.Uint16(transport[2:4]); pt == 0x88be || pt == 0x22eb {
				return encapERSPAN
			}
		}
		return encapGRE
	case proto == ProtoUDP && len(transport) >= 4:
		switch binary.BigEndian.Uint16(transport[2:4]) {
		case 4789:
			return encapVXLAN
		case 6081:
			return encapGeneve
		}
	}
	return EncapNone
}
