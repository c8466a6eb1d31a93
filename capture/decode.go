package capture

import (
	"encoding/binary"
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ErrNotIP is returned for frames that carry no IP packet (ARP, LLC, ...).
var ErrNotIP = errors.New("not an IP packet")

// errUnsupportedLink is returned for link types the decoder does not know.
var errUnsupportedLink = errors.New("unsupported link type")

// Decoder turns raw frames into Packet summaries. It holds preallocated
// gopacket layers that every call overwrites, so decoding allocates nothing.
// A Decoder is not safe for concurrent use.
type Decoder struct {
	eth   layers.Ethernet
	dot1q layers.Dot1Q
	sll   linuxSLL
	sll2  linuxSLL2
	loop  layers.Loopback
	pppoe pppoeSession
	ip4   layers.IPv4
	ip6   layers.IPv6
	mpls  mplsStack
	tcp   layers.TCP
	udp   layers.UDP

	parsers [6]*gopacket.DecodingLayerParser
	decoded []gopacket.LayerType

	// truncated is the DecodeFeedback of the Ethernet fast path.
	truncated truncation
}

// truncation records what a layer's DecodeFromBytes reports through
// gopacket.DecodeFeedback, without making Decoder itself one.
type truncation bool

func (t *truncation) SetTruncated() { *t = true }

const (
	pEthernet = iota
	pSLL
	pSLL2
	pLoop
	pIPv4
	pIPv6
)

// NewDecoder builds a decoder with one DecodingLayerParser per first layer.
func NewDecoder() *Decoder {
	d := &Decoder{decoded: make([]gopacket.LayerType, 0, 16)}
	all := []gopacket.DecodingLayer{&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.loop, &d.pppoe, &d.mpls, &d.ip4, &d.ip6}
	firsts := [...]gopacket.LayerType{
		pEthernet: layers.LayerTypeEthernet,
		pSLL:      layers.LayerTypeLinuxSLL,
		pSLL2:     layerTypeLinuxSLL2,
		pLoop:     layers.LayerTypeLoopback,
		pIPv4:     layers.LayerTypeIPv4,
		pIPv6:     layers.LayerTypeIPv6,
	}
	for i, first := range firsts {
		p := gopacket.NewDecodingLayerParser(first)
		// A slice indexed by layer type instead of gopacket's default map:
		// the lookup runs once per layer of every packet.
		p.SetDecodingLayerContainer(gopacket.DecodingLayerSparse(nil))
		for _, l := range all {
			p.AddDecodingLayer(l)
		}
		p.IgnoreUnsupported = true
		d.parsers[i] = p
	}
	return d
}

// SupportedLink reports whether the decoder can read frames of link type lt.
func SupportedLink(lt LinkType) bool {
	switch lt {
	case LinkEthernet, LinkSLL, LinkSLL2, LinkNull, linkLoop, linkRaw, linkRawAlt1, linkRawAlt2, linkIPv4, linkIPv6, linkNFLOG:
		return true
	}
	return false
}

// Decode fills p from one frame of link type lt. On error p may be partly
// filled; ErrNotIP means the frame is fine but carries no IP.
func (d *Decoder) Decode(lt LinkType, data []byte, p *Packet) error {
	return d.decode(lt, data, p, false)
}

// decode is Decode; with reference set it takes the general path for
// every frame and reads transport payloads with gopacket's layers, the
// reference that tests and FuzzDecode hold the fast path to.
func (d *Decoder) decode(lt LinkType, data []byte, p *Packet, reference bool) error {
	ts, wire, in := p.Timestamp, p.WireLen, p.Input
	*p = Packet{Timestamp: ts, WireLen: wire, Input: in}

	var parser *gopacket.DecodingLayerParser
	switch lt {
	case LinkEthernet:
		if !reference {
			if ok, err := d.fastEthernet(data, p); ok {
				return err
			}
		}
		parser = d.parsers[pEthernet]
	case LinkSLL:
		parser = d.parsers[pSLL]
	case LinkSLL2:
		parser = d.parsers[pSLL2]
	case LinkNull, linkLoop:
		parser = d.parsers[pLoop]
	case linkRaw, linkRawAlt1, linkRawAlt2, linkIPv4, linkIPv6, linkNFLOG:
		if lt == linkNFLOG {
			pl, ok := nflogPayload(data)
			if !ok {
				return ErrNotIP // a record with no packet (or not one we can read)
			}
			data = pl
		}
		// Raw IP: the version nibble says which.
		if len(data) == 0 {
			return ErrNotIP
		}
		if data[0]>>4 == 6 {
			parser = d.parsers[pIPv6]
		} else {
			parser = d.parsers[pIPv4]
		}
	default:
		return errUnsupportedLink
	}

	return d.fromLayers(parser, parser.DecodeLayers(data, &d.decoded), p, reference)
}

// fromLayers fills p from the layers parser decoded (err is its error):
// the outer link and its tags, then the IP packet, or for a frame with
// none the tunnel it was in.
func (d *Decoder) fromLayers(parser *gopacket.DecodingLayerParser, err error, p *Packet, reference bool) error {
	var sawIP4, sawIP6, sawEth bool
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeEthernet:
			if !sawEth { // the outer frame: the link the capture was on
				sawEth = true
				p.HasMAC = true
				copy(p.DstMAC[:], d.eth.DstMAC)
				copy(p.SrcMAC[:], d.eth.SrcMAC)
			}
		case layers.LayerTypeMPLS:
			p.mplsLabels += uint8(d.mpls.labels)
		case layers.LayerTypeIPv4:
			sawIP4 = true
		case layers.LayerTypeIPv6:
			sawIP6 = true
		case layers.LayerTypeDot1Q:
			p.vlans++
		}
	}
	if parser.Truncated {
		p.truncated = true
	}
	switch {
	case sawIP4:
		return d.fromIPv4(p, reference)
	case sawIP6:
		return d.fromIPv6(p, reference)
	case err != nil:
		p.truncated = true
		return err
	}
	if n := len(d.decoded); n > 0 {
		switch d.decoded[n-1] {
		case layers.LayerTypeEthernet:
			p.Encap = linkEncap(d.eth.EthernetType)
		case layers.LayerTypeDot1Q:
			p.Encap = linkEncap(d.dot1q.Type)
		}
	}
	return ErrNotIP
}

// fastEthernet decodes the common frame, untagged Ethernet II carrying
// IPv4 or IPv6, without the layer parser: a 14-byte header needs no
// generic machinery, and on a busy capture this is most frames. It reports
// false, having changed nothing the general path relies on, for anything
// else (VLAN tags, PPPoE, 802.3 lengths, a bad IP header, IP in IP), which then
// takes the general path and its error handling.
func (d *Decoder) fastEthernet(data []byte, p *Packet) (bool, error) {
	if len(data) < 14 {
		return false, nil
	}
	d.truncated = false
	switch layers.EthernetType(binary.BigEndian.Uint16(data[12:14])) {
	case layers.EthernetTypeIPv4, layers.EthernetTypeIPv6:
		p.HasMAC = true
		p.DstMAC, p.SrcMAC = [6]byte(data[0:6]), [6]byte(data[6:12])
	}
	switch layers.EthernetType(binary.BigEndian.Uint16(data[12:14])) {
	case layers.EthernetTypeIPv4:
		if ok, err := d.plainIPv4(data[14:], p); ok {
			return true, err
		}
		if d.ip4.DecodeFromBytes(data[14:], &d.truncated) != nil || ipInIP(d.ip4.NextLayerType()) {
			return false, nil
		}
		p.truncated = bool(d.truncated)
		return true, d.fromIPv4(p, false)
	case layers.EthernetTypeIPv6:
		if d.ip6.DecodeFromBytes(data[14:], &d.truncated) != nil || ipInIP(d.ip6.NextLayerType()) {
			return false, nil
		}
		p.truncated = bool(d.truncated)
		return true, d.fromIPv6(p, false)
	}
	return false, nil
}

// plainIPv4 reads the commonest IPv4 packet by hand: no options, no
// length of 0 (TSO), all its bytes captured, carrying TCP or UDP. Against
// gopacket's decode it skips the options walk and the layer struct, and it
// reports false for anything else so that gopacket sees it. FuzzDecode
// holds it to the general path's results.
func (d *Decoder) plainIPv4(ip []byte, p *Packet) (bool, error) {
	if len(ip) < 20 || ip[0] != 0x45 {
		return false, nil
	}
	length := int(binary.BigEndian.Uint16(ip[2:4]))
	proto := ip[9]
	if length < 20 || length > len(ip) || proto != ProtoTCP && proto != ProtoUDP {
		return false, nil
	}
	p.IsIP = true
	p.Src.Set4(ip[12:16])
	p.Dst.Set4(ip[16:20])
	p.Proto = proto
	p.FragID = uint32(binary.BigEndian.Uint16(ip[4:6]))
	p.IPLen, p.ipCaptured = length, length
	ff := binary.BigEndian.Uint16(ip[6:8])
	if ipv4Frag(p, ff&0x1fff, ff&0x2000 != 0) {
		return true, nil
	}
	return true, d.transport(p, ip[20:length], length-20, false, false)
}

// ipv4Frag marks a fragment and reports a non-first one, which carries no
// transport header to read.
func ipv4Frag(p *Packet, offset uint16, more bool) (nonFirst bool) {
	switch {
	case offset != 0:
		p.Frag = FragNonFirst
		return true
	case more:
		p.Frag = FragFirst
	}
	return false
}

// ipInIP reports an IP header inside IP (IPIP, 6in4, 4in6, 6in6), which
// the general path's layer parser follows into the inner header.
func ipInIP(next gopacket.LayerType) bool {
	return next == layers.LayerTypeIPv4 || next == layers.LayerTypeIPv6
}

func (d *Decoder) fromIPv4(p *Packet, reference bool) error {
	ip := &d.ip4
	p.IsIP = true
	p.Src.Set4(ip.SrcIP)
	p.Dst.Set4(ip.DstIP)
	p.Proto = uint8(ip.Protocol)
	p.FragID = uint32(ip.Id)
	p.IPLen = int(ip.Length)
	p.ipCaptured = len(ip.Contents) + len(ip.Payload)
	if ipv4Frag(p, ip.FragOffset, ip.Flags&layers.IPv4MoreFragments != 0) {
		return nil
	}
	if layers.IPProtocol(p.Proto) == layers.IPProtocolIPv6 && !p.tunneled {
		// 6in4 (RFC 4213): judge the inner IPv6 packet, as Zeek does with
		// its tunnel decapsulation; one level deep.
		if err := d.ip6.DecodeFromBytes(ip.Payload, gopacket.NilDecodeFeedback); err == nil {
			p.tunneled = true
			return d.fromIPv6(p, reference)
		}
	}
	transportLen := int(ip.Length) - int(ip.IHL)*4
	return d.transport(p, ip.Payload, transportLen, false, reference)
}

func (d *Decoder) fromIPv6(p *Packet, reference bool) error {
	ip := &d.ip6
	p.IsIP = true
	p.Src = addrFrom16(ip.SrcIP)
	p.Dst = addrFrom16(ip.DstIP)
	p.IPLen = 40 + int(ip.Length)
	// gopacket keeps a hop-by-hop header out of both Contents and Payload.
	p.ipCaptured, p.v6 = len(ip.Contents)+len(ip.Payload), true
	if ip.HopByHop != nil {
		p.ipCaptured += ip.HopByHop.ActualLength
	}
	next := uint8(ip.NextHeader)
	if ip.HopByHop != nil {
		next = uint8(ip.HopByHop.NextHeader)
	}
	payload := ip.Payload
	declared := int(ip.Length)
	if ip.HopByHop != nil {
		declared -= ip.HopByHop.ActualLength
	}
	next, payload, skipped, frag, err := skipIPv6Extensions(next, payload)
	p.Proto = next
	if err != nil {
		p.truncated = true
		return nil
	}
	declared -= skipped
	if frag.present {
		p.FragID = frag.id
		switch {
		case frag.offset != 0:
			p.Frag = FragNonFirst
			return nil
		case frag.more:
			p.Frag = FragFirst
		}
	}
	return d.transport(p, payload, declared, true, reference)
}

type ipv6Frag struct {
	present bool
	more    bool
	offset  uint16
	id      uint32
}

var errExtTruncated = errors.New("IPv6 extension header truncated")

// IPv6 extension headers that gopacket's layers do not name.
const (
	ipv6Mobility = 135
	ipv6HIP      = 139
	ipv6Shim6    = 140
)

// skipIPv6Extensions walks the extension header chain (hop-by-hop, routing,
// fragment, destination options, AH, mobility) and returns the upper-layer
// protocol and its bytes. The fragment header's offset and id are kept.
func skipIPv6Extensions(next uint8, data []byte) (uint8, []byte, int, ipv6Frag, error) {
	var frag ipv6Frag
	skipped := 0
	for i := 0; i < 16; i++ { // a bound against crafted loops of headers
		var n int
		switch layers.IPProtocol(next) {
		case layers.IPProtocolIPv6HopByHop, layers.IPProtocolIPv6Routing, layers.IPProtocolIPv6Destination, ipv6Mobility, ipv6HIP, ipv6Shim6:
			if len(data) < 2 {
				return next, nil, skipped, frag, errExtTruncated
			}
			n = (int(data[1]) + 1) * 8
		case layers.IPProtocolIPv6Fragment:
			n = 8
			if len(data) < 8 {
				return next, nil, skipped, frag, errExtTruncated
			}
			fo := binary.BigEndian.Uint16(data[2:4])
			frag = ipv6Frag{present: true, offset: fo >> 3, more: fo&1 != 0, id: binary.BigEndian.Uint32(data[4:8])}
		case layers.IPProtocolAH:
			if len(data) < 2 {
				return next, nil, skipped, frag, errExtTruncated
			}
			n = (int(data[1]) + 2) * 4
		default:
			return next, data, skipped, frag, nil
		}
		if len(data) < n {
			return next, nil, skipped, frag, errExtTruncated
		}
		next = data[0]
		data = data[n:]
		skipped += n
		if frag.present && frag.offset != 0 {
			// The rest of a non-first fragment is not a header.
			return next, nil, skipped, frag, nil
		}
	}
	return next, data, skipped, frag, nil
}

// transport fills ports, flags and payload. declared is the transport
// length the IP header claims; the captured bytes may be fewer.
func (d *Decoder) transport(p *Packet, data []byte, declared int, v6, reference bool) error {
	p.Encap = ipEncap(p.Proto, data)
	switch p.Proto {
	case ProtoTCP:
		if len(data) < 20 && p.Frag == FragFirst && len(data) >= 4 {
			// A first fragment that splits the TCP header (evasion
			// tools cut it after 8 bytes): the ports are here, the
			// flags are not. The flow is keyed by its ports and
			// counted, not left at port 0.
			p.SplitHeader = true
			p.SrcPort, p.DstPort = binary.BigEndian.Uint16(data[0:2]), binary.BigEndian.Uint16(data[2:4])
			if len(data) >= 8 {
				p.Seq = binary.BigEndian.Uint32(data[4:8])
			}
			return nil
		}
		if len(data) < 20 || data[12]>>4 < 5 {
			p.truncated = true
			return nil
		}
		payload, ok := d.tcpPayload(data, reference)
		if !ok {
			// A snaplen that cuts the options still leaves ports and flags.
			p.truncated = true
			payload = nil
		}
		p.SrcPort, p.DstPort = binary.BigEndian.Uint16(data[0:2]), binary.BigEndian.Uint16(data[2:4])
		p.Seq, p.ack = binary.BigEndian.Uint32(data[4:8]), binary.BigEndian.Uint32(data[8:12])
		p.TCPFlags = data[13] & 0x3f
		p.Payload = payload
		p.PayloadLen = declared - int(data[12]>>4)*4
	case ProtoUDP:
		payload, ok := d.udpPayload(data, reference)
		if !ok {
			p.truncated = true
			return nil
		}
		p.SrcPort, p.DstPort = binary.BigEndian.Uint16(data[0:2]), binary.BigEndian.Uint16(data[2:4])
		p.Payload = payload
		p.PayloadLen = declared - 8
	case ProtoICMP, ProtoICMPv6:
		if len(data) < 4 {
			p.truncated = true
			return nil
		}
		p.ICMPType, p.ICMPCode = data[0], data[1]
		// ICMP flows are keyed by type and code, as Zeek does.
		p.SrcPort, p.DstPort = uint16(data[0]), uint16(data[1])
		unreach := (!v6 && data[0] == 3) || (v6 && data[0] == 1)
		if unreach && len(data) >= 8 {
			p.Unreach = parseQuoted(data[8:], v6, &p.Quoted)
		}
		if len(data) > 8 {
			p.Payload = data[8:]
		}
		p.PayloadLen = declared - 8
	}
	if p.PayloadLen < len(p.Payload) {
		// Trust the captured bytes over a lying length field.
		p.PayloadLen = len(p.Payload)
	}
	return nil
}

// tcpPayload returns a TCP segment's payload (the header is at least 20
// bytes with a data offset of at least 5) and whether the header is whole.
// The data offset alone places the payload: a malformed option ends the
// options, as it does in gopacket's TCP layer (the general path's decoder)
// and in Wireshark, rather than costing the flow its payload. The fast path
// skips gopacket's decoder, which fills a whole layer struct with write
// barriers for its slices (a fifth of the reading stage's time on the mix).
// FuzzDecode holds the two paths equal.
func (d *Decoder) tcpPayload(data []byte, reference bool) ([]byte, bool) {
	if reference {
		if d.tcp.DecodeFromBytes(data, gopacket.NilDecodeFeedback) != nil {
			return nil, false
		}
		return d.tcp.Payload, true
	}
	start := int(data[12]>>4) * 4
	if start > len(data) {
		return nil, false
	}
	return data[start:], true
}

// udpPayload returns a UDP datagram's payload, as gopacket's UDP layer
// does (on the general path, it is that layer): the length field bounds it
// when it is at least 8, zero (a jumbogram) means the rest of the packet.
func (d *Decoder) udpPayload(data []byte, reference bool) ([]byte, bool) {
	if reference {
		if d.udp.DecodeFromBytes(data, gopacket.NilDecodeFeedback) != nil {
			return nil, false
		}
		return d.udp.Payload, true
	}
	if len(data) < 8 {
		return nil, false
	}
	switch n := int(binary.BigEndian.Uint16(data[4:6])); {
	case n >= 8:
		return data[8:min(n, len(data))], true
	case n == 0:
		return data[8:], true
	}
	return nil, false
}

// parseQuoted reads the IP header and first 8 transport bytes that an
// ICMP error quotes from the packet it answers.
func parseQuoted(b []byte, v6 bool, t *Tuple) bool {
	var rest []byte
	if !v6 {
		if len(b) < 20 || b[0]>>4 != 4 {
			return false
		}
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 || len(b) < ihl {
			return false
		}
		t.Proto = b[9]
		t.Src.Set4(b[12:16])
		t.Dst.Set4(b[16:20])
		if binary.BigEndian.Uint16(b[6:8])&0x1fff != 0 {
			return true // a non-first fragment: no ports to read
		}
		rest = b[ihl:]
	} else {
		if len(b) < 40 || b[0]>>4 != 6 {
			return false
		}
		t.Src = addrFrom16(b[8:24])
		t.Dst = addrFrom16(b[24:40])
		next, payload, _, frag, err := skipIPv6Extensions(b[6], b[40:])
		t.Proto = next
		if err != nil || (frag.present && frag.offset != 0) {
			return err == nil
		}
		rest = payload
	}
	if (t.Proto == ProtoTCP || t.Proto == ProtoUDP) && len(rest) >= 4 {
		t.SrcPort = binary.BigEndian.Uint16(rest[0:2])
		t.DstPort = binary.BigEndian.Uint16(rest[2:4])
	}
	return true
}
