// Why: reading and decoding, and flows and judging, each fill a core; on
// two cores they run side by side and hand batches across.

package classifier

import (
	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
)

// Options tune an offline run.
type Options struct {
	WithFlows bool   // list every flow
	Version   string // tool version for the report
	Progress  Progress
	// Pipeline splits reading+decoding and flows+judging over two
	// goroutines, handing batches across; the result is identical.
	Pipeline bool
}

// Progress is told the bytes read from disk and the packets seen so far.
type Progress func(bytes int64, packets uint64)

// AnalyzeSources runs the offline pipeline over opened sources: merge in
// time order, decode, build flows, judge them. unread lists inputs that
// could not be opened, so the report still names them.
func AnalyzeSources(m *matrix.Matrix, srcs []*capture.FileSource, unread []*capture.InputStats, withFlows bool, version string) (*report.Report, error) {
	return Analyze(m, srcs, unread, Options{WithFlows: withFlows, Version: version})
}

// Analyze is AnalyzeSources with options.
func Analyze(m *matrix.Matrix, srcs []*capture.FileSource, unread []*capture.InputStats, o Options) (*report.Report, error) {
	r, _, err := analyze(m, srcs, unread, o, nil)
	return r, err
}

// analyze is Analyze, handing the analyzer to tests too; tune, when set,
// may change the analyzer and its table before the first packet (tests and
// benchmarks switch recognition or the named-port shortcut off with it).
func analyze(m *matrix.Matrix, srcs []*capture.FileSource, unread []*capture.InputStats, o Options, tune func(*analyzer, *flow.Table)) (*report.Report, *analyzer, error) {
	run := &offlineRun{srcs: srcs, merger: capture.NewMerger(srcs), an: newAnalyzer(m), progress: o.Progress, size: inputSize(srcs)}
	defer run.merger.Close()
	var names []string
	for _, s := range srcs {
		names = append(names, s.Name())
	}
	run.an.listFlows(o.WithFlows, names)
	run.table = flow.NewTable(tableConfig(m))
	run.an.attach(run.table)
	if tune != nil {
		tune(run.an, run.table)
	}
	run.an.stream()
	if o.Pipeline {
		for _, s := range srcs {
			s.InflateAhead() // a third stage for compressed inputs
		}
		run.pipelined()
	} else {
		run.serial()
	}
	if o.Pipeline && run.an.agg != nil && !o.WithFlows {
		run.an.flushAhead(run.table) // the same report, on both cores
	} else {
		run.table.Flush()
	}
	inputs := append(run.merger.Stats(), unread...)
	r, err := run.an.report(meta{toolVersion: o.Version, inputs: inputs, table: run.table.C, withFlows: o.WithFlows})
	return r, run.an, err
}

// offlineRun is what the loops of an offline run share: the inputs in time
// order, the flow table they fill and the analyzer that judges its flows.
type offlineRun struct {
	srcs     []*capture.FileSource
	merger   *capture.Merger
	table    *flow.Table
	an       *analyzer
	progress Progress
	size     int64 // of all inputs on disk (inputSize)
}

func (run *offlineRun) readBytes() int64 {
	var b int64
	for _, s := range run.srcs {
		b += s.ReadBytes()
	}
	return b
}

// expect estimates the packets left after n; it is called where the
// sources are read, as Consumed requires.
func (run *offlineRun) expect(n uint64) uint64 {
	var done int64
	for _, s := range run.srcs {
		done += s.Consumed()
	}
	return packetsLeft(run.size, done, n)
}

// serial reads, decodes, builds flows and judges them in one goroutine.
func (run *offlineRun) serial() {
	// Small batches whose payloads stay in the read buffer let the
	// table look flows up ahead (see flow.Table.AddBatch) at no copy.
	pkts := make([]capture.Packet, 128)
	var n uint64
	for {
		k := run.merger.NextBatch(pkts)
		if k == 0 {
			break
		}
		run.table.Expect(run.expect(n + uint64(k))) // the sources are read past this batch
		run.table.AddBatch(pkts[:k])
		run.an.tick(run.table)
		n += uint64(k)
		if run.progress != nil && n&0xffff < uint64(k) {
			run.progress(run.readBytes(), n)
		}
	}
	if run.progress != nil {
		run.progress(run.readBytes(), n)
	}
}

// inputSize is the bytes of all inputs on disk, 0 if one's size is
// unknown (a pipe).
func inputSize(srcs []*capture.FileSource) int64 {
	var size int64
	for _, s := range srcs {
		if s.Size() <= 0 {
			return 0
		}
		size += s.Size()
	}
	return size
}

// packetsLeft estimates the packets still to come when n were read from
// the first read bytes of size, at the average size so far; 0 when that
// cannot be known. The flow table sizes its growth by it
// (flow.Table.Expect).
func packetsLeft(size, read int64, n uint64) uint64 {
	if size <= 0 || read <= 0 || read >= size || n == 0 {
		return 0
	}
	return uint64(float64(size-read) / float64(read) * float64(n))
}

// batchSize is how many decoded packets cross between the stages at once:
// one channel operation per batch, never per packet. A smaller batch has a
// stage wait (and be woken) more often; a larger one holds more memory in
// flight.
const batchSize = 1024

type packetBatch struct {
	pkts  [batchSize]capture.Packet
	keys  [batchSize]flow.Keyed
	n     int
	more  uint64 // packets still to come after this batch, an estimate (flow.Table.Expect)
	used  int    // of arena: payloads are packed, so a batch touches only as many bytes as they hold
	arena [batchSize * flow.PayloadBound]byte
}

// pipelined reads and decodes in one goroutine and keeps the flow table in
// this one.
func (run *offlineRun) pipelined() {
	full := make(chan *packetBatch, 4)
	free := newBatches[packetBatch](6)
	go run.read(full, free)
	for b := range full {
		run.table.Expect(b.more)
		run.table.AddKeyed(b.pkts[:b.n], b.keys[:b.n])
		run.an.tick(run.table)
		b.n, b.used, b.more = 0, 0, 0
		free.put(b)
	}
}

// read is the reading stage of pipelined: it fills batches from free and
// hands them over on full, which it closes at the end. A decoded packet's
// payload points into the reader's buffer, so the bytes recognition may
// look at (at most PayloadBound) are copied into the batch.
func (run *offlineRun) read(full chan<- *packetBatch, free *batches[packetBatch]) {
	defer close(full)
	var n uint64
	b := free.get()
	for {
		p := &b.pkts[b.n]
		if run.merger.Next(p) != nil {
			break
		}
		if len(p.Payload) > 0 {
			k := copy(b.arena[b.used:b.used+flow.PayloadBound], p.Payload)
			p.Payload = b.arena[b.used : b.used+k : b.used+k]
			b.used += k
		}
		b.keys[b.n].Of(p)
		b.n++
		n++
		if b.n == batchSize {
			// The flow stage is behind (a flood: a new flow nearly
			// every packet): ready memory it will need rather than
			// wait, but only then, or the reading stage becomes the
			// slower one.
			for len(full) >= 2 && run.table.Prepare() {
			}
			b.more = run.expect(n)
			full <- b
			b = free.get()
			if run.progress != nil && n&0xffff < batchSize {
				run.progress(run.readBytes(), n)
			}
		}
	}
	if b.n > 0 {
		full <- b
	}
	if run.progress != nil {
		run.progress(run.readBytes(), n)
	}
}

// batches hands out up to n batches, each made when first needed: a small
// capture then never allocates the megabytes a flood keeps in flight, nor
// sets off the collection (a scan of every global and of the batches,
// mapping their pages) that allocating them at the start cost every run.
// get is for the goroutine that fills
// batches, put for the one that hands them back.
type batches[T any] struct {
	free    chan *T
	made, n int
}

func newBatches[T any](n int) *batches[T] { return &batches[T]{free: make(chan *T, n), n: n} }

func (p *batches[T]) get() *T {
	select {
	case b := <-p.free:
		return b
	default:
	}
	if p.made < p.n {
		p.made++
		return new(T)
	}
	return <-p.free
}

func (p *batches[T]) put(b *T) { p.free <- b }
