package flow

import (
	"bytes"
	"hash/fnv"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
)

// trace is everything a table tells its user: the flows as they end, the
// payload it hands to recognition, and the counters.
type trace struct {
	ended    []Flow
	payloads []uint64
	c        Counters
	live     []Flow // what Each showed before Flush
	embryos  int32  // embryo slots the table had used by then
}

func run(pkts []capture.Packet, cfg Config, feed func(*Table, []capture.Packet)) trace {
	var tr trace
	tb := NewTable(cfg)
	tb.OnEnd = func(f *Flow) { tr.ended = append(tr.ended, *f) }
	calls := 0
	tb.OnPayload = func(f *Flow, pl *Payload) bool {
		h := fnv.New64a()
		h.Write(f.Key.A[:])
		h.Write(pl.Dir[Orig].Bytes())
		h.Write(pl.Dir[Resp].Bytes())
		tr.payloads = append(tr.payloads, h.Sum64())
		calls++
		return calls%3 == 0 // some flows stop early, some keep feeding
	}
	feed(tb, pkts)
	tb.Each(func(f *Flow) { tr.live = append(tr.live, *f) })
	tr.embryos = tb.emb4.n + tb.emb6.n
	tb.Flush()
	tr.c = tb.C
	return tr
}

type tableInput struct {
	name string
	pkts []capture.Packet
	cfg  Config
}

// tableInputs are every capture in testdata, a generated mix, and a flood
// that grows the index many times over and, with a small cap, evicts.
func tableInputs(t *testing.T) []tableInput {
	var inputs []tableInput
	for _, p := range testcaps.Paths(t) {
		src, err := capture.OpenFile(p)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, tableInput{filepath.Base(p), testcaps.Packets(t, src), DefaultConfig()})
	}
	for _, g := range []struct {
		name  string
		write func(*bytes.Buffer) error
		cap   int
	}{
		{"mix", func(b *bytes.Buffer) error { return synth.WriteMix(b, 20000, 3) }, 0},
		{"flood", func(b *bytes.Buffer) error { return synth.WriteFlood(b, 30000, 3) }, 0},
		{"flood-capped", func(b *bytes.Buffer) error { return synth.WriteFlood(b, 30000, 4) }, 5000},
	} {
		var buf bytes.Buffer
		if err := g.write(&buf); err != nil {
			t.Fatal(err)
		}
		src, err := capture.NewSource(g.name, bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.MaxFlows = g.cap
		inputs = append(inputs, tableInput{g.name, testcaps.Packets(t, src), cfg})
	}
	return inputs
}

// AddBatch, and AddKeyed with keys worked out beforehand, must account
// packets exactly as Add does one by one, whatever the batch size and
// whether or not the input says how much is left (Expect): over every
// capture in testdata, a generated mix and a flood that grows the index
// many times over (slots prefetched before a growth are stale by the time
// they are used) and, with a small cap, evicts.
func TestAddBatchMatchesAdd(t *testing.T) {
	inputs := tableInputs(t)
	one := func(tb *Table, pkts []capture.Packet) {
		for i := range pkts {
			tb.Add(&pkts[i])
		}
	}
	for _, in := range inputs {
		want := run(in.pkts, in.cfg, one)
		if len(want.ended) == 0 {
			t.Fatalf("%s: no flows", in.name)
		}
		if in.cfg.MaxFlows > 0 && in.cfg.MaxFlows < DefaultConfig().MaxFlows && want.c.Evicted == 0 {
			t.Fatalf("%s: the cap evicted nothing", in.name)
		}
		for _, size := range []int{1, 3, batchAhead, 128, 1024, -1, -1024} {
			got := run(in.pkts, in.cfg, func(tb *Table, pkts []capture.Packet) {
				keys := make([]Keyed, 1024)
				for len(pkts) > 0 {
					if size == 128 || size == -1024 {
						// as a file's pipeline does: the index then grows
						// by projection, not by doubling
						tb.Expect(uint64(len(pkts)))
					}
					if size < 0 {
						// AddKeyed, keys worked out beforehand as the pipeline does
						n := min(-size, len(pkts))
						for i := range pkts[:n] {
							keys[i].Of(&pkts[i])
						}
						tb.AddKeyed(pkts[:n], keys[:n])
						pkts = pkts[n:]
						continue
					}
					n := min(size, len(pkts))
					tb.AddBatch(pkts[:n])
					pkts = pkts[n:]
				}
			})
			if !reflect.DeepEqual(got.c, want.c) {
				t.Fatalf("%s, batches of %d (negative: AddKeyed): counters %+v, one by one %+v", in.name, size, got.c, want.c)
			}
			if !reflect.DeepEqual(got.payloads, want.payloads) {
				t.Fatalf("%s, batches of %d: recognition was fed differently", in.name, size)
			}
			if len(got.ended) != len(want.ended) {
				t.Fatalf("%s, batches of %d: %d flows, one by one %d", in.name, size, len(got.ended), len(want.ended))
			}
			for i := range got.ended {
				if got.ended[i] != want.ended[i] {
					t.Fatalf("%s, batches of %d: flow %d differs:\n%+v\n%+v", in.name, size, i, got.ended[i], want.ended[i])
				}
			}
		}
	}
}

// After Flush the table starts its pages over; a second pass over the
// same packets must end the very same flows.
func TestTableReusableAfterFlush(t *testing.T) {
	src, err := capture.OpenFile("../../testdata/sample/threatmanager-day.pcap")
	if err != nil {
		t.Fatal(err)
	}
	pkts := testcaps.Packets(t, src)
	tb := NewTable(DefaultConfig())
	var ended []Flow
	tb.OnEnd = func(f *Flow) { ended = append(ended, *f) }
	tb.AddBatch(pkts)
	tb.Flush()
	first := ended
	ended = nil
	// The packet clock runs on: replay an hour after the first pass ended.
	off := pkts[len(pkts)-1].Timestamp - pkts[0].Timestamp + int64(time.Hour)
	for i := range pkts {
		pkts[i].Timestamp += off
	}
	tb.AddBatch(pkts)
	tb.Flush()
	for i := range ended {
		ended[i].First -= off
		ended[i].Last -= off
	}
	if len(first) == 0 || !reflect.DeepEqual(first, ended) {
		t.Fatalf("the second pass ended %d flows unlike the first's %d", len(ended), len(first))
	}
	if tb.Len() != 0 {
		t.Fatalf("%d flows left after Flush", tb.Len())
	}
}
