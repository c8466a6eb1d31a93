package capture

import (
	"encoding/binary"
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// layerTypeLinuxSLL2 identifies the Linux "cooked" v2 header, which gopacket
// v1.1.19 does not know.
var layerTypeLinuxSLL2 = gopacket.RegisterLayerType(2276, gopacket.LayerTypeMetadata{Name: "LinuxSLL2"})

var errSLLShort = errors.New("linux cooked header too short")

// linuxSLL2 decodes the 20-byte SLL2 header: protocol (2), reserved (2),
// interface index (4), ARPHRD type (2), packet type (1), address length (1),
// address (8). Only the fields the flow table needs are kept.
type linuxSLL2 struct {
	layers.BaseLayer
	protocol       layers.EthernetType
	interfaceIndex uint32
	packetType     uint8
}

// LayerType implements gopacket.Layer.
func (s *linuxSLL2) LayerType() gopacket.LayerType { return layerTypeLinuxSLL2 }

// CanDecode implements gopacket.DecodingLayer.
func (s *linuxSLL2) CanDecode() gopacket.LayerClass { return layerTypeLinuxSLL2 }

// NextLayerType implements gopacket.DecodingLayer.
func (s *linuxSLL2) NextLayerType() gopacket.LayerType { return s.protocol.LayerType() }

// DecodeFromBytes implements gopacket.DecodingLayer.
func (s *linuxSLL2) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 20 {
		df.SetTruncated()
		return errSLLShort
	}
	s.protocol = layers.EthernetType(binary.BigEndian.Uint16(data[0:2]))
	s.interfaceIndex = binary.BigEndian.Uint32(data[4:8])
	s.packetType = data[10]
	s.BaseLayer = layers.BaseLayer{Contents: data[:20], Payload: data[20:]}
	return nil
}

// linuxSLL decodes the 16-byte SLL v1 header. gopacket's own LinuxSLL slices
// the address with an unchecked length taken from the packet, which a
// damaged capture can turn into a panic; this one never looks at the
// address at all.
type linuxSLL struct {
	layers.BaseLayer
	protocol layers.EthernetType
}

func (s *linuxSLL) LayerType() gopacket.LayerType  { return layers.LayerTypeLinuxSLL }
func (s *linuxSLL) CanDecode() gopacket.LayerClass { return layers.LayerTypeLinuxSLL }
func (s *linuxSLL) NextLayerType() gopacket.LayerType {
	return s.protocol.LayerType()
}

func (s *linuxSLL) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 16 {
		df.SetTruncated()
		return errSLLShort
	}
	s.protocol = layers.EthernetType(binary.BigEndian.Uint16(data[14:16]))
	s.BaseLayer = layers.BaseLayer{Contents: data[:16], Payload: data[16:]}
	return nil
}

// pppoeSession decodes a PPPoE session header (RFC 2516) and the PPP
// protocol field behind it, handing IPv4 and IPv6 on to the parser. DSL
// links captured at a router carry these.
type pppoeSession struct {
	layers.BaseLayer
	next gopacket.LayerType
}

func (s *pppoeSession) LayerType() gopacket.LayerType  { return layers.LayerTypePPPoE }
func (s *pppoeSession) CanDecode() gopacket.LayerClass { return layers.LayerTypePPPoE }
func (s *pppoeSession) NextLayerType() gopacket.LayerType {
	return s.next
}

func (s *pppoeSession) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 8 || data[0] != 0x11 || data[1] != 0 {
		df.SetTruncated()
		return errSLLShort
	}
	switch binary.BigEndian.Uint16(data[6:8]) {
	case 0x0021:
		s.next = layers.LayerTypeIPv4
	case 0x0057:
		s.next = layers.LayerTypeIPv6
	default:
		s.next = gopacket.LayerTypeZero
	}
	s.BaseLayer = layers.BaseLayer{Contents: data[:8], Payload: data[8:]}
	return nil
}
