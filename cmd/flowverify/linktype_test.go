package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// syslogFrames are the same syslog datagram to 192.0.2.10:10000 over
// Ethernet and as an 802.11 data frame (LLC/SNAP, no FCS), as a Wi-Fi
// adapter in monitor mode writes it (capture's tests hold it to tshark).
func syslogFrames(t *testing.T) (eth, wifi []byte) {
	t.Helper()
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IPv4(192, 0, 2, 20).To4(), DstIP: net.IPv4(192, 0, 2, 10).To4()}
	udp := &layers.UDP{SrcPort: 514, DstPort: 10000}
	udp.SetNetworkLayerForChecksum(ip)
	msg := gopacket.Payload("<13>Oct 11 22:14:15 fs1 audit: read")
	build := func(ls ...gopacket.SerializableLayer) []byte {
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
			t.Fatal(err)
		}
		return bytes.Clone(buf.Bytes())
	}
	a, b, c := net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{2, 0, 0, 0, 0, 2}, net.HardwareAddr{2, 0, 0, 0, 0, 3}
	eth = build(&layers.Ethernet{SrcMAC: b, DstMAC: c, EthernetType: layers.EthernetTypeIPv4}, ip, udp, msg)
	wifi = build(&layers.Dot11{Type: layers.Dot11TypeData, Flags: layers.Dot11FlagsToDS, Address1: a, Address2: b, Address3: c},
		&layers.LLC{DSAP: 0xaa, SSAP: 0xaa, Control: 3}, &layers.SNAP{OrganizationalCode: []byte{0, 0, 0}, Type: layers.EthernetTypeIPv4},
		ip, udp, msg)
	return eth, wifi
}

// mixedInterfaces writes a pcapng of two interfaces, Ethernet and 802.11,
// with two frames on the first and three on the second.
func mixedInterfaces(t *testing.T, path string) {
	eth, wifi := syslogFrames(t)
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&b, pcapgo.NgInterface{Name: "eth0", LinkType: layers.LinkTypeEthernet, SnapLength: 65535}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddInterface(pcapgo.NgInterface{Name: "wlan0mon", LinkType: layers.LinkTypeIEEE802_11, SnapLength: 65535}); err != nil {
		t.Fatal(err)
	}
	for i, iface := range []int{0, 1, 1, 0, 1} {
		f := [][]byte{eth, wifi}[iface]
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000+int64(i), 0), CaptureLength: len(f), Length: len(f), InterfaceIndex: iface}
		if err := w.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUnreadLinkTypeWarning: the Ethernet interface of a pcapng is read
// and judged, the 802.11 one is named in a warning, in every format that
// shows an input's warnings.
func TestUnreadLinkTypeWarning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mixed.pcapng")
	mixedInterfaces(t, path)
	const warning = "3 frames of link type IEEE802_11 (105) not read"

	r := flowverify(t, nil, "analyze", "-q", "-f", "json", "--server", "192.0.2.10", path)
	var doc reportDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("exit %d: %v\n%s", r.code, err, r.stderr)
	}
	in := doc.Inputs[0]
	if !slices.Equal(in.Warnings, []string{warning}) || in.Packets != 5 || !slices.Equal(in.LinkTypes, []string{"EN10MB", "IEEE802_11"}) {
		t.Errorf("input %+v", in)
	}
	var syslog int
	for _, rule := range doc.Rules {
		if rule.ID == "syslog-in" {
			syslog = rule.Flows
		}
	}
	if syslog != 1 {
		t.Errorf("syslog-in has %d flows, want the Ethernet interface's one", syslog)
	}
	for format, want := range map[string]string{
		"text":     "  ! " + path + ": " + warning + "\n",
		"markdown": "> ⚠ " + path + ": " + warning + "\n",
		"junit":    path + ": " + warning,
		"html":     `<div class="muted">` + warning + `</div>`,
	} {
		r := flowverify(t, nil, "analyze", "-f", format, "--server", "192.0.2.10", path)
		if !strings.Contains(r.stdout, want) {
			t.Errorf("%s (exit %d) does not say %q:\n%s", format, r.code, want, r.stdout)
		}
	}
}

// TestOnlyUnreadLinkType: a capture holding only frames flowverify cannot
// read says so, rather than reporting an empty capture without a word.
func TestOnlyUnreadLinkType(t *testing.T) {
	_, wifi := syslogFrames(t)
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	w.WriteFileHeader(65535, layers.LinkTypeIEEE802_11)
	for i := range 4 {
		w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(1700000000+int64(i), 0), CaptureLength: len(wifi), Length: len(wifi)}, wifi)
	}
	path := filepath.Join(t.TempDir(), "wifi.pcap")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	r := flowverify(t, nil, "analyze", path)
	if want := "! " + path + ": 4 frames of link type IEEE802_11 (105) not read"; !strings.Contains(r.stdout, want) {
		t.Errorf("exit %d, stdout does not say %q:\n%s", r.code, want, r.stdout)
	}
	if !strings.Contains(r.stdout, "(pcap, IEEE802_11) 4 packets") {
		t.Errorf("the input line does not name the link type:\n%s", r.stdout)
	}
}
