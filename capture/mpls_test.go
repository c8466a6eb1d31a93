package capture

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// mplsFrame is the one frame of testdata/pcaps/gopacket_mpls_icmp.pcap: an
// echo request from 12.0.0.1 to 2.2.2.2 under labels 17 and 19, as a
// router captured it (gopacket's layers/mpls_test.go; tshark reads it as
// "12.0.0.1 → 2.2.2.2 ICMP 122 Echo (ping) request").
func mplsFrame(t testing.TB) []byte {
	t.Helper()
	s, err := OpenFile("../testdata/pcaps/gopacket_mpls_icmp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	data, _, _, _, err := s.Next()
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), data...)
}

func TestDecodeMPLS(t *testing.T) {
	frame := mplsFrame(t)
	ip := frame[22:] // after Ethernet and the two label entries
	oneLabel := append(append([]byte(nil), frame[:14]...), frame[18:]...)
	multicast := append([]byte(nil), frame...)
	multicast[12], multicast[13] = 0x88, 0x48
	// An Ethernet pseudowire (RFC 4448): one label, a zero control word,
	// then the customer's whole frame.
	pw := append(append(append(append([]byte(nil), frame[:14]...), 0x00, 0x01, 0x31, 0xfe, 0, 0, 0, 0), frame[:12]...), 0x08, 0x00)
	pw = append(pw, ip...)
	deep := append([]byte(nil), frame[:14]...)
	for i := 0; i < 20; i++ {
		deep = append(deep, 0x00, 0x01, 0x10, 0xfe) // never the bottom of the stack
	}
	deep = append(deep, ip...)
	cases := []struct {
		name   string
		data   []byte
		ip     bool
		labels uint8
	}{
		{"two labels, as captured", frame, true, 2},
		{"one label", oneLabel, true, 1},
		{"multicast ethertype", multicast, true, 2},
		{"ethernet pseudowire", pw, true, 1},
		{"stack cut short", frame[:16], false, 0},
		{"no bottom of stack", deep, false, 0},
		{"nothing after the stack", frame[:22], false, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p Packet
			err := NewDecoder().Decode(LinkEthernet, c.data, &p)
			if p.IsIP != c.ip || p.mplsLabels != c.labels {
				t.Fatalf("ip %v labels %d (%v); want ip %v labels %d", p.IsIP, p.mplsLabels, err, c.ip, c.labels)
			}
			if !c.ip {
				return
			}
			if err != nil || p.Src != addr("12.0.0.1") || p.Dst != addr("2.2.2.2") || p.Proto != uint8(layers.IPProtocolICMPv4) || p.ICMPType != 8 {
				t.Errorf("%v -> %v proto %d type %d (%v); want the echo request 12.0.0.1 -> 2.2.2.2", p.Src, p.Dst, p.Proto, p.ICMPType, err)
			}
			if !p.HasMAC || p.SrcMAC != [6]byte(frame[6:12]) {
				t.Errorf("MAC %x (%v), want the outer frame's source", p.SrcMAC, p.HasMAC)
			}
		})
	}
}
