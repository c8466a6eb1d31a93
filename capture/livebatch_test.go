package capture_test

import (
	"bytes"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/internal/testcaps"
)

// TestBatchHoldsPacketsUntilFull fills batches of a few arena sizes with
// the frames of a real capture, as the live capture does: a batch takes
// packets while their bytes fit, refuses the first that does not and
// keeps what it took unchanged; a reset batch starts empty.
func TestBatchHoldsPacketsUntilFull(t *testing.T) {
	raw, _ := testcaps.Frames(t, "../testdata/real/lab-site.pcap")
	var frames [][]byte
	for _, fr := range raw {
		frames = append(frames, fr.Data)
	}
	if len(frames) < 50 {
		t.Fatalf("%d frames in lab-site.pcap", len(frames))
	}
	for _, size := range []int{1514, 4096, 1 << 16} {
		b := capture.NewBatch(size, 8)
		next := 0
		for round := 0; next < len(frames); round++ {
			first, used := next, 0
			for next < len(frames) && b.Add(frames[next], capture.Record{TS: int64(next), Input: round}) {
				used += len(frames[next])
				next++
			}
			if used > size {
				t.Fatalf("arena %d: a batch took %d bytes", size, used)
			}
			if next < len(frames) && used+len(frames[next]) <= size {
				t.Fatalf("arena %d: packet %d (%d bytes) refused with %d of %d bytes used", size, next, len(frames[next]), used, size)
			}
			if len(b.Records) != next-first || (len(b.Records) == 0 && next < len(frames)) {
				t.Fatalf("arena %d: %d records for packets %d..%d", size, len(b.Records), first, next)
			}
			for i := range b.Records {
				rec := &b.Records[i]
				if rec.TS != int64(first+i) || rec.Input != round || !bytes.Equal(b.Data(rec), frames[first+i]) {
					t.Fatalf("arena %d: record %d of round %d holds packet %d, not %d", size, i, round, rec.TS, first+i)
				}
			}
			b.Reset()
			if len(b.Records) != 0 {
				t.Fatalf("a reset batch holds %d records", len(b.Records))
			}
		}
	}
}
