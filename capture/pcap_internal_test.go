package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
)

// readAll reads every record of a classic pcap held in data, through the
// record reader or through pcapgo, and renders what it saw: each record's
// metadata and bytes, the offset after it, then the error that ended the
// stream.
func readAll(t testing.TB, data []byte, viaPcapgo bool) string {
	src, err := NewSource("x.pcap", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "open: " + err.Error()
	}
	defer src.Close()
	if src.Format() != formatPcap {
		t.Skip("not a classic pcap")
	}
	if viaPcapgo {
		return readViaPcapgo(t, data, src.link)
	}
	var b bytes.Buffer
	for {
		rec, ts, wire, lt, err := src.Next()
		if err != nil {
			fmt.Fprintf(&b, "end %v", err)
			return b.String()
		}
		fmt.Fprintf(&b, "%d %d %d %d %x\n", ts, wire, lt, src.Offset(), rec)
	}
}

// readViaPcapgo reads the same records with pcapgo, the reference the
// record reader is held to, with the record reader's error handling: the
// clean end is a header read at the end of the file, anything else cut
// short is damage at the record's offset.
func readViaPcapgo(t testing.TB, data []byte, lt LinkType) string {
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Skipf("pcapgo refuses the header: %v", err)
	}
	r.SetSnaplen(maxSnaplen)
	var b bytes.Buffer
	off := int64(24)
	for {
		rec, ci, err := r.ZeroCopyReadPacketData()
		if err != nil {
			if err == io.EOF && off == int64(len(data)) {
				fmt.Fprintf(&b, "end %v", err)
				return b.String()
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			fmt.Fprintf(&b, "end %v", &DamageError{File: "x.pcap", Offset: off, Err: err})
			return b.String()
		}
		off += 16 + int64(len(rec))
		fmt.Fprintf(&b, "%d %d %d %d %x\n", ci.Timestamp.UnixNano(), ci.Length, lt, off, rec)
	}
}

// overlong says whether a pcap body holds a record with a captured length
// over its original one, which the record reader reads (as libpcap does)
// and pcapgo refuses.
func overlong(data []byte) bool {
	bo := binary.ByteOrder(binary.LittleEndian)
	if binary.BigEndian.Uint32(data) == pcapMagicMicro || binary.BigEndian.Uint32(data) == pcapMagicNano {
		bo = binary.BigEndian
	}
	for off := 24; off+16 <= len(data); {
		caplen, origlen := bo.Uint32(data[off+8:]), bo.Uint32(data[off+12:])
		if caplen > origlen {
			return true
		}
		if caplen > maxSnaplen {
			return false
		}
		off += 16 + int(caplen)
	}
	return false
}

// TestPcapRecordsMatchPcapgo holds the record reader to pcapgo's results
// on every classic pcap in testdata, whole and cut short at many points.
func TestPcapRecordsMatchPcapgo(t *testing.T) {
	paths, err := filepath.Glob("../testdata/*/*.pcap")
	if err != nil {
		t.Fatal(err)
	}
	files, cuts := 0, 0
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) < 24 || len(data) > 8<<20 || binary.LittleEndian.Uint32(data)&0xffff0000 != 0xa1b20000 && binary.BigEndian.Uint32(data)&0xffff0000 != 0xa1b20000 {
			continue
		}
		files++
		step := len(data)/40 + 1
		for cut := len(data); cut >= 24; cut -= step {
			got, want := readAll(t, data[:cut], false), readAll(t, data[:cut], true)
			if got != want {
				t.Fatalf("%s cut at %d: record reader and pcapgo differ\nrecord reader: %.500s\npcapgo:        %.500s", path, cut, got, want)
			}
			cuts++
		}
	}
	if files < 10 {
		t.Fatalf("only %d classic pcaps found", files)
	}
	t.Logf("%d files, %d cuts agree", files, cuts)
}

// FuzzPcapRecords feeds arbitrary records after a nanosecond pcap header
// (pcapgo multiplies microseconds in 32 bits, which overflows on damaged
// fractions; nanoseconds keep the comparison fair) and wants pcapgo's
// records, offsets and errors.
func FuzzPcapRecords(f *testing.F) {
	hdr := []byte{0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0}
	rec := []byte{1, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 60, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef}
	f.Add(rec)
	f.Add(append(append([]byte{}, rec...), rec[:10]...))
	f.Add([]byte{1, 0, 0, 0, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		data := append(append([]byte{}, hdr...), body...)
		if overlong(data) {
			return // read as the smaller, where pcapgo stops: TestOverlongRecords
		}
		if got, want := readAll(t, data, false), readAll(t, data, true); got != want {
			t.Fatalf("record reader: %s\npcapgo: %s", got, want)
		}
	})
}

// TestPcapVersionsAndOverlongRecords: headers of versions 2.0 to 2.4 are
// read (tshark reads them); a record whose captured length exceeds its
// original length is read as the smaller and counted, in 2.4 (the file
// holds caplen bytes) and in 2.2 (where writers swapped the two fields).
func TestPcapVersionsAndOverlongRecords(t *testing.T) {
	rec := func(caplen, origlen uint32, body []byte) []byte {
		h := binary.LittleEndian.AppendUint32(nil, 1)
		h = binary.LittleEndian.AppendUint32(h, 0)
		h = binary.LittleEndian.AppendUint32(h, caplen)
		h = binary.LittleEndian.AppendUint32(h, origlen)
		return append(h, body...)
	}
	header := func(minor uint16) []byte {
		h := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, byte(minor), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0}
		return h
	}
	body := bytes.Repeat([]byte{0xab}, 60)
	for minor := uint16(0); minor <= 4; minor++ {
		data := append(header(minor), rec(60, 60, body)...)
		s, err := NewSource("v.pcap", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("2.%d: %v", minor, err)
		}
		if got, _, wire, _, err := s.Next(); err != nil || len(got) != 60 || wire != 60 {
			t.Errorf("2.%d: %d bytes, wire %d, %v", minor, len(got), wire, err)
		}
	}
	// 2.4: 80 bytes in the file, the packet said to be 60.
	data := append(header(4), rec(80, 60, bytes.Repeat([]byte{1}, 80))...)
	data = append(data, rec(60, 60, body)...)
	s, _ := NewSource("o.pcap", bytes.NewReader(data), int64(len(data)))
	first, _, wire, _, err := s.Next()
	if err != nil || len(first) != 60 || wire != 60 {
		t.Errorf("2.4 overlong: %d bytes, wire %d, %v; want 60", len(first), wire, err)
	}
	if next, _, _, _, err := s.Next(); err != nil || next[0] != 0xab {
		t.Errorf("the record after it: %v", err)
	}
	// 2.2: the fields swapped, the file holds the smaller (60).
	data = append(header(2), rec(100, 60, body)...)
	data = append(data, rec(60, 60, body)...)
	s, _ = NewSource("s.pcap", bytes.NewReader(data), int64(len(data)))
	first, _, wire, _, err = s.Next()
	if err != nil || len(first) != 60 || wire != 100 {
		t.Errorf("2.2 swapped: %d bytes, wire %d, %v; want 60 of 100", len(first), wire, err)
	}
	if _, _, _, _, err := s.Next(); err != nil || s.Overlong() != 1 {
		t.Errorf("the record after it: %v, overlong %d", err, s.Overlong())
	}
	if _, err := NewSource("v1.pcap", bytes.NewReader(append([]byte{0xd4, 0xc3, 0xb2, 0xa1, 1, 0}, make([]byte, 18)...)), 24); err == nil {
		t.Error("a 1.x header was accepted")
	}
}
