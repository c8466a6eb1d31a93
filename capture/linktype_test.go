package capture_test

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/internal/testcaps"
)

// serialize builds a frame from its layers, lengths and checksums filled in.
func serialize(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ipUDP is an IPv4 datagram to 192.0.2.10:10000 (syslog to the server).
func ipUDP(t *testing.T) []gopacket.SerializableLayer {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IPv4(192, 0, 2, 20).To4(), DstIP: net.IPv4(192, 0, 2, 10).To4()}
	udp := &layers.UDP{SrcPort: 514, DstPort: 10000}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return []gopacket.SerializableLayer{ip, udp, gopacket.Payload("<13>Oct 11 22:14:15 fs1 audit: read")}
}

// wifiFrame is an 802.11 data frame from a station to its access point,
// the same datagram inside LLC/SNAP, as a Wi-Fi adapter in monitor mode
// hands it over (LINKTYPE_IEEE802_11, no FCS).
func wifiFrame(t *testing.T) []byte {
	bssid := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	sta := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02}
	gw := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x03}
	dot11 := &layers.Dot11{Type: layers.Dot11TypeData, Flags: layers.Dot11FlagsToDS, DurationID: 44,
		Address1: bssid, Address2: sta, Address3: gw, SequenceNumber: 7}
	llc := &layers.LLC{DSAP: 0xaa, SSAP: 0xaa, Control: 3}
	snap := &layers.SNAP{OrganizationalCode: []byte{0, 0, 0}, Type: layers.EthernetTypeIPv4}
	return serialize(t, append([]gopacket.SerializableLayer{dot11, llc, snap}, ipUDP(t)...)...)
}

// radiotapFrame is wifiFrame behind a minimal radiotap header (version
// 0, length 8, no fields present): LINKTYPE_IEEE802_11_RADIO.
func radiotapFrame(t *testing.T) []byte {
	return append([]byte{0, 0, 8, 0, 0, 0, 0, 0}, wifiFrame(t)...)
}

// ethFrame is the datagram over Ethernet.
func ethFrame(t *testing.T) []byte {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02}, DstMAC: net.HardwareAddr{0x02, 0, 0, 0, 0, 0x03},
		EthernetType: layers.EthernetTypeIPv4}
	return serialize(t, append([]gopacket.SerializableLayer{eth}, ipUDP(t)...)...)
}

// frame is one record to write: its bytes, the interface (pcapng) and
// the original length (0: the frame's own).
type frame struct {
	data  []byte
	iface int
	wire  int
}

func (f frame) info(i int) gopacket.CaptureInfo {
	wire := f.wire
	if wire == 0 {
		wire = len(f.data)
	}
	return gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, int64(i)*1e6), CaptureLength: len(f.data), Length: wire, InterfaceIndex: f.iface}
}

// pcapOf writes frames as a classic pcap of link type lt.
func pcapOf(t *testing.T, lt layers.LinkType, frames ...frame) []byte {
	t.Helper()
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(65535, lt); err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := w.WritePacket(f.info(i), f.data); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// pcapngOf writes frames as a pcapng with one interface per link type.
func pcapngOf(t *testing.T, lts []layers.LinkType, frames ...frame) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&b, pcapgo.NgInterface{Name: "if0", LinkType: lts[0], SnapLength: 65535}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	for i, lt := range lts[1:] {
		if _, err := w.AddInterface(pcapgo.NgInterface{Name: "if" + string(rune('1'+i)), LinkType: lt, SnapLength: 65535}); err != nil {
			t.Fatal(err)
		}
	}
	for i, f := range frames {
		if err := w.WritePacket(f.info(i), f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func repeat(f frame, n int) []frame {
	out := make([]frame, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// readMerged reads one capture through the merger as an analysis does and
// returns its IP packets and its statistics, warnings finished.
func readMerged(t *testing.T, name string, data []byte) ([]capture.Packet, *capture.InputStats) {
	t.Helper()
	src, err := capture.NewSource(name, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	pkts, stats := testcaps.Read(t, src)
	var ip []capture.Packet
	for _, p := range pkts {
		if p.IsIP {
			ip = append(ip, p)
		}
	}
	stats[0].Finish()
	return ip, stats[0]
}

// TestUnreadLinkTypes: every frame of a link type the decoder does not
// read is counted by link type and named in a warning; in a pcapng, the
// interfaces that can be read still are.
func TestUnreadLinkTypes(t *testing.T) {
	eth, wifi, radio := frame{data: ethFrame(t)}, frame{data: wifiFrame(t)}, frame{data: radiotapFrame(t)}
	wifi1 := frame{data: wifi.data, iface: 1}
	cases := []struct {
		name     string
		data     []byte
		packets  uint64
		ip       int
		links    string
		unread   map[capture.LinkType]uint64
		warnings []string
	}{
		{"802.11", pcapOf(t, layers.LinkTypeIEEE802_11, repeat(wifi, 3)...), 3, 0, "IEEE802_11",
			map[capture.LinkType]uint64{105: 3}, []string{"3 frames of link type IEEE802_11 (105) not read"}},
		{"radiotap, one frame", pcapOf(t, layers.LinkTypeIEEE80211Radio, radio), 1, 0, "IEEE802_11_RADIO",
			map[capture.LinkType]uint64{127: 1}, []string{"1 frame of link type IEEE802_11_RADIO (127) not read"}},
		{"a number with no name", pcapOf(t, layers.LinkType(300), eth, eth), 2, 0, "LINKTYPE_300",
			map[capture.LinkType]uint64{300: 2}, []string{"2 frames of link type 300 not read"}},
		{"ethernet, all read", pcapOf(t, layers.LinkTypeEthernet, eth, eth), 2, 2, "EN10MB", nil, nil},
		{"pcapng: ethernet read, 802.11 not", pcapngOf(t, []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeIEEE802_11},
			eth, wifi1, eth, wifi1, wifi1), 5, 2, "EN10MB+IEEE802_11",
			map[capture.LinkType]uint64{105: 3}, []string{"3 frames of link type IEEE802_11 (105) not read"}},
		{"pcapng: two unread, in number order", pcapngOf(t, []layers.LinkType{layers.LinkTypeIEEE80211Radio, layers.LinkTypeIEEE802_11, layers.LinkTypeEthernet},
			radio, wifi1, frame{data: eth.data, iface: 2}, radio), 4, 1, "IEEE802_11_RADIO+IEEE802_11+EN10MB",
			map[capture.LinkType]uint64{105: 1, 127: 2},
			[]string{"1 frame of link type IEEE802_11 (105) not read", "2 frames of link type IEEE802_11_RADIO (127) not read"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ip, st := readMerged(t, c.name, c.data)
			var links []string
			for _, lt := range st.LinkTypes {
				links = append(links, lt.String())
			}
			if st.Packets != c.packets || len(ip) != c.ip || strings.Join(links, "+") != c.links {
				t.Errorf("%d packets, %d IP, links %v; want %d, %d, %s", st.Packets, len(ip), links, c.packets, c.ip, c.links)
			}
			if !reflect.DeepEqual(st.Unread, c.unread) {
				t.Errorf("unread %v, want %v", st.Unread, c.unread)
			}
			if !reflect.DeepEqual(st.Warnings, c.warnings) {
				t.Errorf("warnings %q\nwant     %q", st.Warnings, c.warnings)
			}
			for _, p := range ip {
				if p.Dst.String() != "192.0.2.10" || p.DstPort != 10000 {
					t.Errorf("read %s:%d, want 192.0.2.10:10000", p.Dst, p.DstPort)
				}
			}
		})
	}
}

// TestWifiFramesAreGenuine holds the 802.11 frames above to what tshark
// reads: an 802.11 data frame carrying the UDP datagram, nothing
// malformed. Otherwise the test above could pass on bytes no adapter
// writes.
func TestWifiFramesAreGenuine(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	for _, c := range []struct {
		name string
		lt   layers.LinkType
		f    []byte
	}{{"wifi.pcap", layers.LinkTypeIEEE802_11, wifiFrame(t)}, {"radiotap.pcap", layers.LinkTypeIEEE80211Radio, radiotapFrame(t)}} {
		path := filepath.Join(t.TempDir(), c.name)
		if err := os.WriteFile(path, pcapOf(t, c.lt, frame{data: c.f}), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tshark, "-r", path, "-T", "fields", "-e", "frame.protocols", "-e", "udp.dstport", "-e", "_ws.malformed").Output()
		if err != nil {
			t.Fatalf("%s: tshark: %v", c.name, err)
		}
		got := strings.TrimSpace(string(out))
		t.Logf("%s: %q", c.name, got)
		if !strings.Contains(got, "wlan:llc:ip:udp") || !strings.Contains(got, "\t10000") || strings.Contains(got, "malformed") {
			t.Errorf("%s: tshark reads %q", c.name, got)
		}
	}
}

// TestShortHeaderCauses: a header cut short is blamed on the snap length
// only where the capture cut the frame (captured length under the
// original); a frame captured whole whose IP length claims more than it
// holds is said to be that, and a header cut inside a whole frame is
// malformed.
func TestShortHeaderCauses(t *testing.T) {
	full := ethFrame(t) // 14 + 20 + 8 + 35 bytes
	v4 := func(total uint16) []byte {
		f := bytes.Clone(full)
		f[16], f[17] = byte(total>>8), byte(total)
		return f
	}
	v6 := func(payload uint16) []byte {
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 3}, EthernetType: layers.EthernetTypeIPv6}
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: net.ParseIP("2001:db8::20"), DstIP: net.ParseIP("2001:db8::10")}
		udp := &layers.UDP{SrcPort: 514, DstPort: 10000}
		udp.SetNetworkLayerForChecksum(ip)
		f := serialize(t, eth, ip, udp, gopacket.Payload("<13>audit"))
		f[18], f[19] = byte(payload>>8), byte(payload)
		return f
	}
	// An IPv4 packet whose TCP header (10 bytes) ends where its total length does.
	tcpCut := bytes.Clone(full[:14+30])
	tcpCut[16], tcpCut[17], tcpCut[23] = 0, 30, byte(layers.IPProtocolTCP)
	snap96 := frame{data: v4(1500)[:60], wire: 1514}
	const (
		snapWarn = "had headers cut short by the snap length (the first: a frame of 1514 bytes cut to 60)"
		v4Warn   = "an IP length beyond what the frame holds, in frames the snap length did not cut (the first: IPv4 total length 1500 exceeds the 63 bytes of IP in its 77-byte frame)"
	)
	cases := []struct {
		name     string
		frames   []frame
		warnings []string
	}{
		{"cut by the snap length", []frame{snap96}, []string{"1 packet " + snapWarn}},
		{"IPv4 total length beyond a whole frame", []frame{{data: v4(1500)}}, []string{"1 packet had " + v4Warn}},
		{"IPv6 payload length beyond a whole frame", []frame{{data: v6(1460)}},
			[]string{"1 packet had an IP length beyond what the frame holds, in frames the snap length did not cut (the first: IPv6 payload length 1460 exceeds the 17 bytes after the IPv6 header in its 71-byte frame)"}},
		{"TCP header cut inside a whole frame", []frame{{data: tcpCut}},
			[]string{"1 packet had headers cut short inside frames captured whole: malformed, not cut by the snap length"}},
		{"each cause counted apart", []frame{{data: v4(1500)}, snap96, {data: full}, {data: v4(2000)}, snap96, snap96},
			[]string{"3 packets " + snapWarn, "2 packets had " + v4Warn}},
		{"an IP length within the frame (Ethernet padding)", []frame{{data: append(bytes.Clone(full), make([]byte, 6)...)}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ip, st := readMerged(t, c.name, pcapOf(t, layers.LinkTypeEthernet, c.frames...))
			if len(ip) != len(c.frames) {
				t.Errorf("%d IP packets, want %d", len(ip), len(c.frames))
			}
			if !reflect.DeepEqual(st.Warnings, c.warnings) {
				t.Errorf("warnings %q\nwant     %q", st.Warnings, c.warnings)
			}
		})
	}
}
