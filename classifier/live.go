package classifier

import (
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/report"
)

// LiveSource is a running capture (capture/live's, or a test's): batches
// of packets, handed back once read, and the interfaces' counters. Through
// it the engine runs live without linking libpcap.
type LiveSource interface {
	Batches() <-chan *capture.Batch
	Release(*capture.Batch)
	Stats() []capture.IfaceStats
}

// LiveHooks are how the live loop hands out what it finds. Every hook
// runs on the loop's goroutine, the monitor's only one, so a hook may use
// the monitor (Report, Table) freely. Nil hooks are skipped.
type LiveHooks struct {
	// Record keeps a packet (--write-pcap); after its first error the loop
	// records nothing more and reports the error to RecordFailed.
	Record       func(data []byte, ts int64, wire, input int) error
	RecordFailed func(error)
	// Events receives findings as they happen.
	Events func([]report.Event)
	// Stats receives the interfaces' counters at every look for findings.
	Stats func([]capture.IfaceStats)
	// Summary runs every summary interval.
	Summary func()
}

// LiveTimes sets how often the live loop looks for findings and sums up.
// eventTicks and summaryTicks, when set, are the ticks themselves in
// place of tickers on the intervals: a test decides when the loop looks,
// and no test waits on the wall clock.
type LiveTimes struct {
	Events  time.Duration
	Summary time.Duration

	eventTicks, summaryTicks <-chan time.Time
}

// ticks is given, or a ticker every d and how to stop it.
func ticks(d time.Duration, given <-chan time.Time) (<-chan time.Time, func()) {
	if given != nil {
		return given, func() {}
	}
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// RunLive decodes every packet src delivers into the monitor until src
// closes its batches (its context ended), looking for findings and summing
// up on the given intervals. Functions sent on control run on the loop
// between batches: that is how a matrix reload reaches the monitor.
func (mo *Monitor) RunLive(src LiveSource, times LiveTimes, control <-chan func(), h LiveHooks) {
	dec := capture.NewDecoder()
	var pkt capture.Packet
	eventTick, stopEvents := ticks(times.Events, times.eventTicks)
	defer stopEvents()
	summaryTick, stopSummary := ticks(times.Summary, times.summaryTicks)
	defer stopSummary()
	record := h.Record
	batches := src.Batches()
	for batches != nil {
		select {
		case b, ok := <-batches:
			if !ok {
				batches = nil
				continue
			}
			if err := mo.decodeBatch(b, dec, &pkt, record); err != nil {
				record = nil
				if h.RecordFailed != nil {
					h.RecordFailed(err)
				}
			}
			src.Release(b)
		case <-eventTick:
			stats := src.Stats()
			if h.Events != nil {
				h.Events(mo.Events(stats))
			}
			if h.Stats != nil {
				h.Stats(stats)
			}
		case <-summaryTick:
			if h.Summary != nil {
				h.Summary()
			}
		case fn := <-control:
			fn()
		}
	}
}

// decodeBatch feeds one batch to the monitor and, when record is set,
// keeps every packet; it returns the first recording error.
func (mo *Monitor) decodeBatch(b *capture.Batch, dec *capture.Decoder, pkt *capture.Packet, record func([]byte, int64, int, int) error) error {
	var recErr error
	for i := range b.Records {
		rec := &b.Records[i]
		data := b.Data(rec)
		pkt.Timestamp, pkt.WireLen, pkt.Input = rec.TS, rec.Wire, rec.Input
		if err := dec.Decode(rec.Link, data, pkt); err != nil && err != capture.ErrNotIP {
			pkt.IsIP = false
		}
		mo.Packet(pkt)
		if record != nil && recErr == nil {
			if err := record(data, rec.TS, rec.Wire, rec.Input); err != nil {
				recErr = err
			}
		}
	}
	return recErr
}
