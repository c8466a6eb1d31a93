package capture_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
)

// cut is a capture cut short: at a record (or pcapng block) boundary, a
// shorter valid file; inside one, damage at that record's offset.
type cut struct {
	name    string
	data    []byte
	damaged bool
	offset  int64 // of the damaged record
	packets uint64
}

// pcapCuts cuts a classic pcap at every record boundary and one byte
// into every record's data.
func pcapCuts(pcap []byte) []cut {
	le := binary.LittleEndian
	var cuts []cut
	n := uint64(0)
	for off := 24; off+16 <= len(pcap); n++ {
		cuts = append(cuts, cut{fmt.Sprintf("pcap/before-record-%d", n), pcap[:off], false, 0, n},
			cut{fmt.Sprintf("pcap/inside-record-%d", n), pcap[:off+16+1], true, int64(off), n})
		off += 16 + int(le.Uint32(pcap[off+8:]))
	}
	return cuts
}

// pcapngCuts cuts a pcapng at every block boundary after the section
// header and one byte into every such block's body.
func pcapngCuts(ng []byte) []cut {
	le := binary.LittleEndian
	var cuts []cut
	n := uint64(0)
	for off, k := 0, 0; off+8 <= len(ng); k++ {
		end := off + int(le.Uint32(ng[off+4:]))
		if k > 0 {
			cuts = append(cuts, cut{fmt.Sprintf("pcapng/before-block-%d", k), ng[:off], false, 0, n},
				cut{fmt.Sprintf("pcapng/inside-block-%d", k), ng[:off+9], true, int64(off), n})
		}
		if le.Uint32(ng[off:]) == 6 { // an enhanced packet block
			n++
		}
		off = end
	}
	return cuts
}

// goodCaptures is the all-good scenario as a classic pcap and as a pcapng
// of two interfaces (Ethernet and BSD null).
func goodCaptures(t *testing.T) (pcap, ng []byte) {
	t.Helper()
	s, ok := synth.Lookup("all-good")
	if !ok {
		t.Fatal("no scenario all-good")
	}
	c, _ := s.Build()
	pcap = testcaps.Bytes(t, func(w io.Writer) error { return c.Write(w, synth.Format{}) })
	ng = testcaps.Bytes(t, func(w io.Writer) error {
		return c.Write(w, synth.Format{NG: true, Links: []uint32{synth.LinkEthernet, synth.LinkNull}})
	})
	return pcap, ng
}

// TestTruncationAtEveryBoundary reads every cut through the merger, as an
// analysis does: the packets before the cut are all counted, and only a
// cut inside a record is damage, at that record's offset. (The CLI test
// of the same name runs a few of these cuts through analyze.)
func TestTruncationAtEveryBoundary(t *testing.T) {
	pcap, ng := goodCaptures(t)
	cuts := append(pcapCuts(pcap), pcapngCuts(ng)...)
	if len(cuts) < 40 {
		t.Fatalf("only %d cuts: the scenario is not what this test expects", len(cuts))
	}
	for _, c := range cuts {
		src, err := capture.NewSource(c.name, bytes.NewReader(c.data), int64(len(c.data)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		m := capture.NewMerger([]*capture.FileSource{src})
		var p capture.Packet
		for m.Next(&p) == nil {
		}
		st := m.Stats()[0]
		m.Close()
		if st.Packets != c.packets || (st.Damage != nil) != c.damaged {
			t.Errorf("%s: %d packets, damage %v; want %d packets, damaged %v", c.name, st.Packets, st.Damage, c.packets, c.damaged)
			continue
		}
		if c.damaged && st.Damage.Offset != c.offset {
			t.Errorf("%s: damage at %d, want %d", c.name, st.Damage.Offset, c.offset)
		}
	}
}
