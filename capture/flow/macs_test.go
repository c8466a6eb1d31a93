package flow

import (
	"fmt"
	"testing"

	"github.com/flowverify/flowverify/capture"
)

// TestCrowdedStations: a MAC is crowded once it fronted an address the
// table does not list behind it alone: one also seen behind another MAC,
// or one past the cap of stations. A MAC whose every address is listed is
// not, whatever the others do.
func TestCrowdedStations(t *testing.T) {
	host, router, other := [6]byte{2, 0, 0, 0, 0, 1}, [6]byte{2, 0, 0, 0, 0, 2}, [6]byte{2, 0, 0, 0, 0, 3}
	type frame struct {
		src, dst string
		smac     [6]byte
	}
	cases := []struct {
		name   string
		frames []frame
		fill   int // stations noted first behind other, to fill the table
		want   map[[6]byte]bool
	}{
		{"own addresses only", []frame{{"10.0.0.1", "10.0.0.9", host}, {"2001:db8::1", "2001:db8::9", host}},
			0, map[[6]byte]bool{host: false, router: false}},
		{"an address behind two MACs", []frame{{"10.0.0.1", "10.0.0.9", host}, {"2001:db8::1", "2001:db8::9", router}, {"2001:db8::1", "2001:db8::9", host}},
			0, map[[6]byte]bool{host: true, router: true}},
		{"one past the cap", []frame{{"10.0.0.1", "10.0.0.9", host}, {"2001:db8::1", "2001:db8::9", host}, {"2001:db8::2", "2001:db8::9", host}},
			maxMACs - 3, map[[6]byte]bool{host: true, other: false}},
		{"the cap passed by another MAC", []frame{{"10.0.0.1", "10.0.0.9", host}},
			maxMACs + 10, map[[6]byte]bool{host: false, other: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tb := NewTable(Config{})
			note := func(src, dst string, smac, dmac [6]byte) {
				tb.noteMAC(&capture.Packet{HasMAC: true, Src: addr(src), Dst: addr(dst), SrcMAC: smac, DstMAC: dmac})
			}
			for _, f := range tc.frames[:1] {
				note(f.src, f.dst, f.smac, [6]byte{2, 9, 9, 9, 9, 9})
			}
			for i := 0; i < tc.fill; i++ {
				note(fmt.Sprintf("10.1.%d.%d", i/250, i%250), "10.0.0.9", other, [6]byte{2, 9, 9, 9, 9, 9})
			}
			for _, f := range tc.frames[1:] {
				note(f.src, f.dst, f.smac, [6]byte{2, 9, 9, 9, 9, 9})
			}
			for mac, want := range tc.want {
				if got := tb.Crowded(mac); got != want {
					t.Errorf("Crowded(%x) = %v, want %v", mac, got, want)
				}
			}
		})
	}
}
