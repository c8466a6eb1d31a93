package capture_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
)

// readBatches decodes with NextBatch and checks, once each batch is
// complete, that every packet of it (payload bytes included) is still the
// one Next gave: the contract is that nothing of a batch moves until the
// next call. It returns how many batches ended short of full before the
// end of input, and the longest batch.
func readBatches(t testing.TB, srcs []*capture.FileSource, want []capture.Packet, size int) (short, longest int) {
	t.Helper()
	m := capture.NewMerger(srcs)
	defer m.Close()
	pkts := make([]capture.Packet, size)
	i := 0
	for {
		n := m.NextBatch(pkts)
		if n == 0 {
			break
		}
		for k := 0; k < n; k++ {
			if i+k >= len(want) {
				t.Fatalf("NextBatch gave more than %d packets", len(want))
			}
			got, exp := pkts[k], want[i+k]
			if !bytes.Equal(got.Payload, exp.Payload) {
				t.Fatalf("packet %d (batch position %d of %d): payload changed before the batch ended", i+k, k, n)
			}
			got.Payload, exp.Payload = nil, nil
			if !reflect.DeepEqual(got, exp) {
				t.Fatalf("packet %d: NextBatch %+v, Next %+v", i+k, got, exp)
			}
		}
		i += n
		if n < size && i < len(want) {
			short++
		}
		longest = max(longest, n)
	}
	if i != len(want) {
		t.Fatalf("NextBatch gave %d packets, Next %d", i, len(want))
	}
	return short, longest
}

func openAll(t testing.TB, names ...string) []*capture.FileSource {
	t.Helper()
	var srcs []*capture.FileSource
	for _, n := range names {
		s, err := capture.OpenFile(n)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, s)
	}
	return srcs
}

// A generated mix several read buffers long, plain and gzipped, so that
// batches cross buffer refills; then every capture in testdata, and two
// files merged.
func TestNextBatchMatchesNext(t *testing.T) {
	dir := t.TempDir()
	var mix bytes.Buffer
	if err := synth.WriteMix(&mix, 40000, 7); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "mix.pcap")
	if err := os.WriteFile(plain, mix.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "mix.pcap.gz")
	f, err := os.Create(gz)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(bufio.NewWriter(f))
	zw.Write(mix.Bytes())
	zw.Close()
	f.Close()
	if mix.Len() < 3<<20 {
		t.Fatalf("the mix is %d bytes: too small to cross read-buffer refills", mix.Len())
	}
	for _, name := range []string{plain, gz} {
		want := testcaps.Packets(t, openAll(t, name)...)
		short, _ := readBatches(t, openAll(t, name), want, 128)
		if short == 0 {
			t.Errorf("%s: no batch ended at a buffer refill; the test does not reach the case it is for", name)
		}
	}

	for _, p := range testcaps.Paths(t) {
		want := testcaps.Packets(t, openAll(t, p)...)
		for _, size := range []int{1, 5, 128} {
			readBatches(t, openAll(t, p), want, size)
		}
	}
	// Two inputs whose packets interleave: the mix and a copy of it.
	dup := filepath.Join(dir, "dup.pcap")
	if err := os.WriteFile(dup, mix.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	two := []string{plain, dup}
	short, longest := readBatches(t, openAll(t, two...), testcaps.Packets(t, openAll(t, two...)...), 64)
	if short == 0 || longest < 64 {
		t.Errorf("merged inputs: %d batches cut at a refill, longest %d: the test does not reach the case it is for", short, longest)
	}
}

func TestNextBatchDoesNotAllocate(t *testing.T) {
	srcs := openAll(t, "../testdata/sample/threatmanager-day.pcap")
	m := capture.NewMerger(srcs)
	defer m.Close()
	pkts := make([]capture.Packet, 64)
	m.NextBatch(pkts) // the first read fills the buffer
	read := 0
	allocs := testing.AllocsPerRun(20, func() { read += m.NextBatch(pkts) })
	if read < 20*len(pkts)/2 {
		t.Fatalf("only %d packets read: the capture is too short for the test", read)
	}
	if allocs != 0 {
		t.Fatalf("%.1f allocations per batch", allocs)
	}
}
