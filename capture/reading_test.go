package capture_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/internal/synth"
)

// isb is an interface statistics block for interface 0 with isb_ifdrop.
func isb(drops uint64) []byte {
	body := make([]byte, 12) // interface id, timestamp high, low
	body = binary.LittleEndian.AppendUint16(body, 5)
	body = binary.LittleEndian.AppendUint16(body, 8)
	body = binary.LittleEndian.AppendUint64(body, drops)
	body = append(body, 0, 0, 0, 0) // opt_endofopt
	return synth.NGBlock(5, body)
}

// TestInterfaceDropsAreCumulative: isb_ifdrop counts since the capture
// started, so three statistics blocks saying 10, 20 and 30 mean 30 lost
// packets, not 60 (pcapng, section 4.6).
func TestInterfaceDropsAreCumulative(t *testing.T) {
	shb := make([]byte, 0, 16)
	shb = binary.LittleEndian.AppendUint32(shb, 0x1a2b3c4d)
	shb = binary.LittleEndian.AppendUint16(shb, 1)
	shb = binary.LittleEndian.AppendUint16(shb, 0)
	shb = binary.LittleEndian.AppendUint64(shb, ^uint64(0))
	idb := binary.LittleEndian.AppendUint16(nil, 1) // Ethernet
	idb = append(idb, 0, 0)
	idb = binary.LittleEndian.AppendUint32(idb, 65535)
	var file []byte
	file = append(file, synth.NGBlock(0x0a0d0d0a, shb)...)
	file = append(file, synth.NGBlock(1, idb)...)
	for _, d := range []uint64{10, 20, 30} {
		file = append(file, isb(d)...)
	}
	s, err := capture.NewSource("isb.pcapng", bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, _, _, err := s.Next(); err != nil {
			break
		}
	}
	if got := s.Drops(); got != 30 {
		t.Errorf("drops %d, want 30 (the last cumulative count)", got)
	}
}

// TestLongGzipName: a gzip header whose original name is longer than the
// decompressor's buffer (600 bytes) is read as tshark reads it.
func TestLongGzipName(t *testing.T) {
	plain := scenarioBytes(t, "all-good", nil)
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Name = strings.Repeat("customer-site-", 43) + ".pcap"
	w.Comment = "exported by the customer's gateway"
	w.Write(plain)
	w.Close()
	want, _ := readSource(t, mustSource(t, plain))
	s, err := capture.NewSource("long.pcap.gz", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatalf("%d-byte name: %v", len(w.Name), err)
	}
	got, st := readSource(t, s)
	if len(got) != len(want) || st.Damage != nil {
		t.Errorf("%d packets (damage %v), want %d", len(got), st.Damage, len(want))
	}
}

// ngHeader is a section header and, for each link type given, an
// interface description block with the options given.
func ngHeader(idbs int, opts []byte) []byte {
	shb := binary.LittleEndian.AppendUint32(nil, 0x1a2b3c4d)
	shb = binary.LittleEndian.AppendUint16(shb, 1)
	shb = binary.LittleEndian.AppendUint16(shb, 0)
	shb = binary.LittleEndian.AppendUint64(shb, ^uint64(0))
	file := synth.NGBlock(0x0a0d0d0a, shb)
	idb := binary.LittleEndian.AppendUint16(nil, 1)
	idb = append(idb, 0, 0)
	idb = binary.LittleEndian.AppendUint32(idb, 65535)
	idb = append(idb, opts...)
	block := synth.NGBlock(1, idb)
	for i := 0; i < idbs; i++ {
		file = append(file, block...)
	}
	return file
}

// TestPcapngBounds: a section with more interfaces than any capture has,
// or a timestamp offset that would overflow, is damage at its block, not
// memory without end or a silent wrap; the report lists the link type
// once, whatever the number of interfaces.
func TestPcapngBounds(t *testing.T) {
	read := func(data []byte) (*capture.FileSource, error) {
		s, err := capture.NewSource("b.pcapng", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, err
		}
		for {
			if _, _, _, _, err := s.Next(); err != nil {
				if err.Error() == "EOF" {
					return s, nil
				}
				return s, err
			}
		}
	}
	s, err := read(ngHeader(1000, nil))
	if err != nil || len(s.LinkTypes()) != 1 {
		t.Fatalf("1000 Ethernet interfaces: %v, link types %v", err, s.LinkTypes())
	}
	if _, err := read(ngHeader(1<<16+1, nil)); err == nil || !strings.Contains(err.Error(), "more than 65536 interface description blocks") {
		t.Errorf("65537 interfaces: %v", err)
	}
	off := binary.LittleEndian.AppendUint16(nil, 14)
	off = binary.LittleEndian.AppendUint16(off, 8)
	off = binary.LittleEndian.AppendUint64(off, 1<<62)
	off = append(off, 0, 0, 0, 0)
	if _, err := read(ngHeader(1, off)); err == nil || !strings.Contains(err.Error(), "if_tsoffset") {
		t.Errorf("if_tsoffset 2^62: %v", err)
	}
}

// withZeroTime returns a classic little-endian pcap with the k-th record's
// timestamp set to zero.
func withZeroTime(t *testing.T, data []byte, k int) []byte {
	t.Helper()
	out := append([]byte(nil), data...)
	off := 24
	for i := 0; i < k; i++ {
		off += 16 + int(binary.LittleEndian.Uint32(out[off+8:]))
	}
	binary.LittleEndian.PutUint32(out[off:], 0)
	binary.LittleEndian.PutUint32(out[off+4:], 0)
	return out
}

// TestTimestampOutliers: one record with a zero timestamp in the middle of
// a capture, or before its first real packet, is counted and skipped: it
// neither moves the window to 1970 nor makes a flow of its own; the rest
// reads as before. A capture that really jumps (nDPI's samples of many
// years, one after another) is read whole.
func TestTimestampOutliers(t *testing.T) {
	plain := scenarioBytes(t, "all-good", nil)
	want, wantSt := readSource(t, mustSource(t, plain))
	for _, k := range []int{0, 10, len(want) - 1} {
		got, st := readSource(t, mustSource(t, withZeroTime(t, plain, k)))
		if len(got) != len(want)-1 || st.First != wantSt.First && k != 0 || st.First == 0 {
			t.Errorf("zero at record %d: %d packets (want %d), first %d (want %d)", k, len(got), len(want)-1, st.First, wantSt.First)
		}
		st.Finish()
		if !strings.Contains(strings.Join(st.Warnings, "\n"), "1 packet had a timestamp far from the packets around them") {
			t.Errorf("zero at record %d: warnings %v", k, st.Warnings)
		}
	}
	ndpi, err := capture.OpenFile("../testdata/pcaps/ndpi_syslog_vlan.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if got, st := readSource(t, ndpi); len(got) != 94 || st.First > 1e12 {
		t.Errorf("nDPI's many-year capture: %d of 94 packets, first %d", len(got), st.First)
	}
}
