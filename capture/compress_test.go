package capture_test

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func zstdBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return buf.Bytes()
}

func xzBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return buf.Bytes()
}

// readSource reads every packet of one source.
func readSource(t *testing.T, s *capture.FileSource) ([]capture.Packet, *capture.InputStats) {
	t.Helper()
	m := capture.NewMerger([]*capture.FileSource{s})
	defer m.Close()
	var out []capture.Packet
	var p capture.Packet
	for m.Next(&p) == nil {
		q := p
		q.Payload = append([]byte(nil), p.Payload...)
		out = append(out, q)
	}
	return out, m.Stats()[0]
}

// TestCompressedByContent: zstd and xz captures read packet for packet as
// the plain file, told by their bytes whatever the file is called; a cut
// zstd stream is damage at a decompressed offset.
func TestCompressedByContent(t *testing.T) {
	plain := scenarioBytes(t, "all-good", nil)
	want, _ := readSource(t, mustSource(t, plain))
	for _, c := range []struct {
		kind string
		data []byte
	}{
		{capture.CompressZstd, zstdBytes(t, plain)},
		{capture.CompressXZ, xzBytes(t, plain)},
	} {
		// Named .pcap: the extension says nothing.
		path := filepath.Join(t.TempDir(), "renamed.pcap")
		os.WriteFile(path, c.data, 0o644)
		s, err := capture.OpenFile(path)
		if err != nil {
			t.Fatalf("%s: %v", c.kind, err)
		}
		if s.Compression() != c.kind {
			t.Errorf("%s read as %q", c.kind, s.Compression())
		}
		got, st := readSource(t, s)
		if !reflect.DeepEqual(got, want) || st.Damage != nil {
			t.Errorf("%s: %d packets (damage %v), plain %d", c.kind, len(got), st.Damage, len(want))
		}
	}
	// Two blocks (a flush between them), the second cut short.
	var buf bytes.Buffer
	w, _ := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	w.Write(plain[:len(plain)/2])
	w.Flush()
	first := buf.Len()
	w.Write(plain[len(plain)/2:])
	w.Close()
	cut := buf.Bytes()[:first+(buf.Len()-first)/2]
	got, st := readSource(t, mustSource(t, cut))
	if len(got) == 0 {
		t.Error("nothing read before the cut")
	}
	if st.Damage == nil || st.Damage.Comp != capture.CompressZstd {
		t.Errorf("a cut zstd stream: damage %v", st.Damage)
	}
}

func mustSource(t *testing.T, data []byte) *capture.FileSource {
	t.Helper()
	s, err := capture.NewSource("test", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestZipMembers: each member of a zip archive is an input of its own,
// named archive.zip:member, compressed members too; a member that is no
// capture is marked, not lost.
func TestZipMembers(t *testing.T) {
	a, b := scenarioBytes(t, "all-good", nil), scenarioBytes(t, "firewall-9389", nil)
	path := filepath.Join(t.TempDir(), "from-customer.bin")
	f, _ := os.Create(path)
	zw := zip.NewWriter(f)
	for _, m := range []struct {
		name string
		data []byte
	}{{"day1/a.pcap", a}, {"day1/b.pcap.zst", zstdBytes(t, b)}, {"README.txt", []byte("captured on the TM server\n")}} {
		w, _ := zw.Create(m.name)
		w.Write(m.data)
	}
	zw.Close()
	f.Close()
	ins, err := capture.OpenInputs(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 3 {
		t.Fatalf("%d inputs, want 3", len(ins))
	}
	for i, want := range [][]byte{a, b} {
		in := ins[i]
		if in.Err != nil || in.Name != path+":"+[]string{"day1/a.pcap", "day1/b.pcap.zst"}[i] {
			t.Fatalf("member %d: %+v", i, in)
		}
		got, st := readSource(t, in.Source)
		exp, _ := readSource(t, mustSource(t, want))
		if !reflect.DeepEqual(got, exp) || st.Damage != nil {
			t.Errorf("%s: %d packets, want %d", in.Name, len(got), len(exp))
		}
		in.Source.Close()
	}
	if !ins[2].NotCapture || ins[2].Name != path+":README.txt" {
		t.Errorf("README member: %+v", ins[2])
	}
}
