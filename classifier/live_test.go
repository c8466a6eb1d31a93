package classifier

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/testcaps"
	"github.com/flowverify/flowverify/report"
)

// fakeLive is a live source the test drives: every batch it hands over
// waits for the loop to take it, and Stats reports the drops the test set
// before its tick.
type fakeLive struct {
	batches  chan *capture.Batch
	released int
	drops    uint64
}

func (l *fakeLive) Batches() <-chan *capture.Batch { return l.batches }
func (l *fakeLive) Release(b *capture.Batch)       { b.Reset(); l.released++ }
func (l *fakeLive) Stats() []capture.IfaceStats {
	return []capture.IfaceStats{{Name: "e0", Link: capture.LinkEthernet, Packets: 1, Dropped: l.drops}}
}

// liveRun is what the loop's hooks saw. The hooks run on the loop's
// goroutine; the test reads this only after a later hand-over to the
// loop, which orders the two.
type liveRun struct {
	events    []report.Event
	stats     int
	summaries []map[string]matrix.Status
	recorded  [][]byte
	recordErr error
}

var errDiskFull = errors.New("disk full")

func (lr *liveRun) hooks(mo *Monitor, failAt int) LiveHooks {
	return LiveHooks{
		Record: func(data []byte, ts int64, wire, input int) error {
			if len(lr.recorded) == failAt {
				return errDiskFull
			}
			lr.recorded = append(lr.recorded, append([]byte(nil), data...))
			return nil
		},
		RecordFailed: func(err error) {
			if lr.recordErr != nil {
				panic("RecordFailed twice")
			}
			lr.recordErr = err
		},
		Events: func(evs []report.Event) { lr.events = append(lr.events, evs...) },
		Stats:  func([]capture.IfaceStats) { lr.stats++ },
		Summary: func() {
			r, _, err := mo.Report("test", false, 0)
			if err != nil {
				panic(err)
			}
			st := map[string]matrix.Status{}
			for _, rr := range r.Rules {
				st[rr.ID] = rr.Status
			}
			lr.summaries = append(lr.summaries, st)
		},
	}
}

// TestMonitorRunsLiveOnBatches runs a monitor's live loop over the lab's
// recorded capture handed over in batches, as libpcap would, with an
// injected clock and ticks: the findings are those of the same packets
// fed to a monitor directly, each once; the window slides with the clock
// on a silent link; drops that rose are reported; recording stops at its
// first error; every batch goes back to the source.
func TestMonitorRunsLiveOnBatches(t *testing.T) {
	frames, link := testcaps.Frames(t, "../testdata/real/lab-site.pcap")
	m, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const window = time.Minute
	// Flows idle out within the window, so the window empties in two.
	m.Limits.TCPTimeout, m.Limits.UDPTimeout = 20*time.Second, 20*time.Second
	servers := []netip.Addr{netip.MustParseAddr("10.99.0.10")}
	clock := &testClock{t: frames[0].TS}
	mo := NewMonitor(m, MonitorConfig{Window: window, Servers: servers, ServerSource: matrix.ServerFromFlag, Clock: clock.now})
	src := &fakeLive{batches: make(chan *capture.Batch)}
	evTicks, sumTicks, control := make(chan time.Time), make(chan time.Time), make(chan func())
	var lr liveRun
	const failAt = 150
	done := make(chan struct{})
	go func() {
		defer close(done)
		mo.RunLive(src, LiveTimes{eventTicks: evTicks, summaryTicks: sumTicks}, control, lr.hooks(mo, failAt))
	}()
	// sync hands the loop a no-op: once it has run, what the loop did
	// before is done and visible here, and the test may move the clock.
	sync := func() { control <- func() {} }

	// The reference: the same packets, ticks and clock, fed directly.
	refClock := &testClock{t: frames[0].TS}
	ref := NewMonitor(m, MonitorConfig{Window: window, Servers: servers, ServerSource: matrix.ServerFromFlag, Clock: refClock.now})
	var want []report.Event
	dec := capture.NewDecoder()
	var p capture.Packet

	batches, lastTick := 0, frames[0].TS
	for i := 0; i < len(frames); {
		b := capture.NewBatch(1<<16, 16)
		first := i
		for i < len(frames) && len(b.Records) < 16 && b.Add(frames[i].Data, capture.Record{TS: frames[i].TS.UnixNano(), Wire: frames[i].Wire, Link: link}) {
			i++
		}
		// The capture hands a batch over a moment after its last packet.
		clock.t = frames[i-1].TS.Add(50 * time.Millisecond)
		src.batches <- b
		sync()
		batches++
		refClock.t = clock.t
		for _, fr := range frames[first:i] {
			p = capture.Packet{Timestamp: fr.TS.UnixNano(), WireLen: fr.Wire}
			if err := dec.Decode(link, fr.Data, &p); err != nil {
				p.IsIP = false
			}
			ref.Packet(&p)
		}
		if clock.t.Sub(lastTick) >= 2*time.Second {
			evTicks <- clock.t
			sync()
			want = append(want, ref.Events(nil)...)
			lastTick = clock.t
		}
	}
	sumTicks <- clock.t
	sync()
	if len(lr.summaries) != 1 {
		t.Fatalf("%d summaries after one tick", len(lr.summaries))
	}
	for id, st := range map[string]matrix.Status{"syslog-in": matrix.StatusOK, "adws-out": matrix.StatusBlocked, "rpc-dynamic-out": matrix.StatusOK} {
		if got := lr.summaries[0][id]; got != st {
			t.Errorf("%s %s with the capture in the window, want %s", id, got, st)
		}
	}
	if len(lr.events) != len(want) {
		t.Errorf("%d events live, %d fed directly", len(lr.events), len(want))
	}
	for i := range min(len(lr.events), len(want)) {
		if !reflect.DeepEqual(lr.events[i], want[i]) {
			t.Errorf("event %d live %+v,\nfed directly %+v", i, lr.events[i], want[i])
		}
	}
	count := map[string]int{}
	for _, e := range lr.events {
		count[e.Type.String()+" "+e.Rule+" "+e.Responder]++
	}
	for _, k := range []string{"flow_blocked adws-out 10.99.0.21:9389", "unexpected_first_seen  10.99.0.21:3268"} {
		if count[k] != 1 {
			t.Errorf("%d events %q, want 1 (%v)", count[k], k, count)
		}
	}

	// Silence: the clock alone moves the window on. Drops rise once.
	seen := len(lr.events)
	for end := clock.t.Add(2 * window); clock.t.Before(end); {
		clock.step(2 * time.Second)
		if clock.t.After(end.Add(-window / 2)) {
			src.drops = 7
		}
		evTicks <- clock.t
		sync()
	}
	sumTicks <- clock.t
	sync()
	var drops []report.Event
	for _, e := range lr.events[seen:] {
		if e.Type == report.EventDropsRose {
			drops = append(drops, e)
		} else {
			t.Errorf("event %+v on a silent link", e)
		}
	}
	if len(drops) != 1 || drops[0].Interface != "e0" || drops[0].Drops != 7 {
		t.Errorf("drop events %+v, want one of 7 on e0", drops)
	}
	for _, id := range []string{"syslog-in", "adws-out"} {
		if got := lr.summaries[1][id]; got != matrix.StatusMissing {
			t.Errorf("%s %s two windows after its flows, want missing", id, got)
		}
	}

	close(src.batches)
	<-done
	if src.released != batches {
		t.Errorf("%d of %d batches released", src.released, batches)
	}
	if lr.stats == 0 {
		t.Error("the Stats hook never ran")
	}
	if !errors.Is(lr.recordErr, errDiskFull) || len(lr.recorded) != failAt {
		t.Errorf("recording failed with %v after %d packets, want %v after %d", lr.recordErr, len(lr.recorded), errDiskFull, failAt)
	}
	for i := range lr.recorded {
		if !bytes.Equal(lr.recorded[i], frames[i].Data) {
			t.Fatalf("recorded packet %d differs from the capture's", i)
		}
	}
}
