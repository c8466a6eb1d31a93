// Captures written byte by byte, for the corpora: what the Capture
// writer never produces (records rewritten after the fact, pcapng
// options and statistics blocks, frames in tunnels).

package synth

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"net"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TunnelFrames: a SYN to a DC's LDAP inside encapsulations flowverify does
// not open: three pre-standard QinQ (0x9100), two GRE, one ERSPAN, one VXLAN.
func TunnelFrames() []byte {
	mac := func(b byte) net.HardwareAddr { return net.HardwareAddr{2, 0, 0, 0, 0, b} }
	inner := func() []gopacket.SerializableLayer {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IP{10, 20, 0, 10}, DstIP: net.IP{10, 20, 0, 21}}
		tcp := &layers.TCP{SrcPort: 50000, DstPort: 389, SYN: true, Window: 1024}
		tcp.SetNetworkLayerForChecksum(ip)
		return []gopacket.SerializableLayer{ip, tcp}
	}
	outer := func(proto layers.IPProtocol) *layers.IPv4 {
		return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: net.IP{192, 0, 2, 1}, DstIP: net.IP{192, 0, 2, 2}}
	}
	eth := func(typ layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: mac(1), DstMAC: mac(2), EthernetType: typ}
	}
	var frames [][]gopacket.SerializableLayer
	for i := 0; i < 3; i++ {
		frames = append(frames, append([]gopacket.SerializableLayer{eth(0x9100), &layers.Dot1Q{VLANIdentifier: 120, Type: layers.EthernetTypeIPv4}}, inner()...))
	}
	for i := 0; i < 2; i++ {
		frames = append(frames, append([]gopacket.SerializableLayer{eth(layers.EthernetTypeIPv4), outer(layers.IPProtocolGRE), &layers.GRE{Protocol: layers.EthernetTypeIPv4}}, inner()...))
	}
	frames = append(frames, append([]gopacket.SerializableLayer{eth(layers.EthernetTypeIPv4), outer(layers.IPProtocolGRE), &layers.GRE{Protocol: 0x88be},
		&layers.Ethernet{SrcMAC: mac(3), DstMAC: mac(4), EthernetType: layers.EthernetTypeIPv4}}, inner()...))
	udp := &layers.UDP{SrcPort: 40000, DstPort: 4789}
	o := outer(layers.IPProtocolUDP)
	udp.SetNetworkLayerForChecksum(o)
	frames = append(frames, append([]gopacket.SerializableLayer{eth(layers.EthernetTypeIPv4), o, udp, &layers.VXLAN{ValidIDFlag: true, VNI: 42},
		&layers.Ethernet{SrcMAC: mac(3), DstMAC: mac(4), EthernetType: layers.EthernetTypeIPv4}}, inner()...))
	var b bytes.Buffer
	b.Write(pcapFileHeader(1))
	for i, ls := range frames {
		buf := gopacket.NewSerializeBuffer()
		gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...)
		b.Write(pcapRecord(Start().Add(time.Duration(i)*time.Millisecond), buf.Bytes(), len(buf.Bytes())))
	}
	return b.Bytes()
}

func pcapFileHeader(link uint32) []byte {
	h := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
	h = binary.LittleEndian.AppendUint16(h, 2)
	h = binary.LittleEndian.AppendUint16(h, 4)
	h = append(h, make([]byte, 8)...)
	h = binary.LittleEndian.AppendUint32(h, 65535)
	return binary.LittleEndian.AppendUint32(h, link)
}

func pcapRecord(ts time.Time, data []byte, orig int) []byte {
	r := binary.LittleEndian.AppendUint32(nil, uint32(ts.Unix()))
	r = binary.LittleEndian.AppendUint32(r, uint32(ts.Nanosecond()/1000))
	r = binary.LittleEndian.AppendUint32(r, uint32(len(data)))
	r = binary.LittleEndian.AppendUint32(r, uint32(orig))
	return append(r, data...)
}

// pcapRecords splits a little-endian microsecond pcap into its records.
func pcapRecords(p []byte) [][]byte {
	var out [][]byte
	for off := 24; off+16 <= len(p); {
		n := int(binary.LittleEndian.Uint32(p[off+8:]))
		out = append(out, p[off:off+16+n])
		off += 16 + n
	}
	return out
}

func recordCount(p []byte) int { return len(pcapRecords(p)) }

func windowStart(p []byte) string {
	r := pcapRecords(p)[0]
	return time.Unix(int64(binary.LittleEndian.Uint32(r)), int64(binary.LittleEndian.Uint32(r[4:]))*1000).UTC().Format(time.RFC3339Nano)
}

// pcapWithRecordTime rewrites record k: its time set to sec (unless
// negative), or its captured length made longer than its original one.
func pcapWithRecordTime(p []byte, k int, sec int64, shortOrig bool) []byte {
	out := append([]byte(nil), p[:24]...)
	for i, r := range pcapRecords(p) {
		r = append([]byte(nil), r...)
		if i == k {
			if sec >= 0 {
				binary.LittleEndian.PutUint32(r, uint32(sec))
				binary.LittleEndian.PutUint32(r[4:], 0)
			}
			if shortOrig {
				// Ten bytes of padding counted in the captured length
				// only: the frame itself is the original length.
				r = append(r, make([]byte, 10)...)
				binary.LittleEndian.PutUint32(r[8:], binary.LittleEndian.Uint32(r[8:])+10)
			}
		}
		out = append(out, r...)
	}
	return out
}

func gzipNamed(p []byte, name string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Name = name
	zw.Write(p)
	zw.Close()
	return b.Bytes()
}

// NGBlock builds one little-endian pcapng block.
func NGBlock(typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b := binary.LittleEndian.AppendUint32(nil, typ)
	b = binary.LittleEndian.AppendUint32(b, n)
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, n)
}

func ngSection() []byte {
	shb := binary.LittleEndian.AppendUint32(nil, 0x1a2b3c4d)
	shb = binary.LittleEndian.AppendUint16(shb, 1)
	shb = binary.LittleEndian.AppendUint16(shb, 0)
	shb = binary.LittleEndian.AppendUint64(shb, ^uint64(0))
	return NGBlock(0x0a0d0d0a, shb)
}

func ngInterface(opts []byte) []byte {
	idb := binary.LittleEndian.AppendUint16(nil, 1) // Ethernet
	idb = binary.LittleEndian.AppendUint16(idb, 0)
	idb = binary.LittleEndian.AppendUint32(idb, 65535)
	return NGBlock(1, append(idb, opts...))
}

// ngPacket is an enhanced packet block on interface 0, in microseconds.
func ngPacket(ts time.Time, data []byte) []byte {
	us := uint64(ts.UnixMicro())
	epb := binary.LittleEndian.AppendUint32(nil, 0)
	epb = binary.LittleEndian.AppendUint32(epb, uint32(us>>32))
	epb = binary.LittleEndian.AppendUint32(epb, uint32(us))
	epb = binary.LittleEndian.AppendUint32(epb, uint32(len(data)))
	epb = binary.LittleEndian.AppendUint32(epb, uint32(len(data)))
	return NGBlock(6, append(epb, data...))
}

// syslogFrame is one syslog datagram from an agent to the server.
func syslogFrame() []byte {
	c := New(3)
	n := DefaultNet()
	c.UDP(Start(), EP(n.amAgents[0], 51000), EP(n.Server, 10000), []Message{{FromClient: true, Data: []byte("<13>1 - host app - - - event")}}, 0)
	return pcapRecords(capBytes(c))[0][16:]
}

// ngWithTSOffset: two packets a second apart on an interface whose
// if_tsoffset is offset seconds.
func ngWithTSOffset(offset int64) []byte {
	opt := binary.LittleEndian.AppendUint16(nil, 14)
	opt = binary.LittleEndian.AppendUint16(opt, 8)
	opt = binary.LittleEndian.AppendUint64(opt, uint64(offset))
	opt = append(opt, 0, 0, 0, 0)
	out := append(ngSection(), ngInterface(opt)...)
	f := syslogFrame()
	out = append(out, ngPacket(Start(), f)...)
	return append(out, ngPacket(Start().Add(time.Second), f)...)
}

// ngWithDrops: a packet, then statistics blocks saying 10, 20, 30 drops.
func ngWithDrops(drops ...uint64) []byte {
	out := append(ngSection(), ngInterface(nil)...)
	out = append(out, ngPacket(Start(), syslogFrame())...)
	for i, d := range drops {
		us := uint64(Start().Add(time.Duration(i+1) * time.Second).UnixMicro())
		body := binary.LittleEndian.AppendUint32(nil, 0)
		body = binary.LittleEndian.AppendUint32(body, uint32(us>>32))
		body = binary.LittleEndian.AppendUint32(body, uint32(us))
		body = binary.LittleEndian.AppendUint16(body, 5) // isb_ifdrop
		body = binary.LittleEndian.AppendUint16(body, 8)
		body = binary.LittleEndian.AppendUint64(body, d)
		body = append(body, 0, 0, 0, 0)
		out = append(out, NGBlock(5, body)...)
	}
	return out
}

func ngManyInterfaces(n int) []byte {
	out := ngSection()
	idb := ngInterface(nil)
	for i := 0; i < n; i++ {
		out = append(out, idb...)
	}
	return append(out, ngPacket(Start(), syslogFrame())...)
}
