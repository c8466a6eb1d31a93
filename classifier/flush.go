// Why: at the end of input every open flow ends at once; judging them on a
// second core shortens that wait after a scan.

package classifier

import (
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
)

// At the end of input every flow still in the table ends at once: after a
// scan, a million of them, judged one after another while the reading
// stage's core sits idle. flushAhead splits that work in two. A second
// goroutine walks the flows in the order Table.Flush ends them, reads each
// one (unpacking an embryo) and judges it; this goroutine folds the
// judgements into the aggregates in that same order. The report is the
// one a plain Flush gives, byte for byte:
//
//   - Judging a flow reads state that ending earlier flows can change: a
//     flow whose recognition is still open is given a last look (which may
//     learn endpoints from an endpoint-mapper answer), and a flow may show
//     a domain controller. The look-ahead stops at such a flow and waits
//     until this goroutine has ended it the ordinary way, so every flow is
//     judged with what the flows ended before it left behind. Between those
//     points neither goroutine writes anything the other reads. Each stop
//     is a round trip between the goroutines, so a flush with very many
//     such flows is no faster than Flush.
//   - Folding is done here alone and in order, so the first groups keep
//     their places, lists keep their first entries, the timeline its start.
//     A flow whose listing needs more than the judgement (a blocked
//     attempt the report still lists, a quoted learned endpoint) is ended
//     the ordinary way too, judged a second time from the table. With
//     every flow listed (--flows), Flush is used as it is.
//
// Reading and judging are about two thirds of a flow's cost at the flush,
// folding one third, so this goroutine also judges every aheadShare-th
// batch itself (the look-ahead still reads those flows, to know where to
// wait), so that both sides stay busy.

// aheadLen is how many judged flows cross at once: each batch costs a
// wake-up of this side, which must stay rare beside the work a batch
// carries.
const aheadLen = 4096

// aheadCounts says how the flows of the last flushAhead were ended.
type aheadCounts struct {
	folded int // judged ahead, folded here
	inTurn int // ended here the ordinary way (judged here)
	waited int // ... while the look-ahead waited for them
}

type aheadBatch struct {
	recs [aheadLen]judged
	n    int
}

// judged.kind, for the look-ahead
const (
	aheadFold = iota // fold the judgement
	aheadEnd         // not judged ahead: end the flow in turn
	aheadWait        // end the flow in turn; the look-ahead waits for it
)

// aheadShare: the folding side judges every aheadShare-th batch itself,
// the share that evens out the two sides' work (BenchmarkAnalyzePipelined).
const aheadShare = 3

// flushAhead ends every flow in the table as t.Flush does, with reading
// and judging on a second goroutine. The server must be known (a.agg set)
// and flows not listed one by one.
func (a *analyzer) flushAhead(t *flow.Table) {
	g := a.agg
	la := &lookAhead{full: make(chan *aheadBatch, 4), free: newBatches[aheadBatch](6), resume: make(chan struct{})}
	go a.judgeAhead(t, la)
	for b := range la.full {
		for i := range b.recs[:b.n] {
			s := &b.recs[i]
			switch {
			case s.kind == aheadWait:
				t.EndAt(s.pos)
				a.ahead.waited++
				la.resume <- struct{}{}
			case s.kind == aheadEnd || g.needsFlow(s):
				t.EndAt(s.pos)
				a.ahead.inTurn++
			default:
				a.infer.probes.note(&s.probe) // as onEnd does, in the same order
				g.fold(s, nil, nil)
				a.rec.release(s.meta)
				a.ahead.folded++
			}
		}
		b.n = 0
		la.free.put(b)
	}
	t.Clear()
}

// lookAhead is what flushAhead's two goroutines hand each other: batches
// of judged flows one way, emptied batches and the go-ahead after a wait
// the other.
type lookAhead struct {
	full   chan *aheadBatch
	free   *batches[aheadBatch]
	resume chan struct{}
}

// judgeAhead is flushAhead's second goroutine: it walks the flows in the
// order t ends them and judges them, stopping at each flow that must be
// ended first, until flushAhead has. It closes la.full at the end.
func (a *analyzer) judgeAhead(t *flow.Table, la *lookAhead) {
	defer close(la.full)
	g := a.agg
	var (
		buf flow.Flow
		fa  matrix.FlowFacts
		j   matrix.Judgement
	)
	b := la.free.get()
	nb := 0
	t.EndOrder(&buf, func(pos flow.Pos, f *flow.Flow) {
		s := &b.recs[b.n]
		b.n++
		s.pos = pos
		// A flow still recognising changes as it ends: its facts are
		// read, and it is judged, only once it has.
		wait := f.Recognising()
		if !wait {
			a.rec.facts(f, &fa)
			wait = g.cx.DCPeer(&fa) != nil
		}
		if wait {
			s.kind = aheadWait
			la.full <- b
			<-la.resume // it has ended: what it changed is there to read
			b = la.free.get()
			return
		}
		if nb%aheadShare == aheadShare-1 {
			s.kind = aheadEnd
		} else {
			s.kind = aheadFold
			a.m.Judge(&fa, g.cx, &j)
			s.of(f, &j)
			s.probe.of(f)
		}
		if b.n == aheadLen {
			la.full <- b
			b = la.free.get()
			nb++
		}
	})
	if b.n > 0 {
		la.full <- b
	}
}
