package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// readAll reads every record of a classic pcap held in data, through the
// record reader or through pcapgo, and renders what it saw: each record's
// metadata and bytes, then the error that ended the stream.
func readAll(t testing.TB, data []byte, viaPcapgo bool) string {
	src, err := NewSource("x.pcap", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "open: " + err.Error()
	}
	defer src.Close()
	if src.Format() != FormatPcap {
		t.Skip("not a classic pcap")
	}
	next := src.Next
	if viaPcapgo {
		next = func() ([]byte, int64, int, LinkType, error) { return nextViaPcapgo(src) }
	}
	var b bytes.Buffer
	for {
		rec, ts, wire, lt, err := next()
		if err != nil {
			fmt.Fprintf(&b, "end %v", err)
			return b.String()
		}
		fmt.Fprintf(&b, "%d %d %d %d %x\n", ts, wire, lt, src.Offset(), rec)
	}
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
		if got, want := readAll(t, data, false), readAll(t, data, true); got != want {
			t.Fatalf("record reader: %s\npcapgo: %s", got, want)
		}
	})
}

// nextViaPcapgo reads the next record of a classic pcap through pcapgo,
// the reference the record reader is held to, with Next's error handling.
func nextViaPcapgo(s *FileSource) ([]byte, int64, int, LinkType, error) {
	s.offset = s.Offset()
	data, ci, err := s.pcap.ZeroCopyReadPacketData()
	if err != nil {
		return nil, 0, 0, s.link, s.recordErr(err)
	}
	return data, ci.Timestamp.UnixNano(), ci.Length, s.link, nil
}
