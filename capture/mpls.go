package capture

import (
	"encoding/binary"
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// mplsStack reads an MPLS label stack (RFC 3032) as a DecodingLayer:
// gopacket's MPLS layer decodes only through the slow packet API, so
// without this the layer parser stopped at Ethernet type 0x8847 and the
// IP inside was lost. The stack has no field naming what it carries; as
// routers do for ECMP hashing (RFC 4928), the first nibble after the
// bottom of the stack tells: 4 or 6 is IP, 0 is a pseudowire control word
// (RFC 4448) before an Ethernet frame.
type mplsStack struct {
	layers.BaseLayer
	labels int
	next   gopacket.LayerType
}

// maxLabels bounds the walk: real stacks hold a few labels.
const maxLabels = 16

var errMPLSDepth = errors.New("MPLS label stack deeper than 16 entries")

func (m *mplsStack) LayerType() gopacket.LayerType     { return layers.LayerTypeMPLS }
func (m *mplsStack) CanDecode() gopacket.LayerClass    { return layers.LayerTypeMPLS }
func (m *mplsStack) NextLayerType() gopacket.LayerType { return m.next }

func (m *mplsStack) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	m.labels, m.next = 0, gopacket.LayerTypeZero
	off := 0
	for {
		if len(data) < off+4 {
			df.SetTruncated()
			return errors.New("MPLS label stack cut short")
		}
		entry := binary.BigEndian.Uint32(data[off:])
		off += 4
		m.labels++
		if entry&0x100 != 0 { // bottom of stack
			break
		}
		if m.labels == maxLabels {
			return errMPLSDepth
		}
	}
	m.Contents, m.Payload = data[:off], data[off:]
	if len(m.Payload) == 0 {
		return nil
	}
	switch m.Payload[0] >> 4 {
	case 4:
		m.next = layers.LayerTypeIPv4
	case 6:
		m.next = layers.LayerTypeIPv6
	case 0:
		if len(m.Payload) >= 4+14 {
			m.Contents, m.Payload = data[:off+4], data[off+4:]
			m.next = layers.LayerTypeEthernet
		}
	}
	return nil
}
