package capture_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// splitCapture cuts a capture into pieces of per records each, as a
// rotating capture writes them; every third piece is gzipped.
func splitCapture(t *testing.T, data []byte, per int, dir string) []string {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var w *pcapgo.Writer
	var buf bytes.Buffer
	flush := func() {
		if w == nil {
			return
		}
		name := filepath.Join(dir, fmt.Sprintf("part-%04d.pcap", len(names)))
		out := buf.Bytes()
		if len(names)%3 == 2 {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write(out)
			zw.Close()
			out, name = z.Bytes(), name+".gz"
		}
		if err := os.WriteFile(name, out, 0o600); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		w = nil
	}
	for i := 0; ; i++ {
		d, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if i%per == 0 {
			flush()
			buf.Reset()
			w = pcapgo.NewWriter(&buf)
			w.WriteFileHeader(65535, layers.LinkTypeEthernet)
		}
		w.WritePacket(ci, d)
	}
	flush()
	return names
}

// openIn counts this process's descriptors open on files in dir.
func openIn(dir string) int {
	fds, _ := os.ReadDir("/proc/self/fd")
	n := 0
	for _, fd := range fds {
		if to, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(to, dir) {
			n++
		}
	}
	return n
}

type mergedPacket struct {
	ts    int64
	input int
	wire  int
}

func mergeAll(t *testing.T, srcs []*capture.FileSource, dir string) ([]mergedPacket, []capture.InputStats, int) {
	t.Helper()
	m := capture.NewMerger(srcs)
	defer m.Close()
	var out []mergedPacket
	var p capture.Packet
	most := 0
	for m.Next(&p) == nil {
		out = append(out, mergedPacket{p.Timestamp, p.Input, p.WireLen})
		if dir != "" && len(out)%7 == 0 {
			most = max(most, openIn(dir))
		}
	}
	var st []capture.InputStats
	for _, s := range m.Stats() {
		s.Finish()
		st = append(st, *s)
	}
	return out, st, most
}

// TestManyFilesOpenOneAtATime: 60 files of a rotation (some gzipped) are
// merged with at most two of them open at a time, and the merge gives
// the packets, their order and every input's figures exactly as when
// all of them are held open.
func TestManyFilesOpenOneAtATime(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts descriptors through /proc/self/fd")
	}
	dir := t.TempDir()
	day, err := os.ReadFile("../testdata/sample/threatmanager-day.pcap")
	if err != nil {
		t.Fatal(err)
	}
	names := splitCapture(t, day, 45, dir)
	if len(names) <= capture.ParkAbove {
		t.Fatalf("only %d files", len(names))
	}
	var held []*capture.FileSource
	for _, n := range names {
		data, _ := os.ReadFile(n)
		s, err := capture.NewSource(n, bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, s)
	}
	want, wantStats, _ := mergeAll(t, held, "")

	var parked []*capture.FileSource
	for _, n := range names {
		s, err := capture.OpenFile(n)
		if err != nil {
			t.Fatal(err)
		}
		s.Park()
		if !s.Parked() {
			t.Fatalf("%s not parked", n)
		}
		parked = append(parked, s)
	}
	if n := openIn(dir); n != 0 {
		t.Fatalf("%d files open after parking all of them", n)
	}
	got, gotStats, most := mergeAll(t, parked, dir)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parked merge gave %d packets, want %d, or in another order", len(got), len(want))
	}
	for i := range wantStats {
		w, g := wantStats[i], gotStats[i]
		if g.Packets != w.Packets || g.Bytes != w.Bytes || g.First != w.First || g.Last != w.Last || g.Damage != nil {
			t.Errorf("%s: %d packets %d bytes %d-%d damage %v, want %d %d %d-%d", names[i], g.Packets, g.Bytes, g.First, g.Last, g.Damage,
				w.Packets, w.Bytes, w.First, w.Last)
		}
	}
	if most > 2 || most == 0 {
		t.Errorf("up to %d files open at once during the merge, want 1 or 2", most)
	}
	if n := openIn(dir); n != 0 {
		t.Errorf("%d files still open after the merge", n)
	}
}
