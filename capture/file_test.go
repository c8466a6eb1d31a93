package capture_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
)

func scenarioBytes(t testing.TB, name string, f *synth.Format) []byte {
	t.Helper()
	s, ok := synth.Lookup(name)
	if !ok {
		t.Fatalf("no scenario %s", name)
	}
	c, def := s.Build()
	if f == nil {
		f = &def
	}
	var buf bytes.Buffer
	if err := c.Write(&buf, *f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAll drains a source and returns packets, first/last timestamps.
func readAll(t *testing.T, data []byte) (n int, first, last int64, links map[capture.LinkType]int, err error) {
	t.Helper()
	src, err := capture.NewSource("mem", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return 0, 0, 0, nil, err
	}
	links = map[capture.LinkType]int{}
	for {
		_, ts, _, lt, err := src.Next()
		if err == io.EOF {
			return n, first, last, links, nil
		}
		if err != nil {
			return n, first, last, links, err
		}
		if n == 0 {
			first = ts
		}
		last = ts
		links[lt]++
		n++
	}
}

func TestReadFormats(t *testing.T) {
	cases := []struct {
		name  string
		f     synth.Format
		links []capture.LinkType
	}{
		{"pcap micro LE", synth.Format{}, []capture.LinkType{capture.LinkEthernet}},
		{"pcap nano LE", synth.Format{Nanos: true}, []capture.LinkType{capture.LinkEthernet}},
		{"pcap micro BE", synth.Format{BigEndian: true}, []capture.LinkType{capture.LinkEthernet}},
		{"pcap nano BE", synth.Format{Nanos: true, BigEndian: true}, []capture.LinkType{capture.LinkEthernet}},
		{"pcap SLL2", synth.Format{Links: []uint32{synth.LinkSLL2}}, []capture.LinkType{capture.LinkSLL2}},
		{"pcapng", synth.Format{NG: true}, []capture.LinkType{capture.LinkEthernet}},
		{"pcapng SLL2", synth.Format{NG: true, Links: []uint32{synth.LinkSLL2}}, []capture.LinkType{capture.LinkSLL2}},
		{"pcap gzip", synth.Format{Gzip: true}, []capture.LinkType{capture.LinkEthernet}},
		{"pcapng gzip", synth.Format{NG: true, Gzip: true}, []capture.LinkType{capture.LinkEthernet}},
	}
	want := -1
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := scenarioBytes(t, "all-good", &c.f)
			n, first, last, links, err := readAll(t, data)
			if err != nil {
				t.Fatal(err)
			}
			if want < 0 {
				want = n
			}
			if n != want || n == 0 {
				t.Fatalf("%d packets, want %d", n, want)
			}
			if first >= last {
				t.Fatalf("timestamps not increasing: %d .. %d", first, last)
			}
			for _, l := range c.links {
				if links[l] != n {
					t.Fatalf("link types %v, want all %v", links, l)
				}
			}
		})
	}
}

func TestReadPcapngTwoInterfaces(t *testing.T) {
	data := scenarioBytes(t, "pcapng-two-interfaces", nil)
	_, _, _, links, err := readAll(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if links[capture.LinkEthernet] == 0 || links[capture.LinkNull] == 0 {
		t.Fatalf("want Ethernet and NULL packets, got %v", links)
	}
}

func TestNanosecondsPreserved(t *testing.T) {
	n, first, _, _, err := readAll(t, scenarioBytes(t, "sll2", nil))
	if err != nil || n == 0 {
		t.Fatal(err)
	}
	// The scenario clock has sub-microsecond steps nowhere, but a nano
	// file must round-trip the exact nanoseconds of its first record.
	if first%1000 != 0 && first == 0 {
		t.Fatal("no timestamp")
	}
}

func TestDamagedCaptures(t *testing.T) {
	good := scenarioBytes(t, "all-good", &synth.Format{})
	var recordEnds []int
	// Walk the records to know where the boundaries are.
	for off := 24; off+16 <= len(good); {
		caplen := int(uint32(good[off+8]) | uint32(good[off+9])<<8 | uint32(good[off+10])<<16 | uint32(good[off+11])<<24)
		off += 16 + caplen
		recordEnds = append(recordEnds, off)
	}
	mid := recordEnds[9] + 20 // inside the 11th record's data
	cases := []struct {
		name       string
		data       []byte
		wantN      int
		wantOffset int64
		notCapture bool
	}{
		{"cut inside a record", good[:mid], 10, int64(recordEnds[9]), false},
		{"cut inside a record header", good[:recordEnds[4]+7], 5, int64(recordEnds[4]), false},
		{"cut at a record boundary", good[:recordEnds[6]], 7, -1, false},
		{"garbage header", append([]byte("this is not a capture at all"), good[24:]...), 0, 0, true},
		{"empty", nil, 0, 0, true},
		{"header only", good[:24], 0, -1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, err := capture.NewSource("x.pcap", bytes.NewReader(c.data), int64(len(c.data)))
			if c.notCapture {
				if !errors.Is(err, capture.ErrNotCapture) {
					t.Fatalf("err = %v, want ErrNotCapture", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for {
				_, _, _, _, err = src.Next()
				if err != nil {
					break
				}
				n++
			}
			if n != c.wantN {
				t.Fatalf("read %d packets, want %d", n, c.wantN)
			}
			var de *capture.DamageError
			if c.wantOffset < 0 {
				if err != io.EOF {
					t.Fatalf("err = %v, want clean EOF", err)
				}
				return
			}
			if !errors.As(err, &de) || de.Offset != c.wantOffset {
				t.Fatalf("err = %v, want damage at %d", err, c.wantOffset)
			}
		})
	}
}

func TestOpenFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := capture.OpenFile(dir); err == nil {
		t.Fatal("a directory opened as a capture")
	}
	if _, err := capture.OpenFile(filepath.Join(dir, "missing.pcap")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.pcap.gz")
	os.WriteFile(bad, []byte{0x1f, 0x8b, 0, 0, 0}, 0o600)
	if _, err := capture.OpenFile(bad); err == nil {
		t.Fatal("corrupt gzip opened")
	}
}

func TestMergeOrdersByTime(t *testing.T) {
	// Split one capture into two interleaved files; the merger must hand
	// packets back in time order.
	c, _ := mustScenario(t, "all-good")
	var a, b bytes.Buffer
	if err := c.Write(&a, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Write(&b, synth.Format{NG: true, Nanos: true}); err != nil {
		t.Fatal(err)
	}
	s1, _ := capture.NewSource("a", bytes.NewReader(a.Bytes()), 0)
	s2, _ := capture.NewSource("b", bytes.NewReader(b.Bytes()), 0)
	m := capture.NewMerger([]*capture.FileSource{s1, s2})
	var p capture.Packet
	var last int64
	n := 0
	for m.Next(&p) == nil {
		if p.Timestamp < last {
			t.Fatalf("packet %d went back in time", n)
		}
		last = p.Timestamp
		n++
	}
	if n != 2*c.Len() {
		t.Fatalf("merged %d packets, want %d", n, 2*c.Len())
	}
	st := m.Stats()
	if st[0].Packets != uint64(c.Len()) || st[1].Packets != uint64(c.Len()) {
		t.Fatalf("per-input counts %d %d", st[0].Packets, st[1].Packets)
	}
}

func mustScenario(t testing.TB, name string) (*synth.Capture, synth.Format) {
	s, ok := synth.Lookup(name)
	if !ok {
		t.Fatalf("no scenario %s", name)
	}
	return s.Build()
}

func FuzzReadCapture(f *testing.F) {
	f.Add(scenarioBytes(f, "midstream", nil))
	f.Add(scenarioBytes(f, "midstream", &synth.Format{NG: true}))
	f.Add(scenarioBytes(f, "midstream", &synth.Format{BigEndian: true, Nanos: true}))
	f.Add(scenarioBytes(f, "fragments", nil))
	f.Add(scenarioBytes(f, "fragments", &synth.Format{Gzip: true}))
	f.Add(zstdBytes(f, scenarioBytes(f, "midstream", nil)))
	f.Add(xzBytes(f, scenarioBytes(f, "midstream", nil)))
	f.Add([]byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0})
	// Real captures from other projects' test suites, the damaged one too.
	files, _ := filepath.Glob("../testdata/pcaps/*.pcap*")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := capture.NewSource("fuzz", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		m := capture.NewMerger([]*capture.FileSource{src})
		var p capture.Packet
		for i := 0; m.Next(&p) == nil; i++ {
			if i > len(data) {
				t.Fatal("more packets than bytes")
			}
		}
		st := m.Stats()[0]
		// Offsets count decompressed bytes: only a plain file bounds them.
		if st.Damage != nil && !src.Compressed() && st.Damage.Offset > int64(len(data)) {
			t.Fatalf("damage offset %d past the end (%d)", st.Damage.Offset, len(data))
		}
		// Batches read the same packets, damaged input included.
		open := func() []*capture.FileSource {
			src, err := capture.NewSource("fuzz", bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			return []*capture.FileSource{src}
		}
		readBatches(t, open(), testcaps.Packets(t, open()...), 3)
		// A compressed input inflated ahead reads the same, damage included.
		if src.Compressed() {
			want, wantEnd := readGzip(t, data, false)
			got, gotEnd := readGzip(t, data, true)
			if gotEnd != wantEnd || len(got) != len(want) {
				t.Fatalf("inflated ahead: %s (%d packets); in line: %s (%d)", gotEnd, len(got), wantEnd, len(want))
			}
		}
	})
}

// Consumed tells how far into the file on disk the records read so far
// reach: exactly for a plain capture, near enough for a compressed one
// (whose inflater runs ahead), and all of it at the end, with or without
// inflating ahead.
func TestConsumed(t *testing.T) {
	plain := testcaps.Bytes(t, func(w io.Writer) error { return synth.WriteFlood(w, 60000, 2) })
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(plain); err != nil || zw.Close() != nil {
		t.Fatal("gzip", err)
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name  string
		data  []byte
		ahead bool
		slack float64 // how far from the exact share it may be, relative
	}{
		{"flood.pcap", plain, false, 0},
		{"flood.pcap.gz", gz.Bytes(), false, 0.2},
		{"flood-ahead.pcap.gz", gz.Bytes(), true, 0.2},
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := capture.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if c.ahead {
			src.InflateAhead()
		}
		read := 0
		for _, upTo := range []int{2000, 30000} { // early, when the table first grows, and half-way
			for ; read < upTo; read++ {
				if _, _, _, _, err := src.Next(); err != nil {
					t.Fatal(err)
				}
			}
			// their share of the plain file, exactly
			want := float64(src.Offset()) / float64(len(plain))
			got := float64(src.Consumed()) / float64(len(c.data))
			if got < want*(1-c.slack) || got > want*(1+c.slack) {
				t.Errorf("%s: after %d records Consumed is %.4f of the file, want %.4f±%.0f%%", c.name, read, got, want, 100*c.slack)
			}
		}
		for {
			if _, _, _, _, err := src.Next(); err != nil {
				break
			}
		}
		if got := src.Consumed(); got != int64(len(c.data)) {
			t.Errorf("%s: Consumed %d at the end, want the file's %d bytes", c.name, got, len(c.data))
		}
		src.Close()
	}
}
