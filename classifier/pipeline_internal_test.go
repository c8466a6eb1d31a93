package classifier

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
)

func TestPacketsLeft(t *testing.T) {
	for _, c := range []struct {
		size, read int64
		n, want    uint64
	}{
		{1000, 100, 10, 90},                        // a tenth read: nine times as many to come
		{1000, 500, 7, 7},                          // half
		{1000, 1000, 50, 0},                        // all read
		{1000, 1200, 50, 0},                        // read past the size (a file growing): nothing known
		{0, 100, 10, 0},                            // a pipe: size unknown
		{1000, 0, 0, 0},                            // nothing read yet
		{1000, 100, 0, 0},                          // bytes but no packet yet (the file header)
		{1 << 40, 1 << 20, 1 << 14, 1<<34 - 1<<14}, // a terabyte capture: no overflow
	} {
		if got := packetsLeft(c.size, c.read, c.n); got != c.want {
			t.Errorf("packetsLeft(%d, %d, %d) = %d, want %d", c.size, c.read, c.n, got, c.want)
		}
	}
}

// Both ways of reading a file tell the flow table how much is left, so a
// flood grows its index once or twice rather than once per doubling; a
// mix, whose flows come and go, never outgrows the first array.
func TestAnalyzeTellsTableWhatIsLeft(t *testing.T) {
	flood := testcaps.Bytes(t, func(w io.Writer) error { return synth.WriteFlood(w, 100000, 5) })
	mix := testcaps.Bytes(t, func(w io.Writer) error { return synth.WriteMix(w, 50000, 5) })
	m, err := matrix.Load(matrix.LoadOptions{Server: []string{"10.20.0.10"}})
	if err != nil {
		t.Fatal(err)
	}
	// A compressed file is measured by the compressed bytes read from disk.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(flood); err != nil || zw.Close() != nil {
		t.Fatal("gzip", err)
	}
	gzPath := filepath.Join(t.TempDir(), "flood.pcap.gz")
	if err := os.WriteFile(gzPath, gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		data     []byte
		path     string
		maxGrows int
	}{{"flood", flood, "", 2}, {"mix", mix, "", 0}, {"flood.pcap.gz", nil, gzPath, 2}} {
		for _, pipeline := range []bool{false, true} {
			var srcs []*capture.FileSource
			if c.path != "" {
				src, err := capture.OpenFile(c.path)
				if err != nil {
					t.Fatal(err)
				}
				srcs = []*capture.FileSource{src}
			} else {
				srcs = testcaps.Sources(t, c.name, c.data)
			}
			_, an, err := analyze(m, srcs, nil, Options{Version: "test", Pipeline: pipeline}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if g := an.rec.table.IndexGrowths(); g > c.maxGrows {
				t.Errorf("%s (pipelined: %v): the index grew %d times, want at most %d", c.name, pipeline, g, c.maxGrows)
			}
		}
	}
}

// A batch pool makes batches only when none is free, never more than its
// bound: the next one after that is the first handed back.
func TestBatchesMadeWhenNeeded(t *testing.T) {
	p := newBatches[[64]byte](3)
	a := p.get()
	p.put(a)
	if b := p.get(); b != a || p.made != 1 {
		t.Fatalf("a free batch was not reused (%d made)", p.made)
	}
	b, c := p.get(), p.get()
	if a == b || b == c || a == c || p.made != 3 {
		t.Fatalf("%d made for three batches in use", p.made)
	}
	got := make(chan *[64]byte)
	go func() { got <- p.get() }()
	p.put(b)
	if d := <-got; d != b || p.made != 3 {
		t.Fatalf("past the bound get made a batch (%d made) instead of waiting for one", p.made)
	}
}
