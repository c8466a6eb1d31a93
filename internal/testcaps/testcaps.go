// Package testcaps gives tests the captures under testdata and their
// packets. (capture's own internal tests cannot import it: it imports
// capture.)
package testcaps

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/flowverify/flowverify/capture"
)

// Paths lists every capture under the repository's testdata: classic
// pcap, pcapng and gzipped pcap. Fewer than twenty means the tree is not
// what the tests expect, and fails the test.
func Paths(t testing.TB) []string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(here), "..", "..", "testdata")
	var paths []string
	for _, glob := range []string{"*/*.pcap", "*/*.pcapng", "*/*.pcap.gz"} {
		m, err := filepath.Glob(filepath.Join(root, glob))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	if len(paths) < 20 {
		t.Fatalf("only %d captures under %s", len(paths), root)
	}
	return paths
}

// Packets decodes every packet of srcs, merged, with Next; each packet
// owns a copy of its payload.
func Packets(t testing.TB, srcs ...*capture.FileSource) []capture.Packet {
	t.Helper()
	out, _ := Read(t, srcs...)
	return out
}

// Read is Packets, and the inputs' statistics (counts, damage) as the
// merger left them; it closes the sources.
func Read(t testing.TB, srcs ...*capture.FileSource) ([]capture.Packet, []*capture.InputStats) {
	t.Helper()
	m := capture.NewMerger(srcs)
	defer m.Close()
	var out []capture.Packet
	var p capture.Packet
	for m.Next(&p) == nil {
		q := p
		q.Payload = bytes.Clone(p.Payload)
		out = append(out, q)
	}
	return out, m.Stats()
}

// Sources opens captures held in memory, named name+"a", name+"b", ...
func Sources(t testing.TB, name string, files ...[]byte) []*capture.FileSource {
	t.Helper()
	var srcs []*capture.FileSource
	for k, data := range files {
		src, err := capture.NewSource(name+string(rune('a'+k)), bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	return srcs
}

// Bytes is what write writes: a capture generated in memory (synth's
// writers).
func Bytes(t testing.TB, write func(io.Writer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Scaled is n, or a tenth of it under -short: for the size of a
// generated capture that a differential test (two ways over the same
// bytes must agree) reads, which at a tenth still spans many batches
// and runs in a tenth of the time.
func Scaled(n int) int {
	if testing.Short() {
		return n / 10
	}
	return n
}

// Frame is one packet of a recorded capture as libpcap hands it over:
// what a live source's batches hold, before any decoding.
type Frame struct {
	Data []byte
	TS   time.Time
	Wire int
}

// Frames reads a classic pcap's packets raw, with its link type.
func Frames(t testing.TB, path string) ([]Frame, capture.LinkType) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(bufio.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	var out []Frame
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		out = append(out, Frame{data, ci.Timestamp, ci.Length})
	}
	return out, capture.LinkType(r.LinkType())
}
