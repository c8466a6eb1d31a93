package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// build serialises layers with real checksums and lengths.
func build(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

var (
	macA = net.HardwareAddr{2, 0, 0, 0, 0, 1}
	macB = net.HardwareAddr{2, 0, 0, 0, 0, 2}
)

func ip4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

func ip6(src, dst string, next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
}

func tcpSYN(net gopacket.NetworkLayer, sport, dport uint16) *layers.TCP {
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), SYN: true, Seq: 1000, Window: 1024,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{5, 0xb4}}}}
	tcp.SetNetworkLayerForChecksum(net)
	return tcp
}

func tcpData(net gopacket.NetworkLayer, sport, dport uint16) *layers.TCP {
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), ACK: true, PSH: true, Seq: 1001, Ack: 5001, Window: 1024}
	tcp.SetNetworkLayerForChecksum(net)
	return tcp
}

func udp(net gopacket.NetworkLayer, sport, dport uint16) *layers.UDP {
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	u.SetNetworkLayerForChecksum(net)
	return u
}

func eth(t layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: t}
}

func sll2(proto uint16, rest []byte) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h, proto)
	binary.BigEndian.PutUint32(h[4:], 3)
	binary.BigEndian.PutUint16(h[8:], 1)
	h[11] = 6
	return append(h, rest...)
}

func sll1(proto uint16, rest []byte) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[2:], 1)
	binary.BigEndian.PutUint16(h[4:], 6)
	binary.BigEndian.PutUint16(h[14:], proto)
	return append(h, rest...)
}

func null(family uint32, rest []byte) []byte {
	h := make([]byte, 4)
	binary.LittleEndian.PutUint32(h, family)
	return append(h, rest...)
}

func addr(s string) Addr { return AddrFromNetip(netip.MustParseAddr(s)) }

func TestDecodeLinkTypes(t *testing.T) {
	v4 := ip4("192.0.2.10", "192.0.2.20", layers.IPProtocolTCP)
	v4tcp := build(t, v4, tcpSYN(v4, 49999, 389))
	v6 := ip6("2001:db8::10", "2001:db8::20", layers.IPProtocolUDP)
	v6udp := build(t, v6, udp(v6, 50000, 10000), gopacket.Payload("<134>Mar  2 09:00:00 fs01 x: y"))

	cases := []struct {
		name  string
		link  LinkType
		data  []byte
		src   string
		dst   string
		proto uint8
		sport uint16
		dport uint16
		vlans uint8
	}{
		{"ethernet", LinkEthernet, build(t, eth(layers.EthernetTypeIPv4), v4, tcpSYN(v4, 49999, 389)), "192.0.2.10", "192.0.2.20", ProtoTCP, 49999, 389, 0},
		{"802.1Q", LinkEthernet, build(t, eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 50, Type: layers.EthernetTypeIPv4}, v4, tcpSYN(v4, 49999, 389)), "192.0.2.10", "192.0.2.20", ProtoTCP, 49999, 389, 1},
		{"QinQ", LinkEthernet, build(t, eth(layers.EthernetTypeQinQ), &layers.Dot1Q{VLANIdentifier: 300, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 50, Type: layers.EthernetTypeIPv4}, v4, tcpSYN(v4, 49999, 389)), "192.0.2.10", "192.0.2.20", ProtoTCP, 49999, 389, 2},
		{"SLL", LinkSLL, sll1(0x0800, v4tcp), "192.0.2.10", "192.0.2.20", ProtoTCP, 49999, 389, 0},
		{"SLL2", LinkSLL2, sll2(0x86dd, v6udp), "2001:db8::10", "2001:db8::20", ProtoUDP, 50000, 10000, 0},
		{"NULL v4", LinkNull, null(2, v4tcp), "192.0.2.10", "192.0.2.20", ProtoTCP, 49999, 389, 0},
		{"NULL v6 (darwin)", LinkNull, null(30, v6udp), "2001:db8::10", "2001:db8::20", ProtoUDP, 50000, 10000, 0},
		{"raw v4", linkRaw, v4tcp, "192.0.2.10", "192.0.2.20", ProtoTCP, 49999, 389, 0},
		{"raw v6", linkIPv6, v6udp, "2001:db8::10", "2001:db8::20", ProtoUDP, 50000, 10000, 0},
	}
	d := NewDecoder()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p Packet
			if err := d.Decode(c.link, c.data, &p); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !p.IsIP || p.Src != addr(c.src) || p.Dst != addr(c.dst) || p.Proto != c.proto || p.SrcPort != c.sport || p.DstPort != c.dport {
				t.Fatalf("got %s:%d -> %s:%d proto %d ip=%v", p.Src, p.SrcPort, p.Dst, p.DstPort, p.Proto, p.IsIP)
			}
			if p.vlans != c.vlans {
				t.Errorf("vlans = %d, want %d", p.vlans, c.vlans)
			}
			if c.proto == ProtoTCP && p.TCPFlags != FlagSYN {
				t.Errorf("flags = %#x, want SYN", p.TCPFlags)
			}
			if c.proto == ProtoUDP && string(p.Payload[:4]) != "<134" {
				t.Errorf("payload = %q", p.Payload)
			}
		})
	}
}

func TestDecodeIPv6ExtensionHeaders(t *testing.T) {
	// IPv6 -> hop-by-hop -> destination options -> TCP
	v6 := ip6("2001:db8::10", "2001:db8::20", layers.IPProtocolIPv6HopByHop)
	inner := ip6("2001:db8::10", "2001:db8::20", layers.IPProtocolTCP)
	tcpb := build(t, tcpSYN(inner, 49200, 9389))
	hbh := []byte{60, 0, 1, 4, 0, 0, 0, 0} // next: dest opts, len 0, PadN
	dst := []byte{6, 0, 1, 4, 0, 0, 0, 0}  // next: TCP
	payload := append(append(hbh, dst...), tcpb...)
	data := build(t, v6, gopacket.Payload(payload))
	var p Packet
	if err := NewDecoder().Decode(linkRaw, data, &p); err != nil {
		t.Fatal(err)
	}
	if p.Proto != ProtoTCP || p.DstPort != 9389 || p.TCPFlags != FlagSYN {
		t.Fatalf("proto %d port %d flags %#x", p.Proto, p.DstPort, p.TCPFlags)
	}
}

func TestDecodeFragments(t *testing.T) {
	d := NewDecoder()
	first := ip4("192.0.2.31", "192.0.2.10", layers.IPProtocolUDP)
	first.Flags, first.Id = layers.IPv4MoreFragments, 77
	data := build(t, first, udp(first, 50001, 10000), gopacket.Payload(make([]byte, 64)))
	var p Packet
	if err := d.Decode(linkRaw, data, &p); err != nil {
		t.Fatal(err)
	}
	if p.Frag != FragFirst || p.DstPort != 10000 || p.FragID != 77 {
		t.Fatalf("first fragment: frag=%d port=%d id=%d", p.Frag, p.DstPort, p.FragID)
	}
	later := ip4("192.0.2.31", "192.0.2.10", layers.IPProtocolUDP)
	later.FragOffset, later.Id = 9, 77
	data = build(t, later, gopacket.Payload(make([]byte, 40)))
	if err := d.Decode(linkRaw, data, &p); err != nil {
		t.Fatal(err)
	}
	if p.Frag != FragNonFirst || p.SrcPort != 0 || p.FragID != 77 {
		t.Fatalf("later fragment: frag=%d port=%d", p.Frag, p.SrcPort)
	}
	// IPv6 fragment header, non-first
	v6 := ip6("2001:db8::31", "2001:db8::10", layers.IPProtocolIPv6Fragment)
	fh := []byte{17, 0, 0, 8 << 3 >> 0, 0, 0, 0, 9} // offset 1 (8 bytes), id 9
	fh[2], fh[3] = 0, 8
	data = build(t, v6, gopacket.Payload(append(fh, make([]byte, 16)...)))
	if err := d.Decode(linkRaw, data, &p); err != nil {
		t.Fatal(err)
	}
	if p.Frag != FragNonFirst || p.FragID != 9 || p.Proto != ProtoUDP {
		t.Fatalf("v6 fragment: frag=%d id=%d proto=%d", p.Frag, p.FragID, p.Proto)
	}
}

func TestDecodeICMPUnreachableQuotesTuple(t *testing.T) {
	orig := ip4("192.0.2.10", "192.0.2.20", layers.IPProtocolTCP)
	quoted := build(t, orig, tcpSYN(orig, 49999, 9389))[:28]
	outer := ip4("192.0.2.1", "192.0.2.10", layers.IPProtocolICMPv4)
	data := build(t, eth(layers.EthernetTypeIPv4), outer, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 13)}, gopacket.Payload(quoted))
	var p Packet
	if err := NewDecoder().Decode(LinkEthernet, data, &p); err != nil {
		t.Fatal(err)
	}
	q := p.Quoted
	if !p.Unreach || p.ICMPCode != 13 || q.Proto != ProtoTCP || q.Src != addr("192.0.2.10") || q.Dst != addr("192.0.2.20") || q.SrcPort != 49999 || q.DstPort != 9389 {
		t.Fatalf("unreach=%v code=%d quoted=%+v", p.Unreach, p.ICMPCode, q)
	}

	orig6 := ip6("2001:db8::10", "2001:db8::20", layers.IPProtocolUDP)
	quoted6 := build(t, orig6, udp(orig6, 50000, 10000), gopacket.Payload("x"))[:48]
	outer6 := ip6("2001:db8::1", "2001:db8::10", layers.IPProtocolICMPv6)
	icmp6 := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(1, 4)}
	icmp6.SetNetworkLayerForChecksum(outer6)
	data = build(t, outer6, icmp6, gopacket.Payload(append([]byte{0, 0, 0, 0}, quoted6...)))
	if err := NewDecoder().Decode(linkRaw, data, &p); err != nil {
		t.Fatal(err)
	}
	if !p.Unreach || p.ICMPCode != 4 || p.Quoted.DstPort != 10000 || p.Quoted.Proto != ProtoUDP {
		t.Fatalf("v6: unreach=%v code=%d quoted=%+v", p.Unreach, p.ICMPCode, p.Quoted)
	}
}

func TestDecodeTruncatedTCPOptionsKeepsPorts(t *testing.T) {
	v4 := ip4("192.0.2.10", "192.0.2.20", layers.IPProtocolTCP)
	full := build(t, eth(layers.EthernetTypeIPv4), v4, tcpSYN(v4, 49999, 25))
	cut := full[:14+20+22] // inside the MSS option
	var p Packet
	if err := NewDecoder().Decode(LinkEthernet, cut, &p); err != nil {
		t.Fatal(err)
	}
	if !p.truncated || p.DstPort != 25 || p.TCPFlags != FlagSYN {
		t.Fatalf("truncated=%v port=%d flags=%#x", p.truncated, p.DstPort, p.TCPFlags)
	}
}

func TestDecodeNotIPAndUnknownLink(t *testing.T) {
	arp := build(t, eth(layers.EthernetTypeARP), &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: 1, SourceHwAddress: macA, SourceProtAddress: []byte{192, 0, 2, 1},
		DstHwAddress: macB, DstProtAddress: []byte{192, 0, 2, 2}})
	var p Packet
	if err := NewDecoder().Decode(LinkEthernet, arp, &p); err != ErrNotIP {
		t.Fatalf("ARP: err = %v, want ErrNotIP", err)
	}
	if err := NewDecoder().Decode(147, arp, &p); err != errUnsupportedLink {
		t.Fatalf("link 147: err = %v", err)
	}
}

func TestDecodeDoesNotAllocate(t *testing.T) {
	v4 := ip4("192.0.2.10", "192.0.2.20", layers.IPProtocolTCP)
	data := build(t, eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 5, Type: layers.EthernetTypeIPv4}, v4, tcpData(v4, 49999, 389), gopacket.Payload("0123456789"))
	v6 := ip6("2001:db8::10", "2001:db8::20", layers.IPProtocolUDP)
	data6 := sll2(0x86dd, build(t, v6, udp(v6, 50000, 10000), gopacket.Payload("<13>x")))
	plain := build(t, eth(layers.EthernetTypeIPv4), v4, tcpData(v4, 49999, 389), gopacket.Payload("0123456789"))
	d := NewDecoder()
	var p Packet
	allocs := testing.AllocsPerRun(1000, func() {
		_ = d.Decode(LinkEthernet, data, &p)
		_ = d.Decode(LinkSLL2, data6, &p)
		_ = d.Decode(LinkEthernet, plain, &p)
	})
	if allocs != 0 {
		t.Fatalf("Decode allocates %.1f times per packet pair", allocs)
	}
}

// TestFastPathMatchesGeneral decodes every frame of every capture in
// testdata twice, through the Ethernet fast path and through the layer
// parser alone, and wants the same summary from both.
func TestFastPathMatchesGeneral(t *testing.T) {
	var paths []string
	for _, glob := range []string{"../testdata/*/*.pcap", "../testdata/*/*.pcapng", "../testdata/*/*.pcap.gz"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	if len(paths) < 20 {
		t.Fatalf("only %d captures found under testdata", len(paths))
	}
	fast, general := NewDecoder(), NewDecoder()
	frames := 0
	for _, path := range paths {
		if st, err := os.Stat(path); err != nil || st.Size() > 64<<20 {
			continue
		}
		src, err := OpenFile(path)
		if err != nil {
			continue // damaged on purpose; the reader tests cover those
		}
		for {
			data, _, _, lt, err := src.Next()
			if err != nil {
				break
			}
			var p, q Packet
			err1 := fast.Decode(lt, data, &p)
			err2 := general.decode(lt, data, &q, true)
			if fmt.Sprint(err1) != fmt.Sprint(err2) || !reflect.DeepEqual(p, q) {
				t.Fatalf("%s frame %d: fast %+v (%v), general %+v (%v)", path, frames, p, err1, q, err2)
			}
			frames++
		}
		src.Close()
	}
	if frames < 1000 {
		t.Fatalf("compared only %d frames", frames)
	}
	t.Logf("%d frames from %d captures agree", frames, len(paths))
}

func FuzzDecode(f *testing.F) {
	v4 := ip4("192.0.2.10", "192.0.2.20", layers.IPProtocolTCP)
	f.Add(uint32(LinkEthernet), build(f, eth(layers.EthernetTypeIPv4), v4, tcpSYN(v4, 1, 2)))
	f.Add(uint32(LinkSLL2), sll2(0x0800, build(f, v4, tcpSYN(v4, 1, 2))))
	f.Add(uint32(LinkSLL), sll1(0x0800, build(f, v4, tcpSYN(v4, 1, 2))))
	f.Add(uint32(LinkNull), null(2, build(f, v4, tcpSYN(v4, 1, 2))))
	f.Add(uint32(linkRaw), []byte{0x60, 0, 0, 0, 0, 8, 44, 64})
	f.Add(uint32(linkRaw), []byte{0x45, 0, 0, 20, 0, 0, 0x20, 0, 64, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add(uint32(LinkEthernet), build(f, eth(layers.EthernetTypeIPv4), v4, udp(v4, 1, 2)))
	f.Add(uint32(LinkEthernet), mplsFrame(f))
	f.Fuzz(func(t *testing.T, link uint32, data []byte) {
		var p Packet
		d := NewDecoder()
		err := d.Decode(LinkType(link%300), data, &p)
		if len(p.Payload) > len(data) {
			t.Fatalf("payload longer than the frame")
		}
		// The Ethernet fast path must agree with the general one on any bytes.
		var q Packet
		general := NewDecoder()
		gerr := general.decode(LinkType(link%300), data, &q, true)
		if fmt.Sprint(err) != fmt.Sprint(gerr) || !reflect.DeepEqual(p, q) {
			t.Fatalf("fast path %+v (%v), general path %+v (%v)", p, err, q, gerr)
		}
	})
}

func TestAddrFrom4IsV4Mapped(t *testing.T) {
	for _, s := range []string{"0.0.0.0", "10.20.0.10", "192.0.2.255", "255.255.255.255", "1.2.3.4"} {
		want := netip.MustParseAddr(s)
		b := want.As4()
		got := AddrFrom4(b[:])
		if got != Addr(netip.AddrFrom4(b).As16()) { // As16 is the ::ffff: form
			t.Errorf("%s: got % x", s, got[:])
		}
		if got.Netip() != want || !got.Is4() {
			t.Errorf("%s: Netip() = %v, Is4 = %v", s, got.Netip(), got.Is4())
		}
		var p Packet
		p.Dst = Addr{0xde, 0xad} // set4 must overwrite every byte
		p.Dst.Set4(b[:])
		if p.Dst != got {
			t.Errorf("%s: set4 in place = % x, want % x", s, p.Dst[:], got[:])
		}
	}
}

// Netip reads the address in words; netip's own unmapping is the reference,
// on IPv6 addresses that are one byte away from the v4-mapped prefix too.
func TestNetipMatchesUnmap(t *testing.T) {
	addrs := []string{"::", "::1", "::ffff:0.0.0.0", "::ffff:10.20.0.10", "2001:db8::ffff:10.20.0.10",
		"fe80::1", "64:ff9b::10.20.0.10", "::fffe:10.20.0.10", "::ffff:ffff:ffff"}
	for i := 0; i < 12; i++ { // ::ffff:a.b.c.d with one prefix byte changed
		a := netip.MustParseAddr("::ffff:10.20.0.10").As16()
		a[i] ^= 0x40
		addrs = append(addrs, netip.AddrFrom16(a).String())
	}
	for _, s := range addrs {
		want := netip.MustParseAddr(s)
		a := Addr(want.As16())
		if got := a.Netip(); got != want.Unmap() {
			t.Errorf("%s: Netip() = %v, want %v", s, got, want.Unmap())
		}
		if a.Is4() != want.Unmap().Is4() {
			t.Errorf("%s: Is4() = %v", s, a.Is4())
		}
	}
}

// The fast path reads TCP and UDP headers by hand; gopacket's layers on the
// general path are the reference, options and broken lengths included (a
// malformed option ends the options; the data offset still places the payload).
func TestTransportHeadersMatchGopacket(t *testing.T) {
	tcp := func(offset byte, opts ...byte) []byte {
		h := []byte{0x04, 0xd2, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 2, offset << 4, 0x18, 4, 0, 0, 0, 0, 0}
		return append(h, opts...)
	}
	udpRaw := func(length uint16, rest ...byte) []byte {
		h := []byte{0x04, 0xd2, 0x00, 0x35, byte(length >> 8), byte(length), 0, 0}
		return append(h, rest...)
	}
	body := []byte("GET / HTTP/1.1\r\n")
	cases := []struct {
		name      string
		proto     layers.IPProtocol
		segment   []byte
		truncated bool
		payload   int
	}{
		{"tcp no options", layers.IPProtocolTCP, append(tcp(5), body...), false, len(body)},
		{"tcp mss nop ws sack ts", layers.IPProtocolTCP, append(tcp(10, 2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0), body...), false, len(body)},
		{"tcp end of options then padding", layers.IPProtocolTCP, append(tcp(7, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), body...), false, len(body)},
		{"tcp option length 1", layers.IPProtocolTCP, append(tcp(6, 2, 1, 0, 0), body...), false, len(body)},
		{"tcp option longer than the options", layers.IPProtocolTCP, append(tcp(6, 8, 10, 0, 0), body...), false, len(body)},
		{"tcp option kind without length", layers.IPProtocolTCP, append(tcp(6, 1, 1, 1, 8), body...), false, len(body)},
		{"tcp data offset past the end", layers.IPProtocolTCP, tcp(15, 1, 1, 1, 1), true, 0},
		{"tcp data offset below 5", layers.IPProtocolTCP, append(tcp(4), body...), true, 0},
		{"tcp header cut", layers.IPProtocolTCP, tcp(5)[:15], true, 0},
		{"udp", layers.IPProtocolUDP, udpRaw(8+uint16(len(body)), body...), false, len(body)},
		{"udp length short of the data", layers.IPProtocolUDP, udpRaw(12, body...), false, 4},
		{"udp length past the data", layers.IPProtocolUDP, udpRaw(200, body...), false, len(body)},
		{"udp jumbogram length 0", layers.IPProtocolUDP, udpRaw(0, body...), false, len(body)},
		{"udp length below 8", layers.IPProtocolUDP, udpRaw(5, body...), true, 0},
		{"udp header cut", layers.IPProtocolUDP, udpRaw(8)[:6], true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			frame := build(t, eth(layers.EthernetTypeIPv4), ip4("192.0.2.10", "192.0.2.20", c.proto), gopacket.Payload(c.segment))
			fast, general := NewDecoder(), NewDecoder()
			var p, q Packet
			if err := fast.Decode(LinkEthernet, frame, &p); err != nil {
				t.Fatal(err)
			}
			if err := general.decode(LinkEthernet, frame, &q, true); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, q) {
				t.Fatalf("fast %+v\ngeneral %+v", p, q)
			}
			if p.truncated != c.truncated || len(p.Payload) != c.payload {
				t.Errorf("truncated %v, payload %d bytes; want %v, %d", p.truncated, len(p.Payload), c.truncated, c.payload)
			}
			if !c.truncated && (p.SrcPort != 1234 || p.DstPort != 443 && p.DstPort != 53) {
				t.Errorf("ports %d > %d", p.SrcPort, p.DstPort)
			}
		})
	}
}

func TestNFLOGPayload(t *testing.T) {
	tlv := func(bo binary.AppendByteOrder, typ uint16, v []byte) []byte {
		b := bo.AppendUint16(nil, uint16(4+len(v)))
		b = bo.AppendUint16(b, typ)
		b = append(b, v...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	ip := []byte{0x45, 0, 0, 20, 1, 2, 3, 4, 5, 6}
	rec := func(tlvs ...[]byte) []byte {
		b := []byte{2, 0, 0, 5} // AF_INET, version 0, group 5
		for _, x := range tlvs {
			b = append(b, x...)
		}
		return b
	}
	le, be := binary.LittleEndian, binary.BigEndian
	for _, c := range []struct {
		name string
		data []byte
		want []byte
		ok   bool
	}{
		{"little-endian, prefix then payload", rec(tlv(le, 10, []byte("log\x00")), tlv(le, 9, ip)), ip, true},
		{"big-endian writer", rec(tlv(be, 1, []byte{8, 0, 0, 0}), tlv(be, 9, ip)), ip, true},
		{"payload cut by the snap length", rec(tlv(le, 9, ip))[:4+4+6], ip[:6], true},
		{"no payload TLV", rec(tlv(le, 10, []byte("log\x00"))), nil, false},
		{"a TLV shorter than its header", append(rec(), 2, 0, 9, 0), nil, false},
		{"header only", []byte{2, 0, 0, 5}, nil, false},
		{"too short", []byte{2, 0}, nil, false},
	} {
		got, ok := nflogPayload(c.data)
		if ok != c.ok || !bytes.Equal(got, c.want) {
			t.Errorf("%s: %x %v, want %x %v", c.name, got, ok, c.want, c.ok)
		}
	}
}
