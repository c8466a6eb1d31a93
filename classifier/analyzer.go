// Package classifier is the engine that turns flows into verdicts: the
// Analyzer streams finished flows through the matrix's judging, folds them
// into a report's aggregates and builds the report; the two-core pipeline
// and end-of-input flush, the monitor's sliding window, server inference,
// protocol recognition and the endpoint-mapper learner live here. The
// policy itself is classifier/matrix.
package classifier

import (
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/classifier/protocol"
	"github.com/flowverify/flowverify/report"
)

// decideAfter is how many finished flows are held while the server is
// being inferred; then the decision is taken and flows stream.
const decideAfter = 100000

// analyzer receives finished flows and judges them. While the server is
// unknown (--server auto) flows are held, then judged; once it is known
// each flow is judged as it ends and only aggregates stay, so memory
// follows the number of concurrent flows, not the size of the capture.
type analyzer struct {
	m       *matrix.Matrix
	records []flow.Flow // held flows: server not yet known, or the monitor's window
	infer   *serverInference
	rec     *recognizer
	table   *flow.Table // the attached table: which station an address is behind

	withFlows  bool
	inputNames []string // input index -> name, for listed flows
	servers    map[netip.Addr]bool
	server     report.Server
	agg        *aggregator
	ports      *matrix.NamedPorts // the ports any rule names: judging skips the rules for others (nil: never skips)
	nextPrune  int64              // packet time of the next look for learned endpoints to forget
	// unjudged counts flows let go unjudged while no server could be
	// inferred (see onEnd).
	unjudged int
	ahead    aheadCounts
}

// newAnalyzer starts an analysis against m.
func newAnalyzer(m *matrix.Matrix) *analyzer {
	return &analyzer{m: m, infer: newServerInference(m), rec: newRecognizer(), ports: matrix.NewNamedPorts(m)}
}

// windowAnalyzer judges flows already held (the monitor's window) with the
// recognition and inference state that saw them.
func windowAnalyzer(m *matrix.Matrix, held []flow.Flow, rec *recognizer, infer *serverInference, ports *matrix.NamedPorts) *analyzer {
	return &analyzer{m: m, records: held, infer: infer, rec: rec, ports: ports}
}

// listFlows asks for every flow in the report (--flows); names maps a
// flow's input index to the input's name.
func (a *analyzer) listFlows(on bool, names []string) { a.withFlows, a.inputNames = on, names }

// attach makes the analyzer the table's consumer: it recognises protocols
// from the first payload bytes and receives every finished flow.
func (a *analyzer) attach(t *flow.Table) {
	t.OnEnd = a.onEnd
	a.table = t
	a.rec.attach(t)
}

// stream decides the server now when the matrix names it, so flows are
// judged as they end. Offline analysis calls it before reading.
func (a *analyzer) stream() {
	if !a.m.ServerAuto {
		a.setServers(a.m.Server, a.m.ServerFrom, nil)
	}
}

func (a *analyzer) setServers(addrs []netip.Addr, source matrix.ServerSource, evidence []string) {
	a.servers = map[netip.Addr]bool{}
	a.server = report.Server{Source: source, Evidence: evidence}
	add := func(s netip.Addr) {
		if !a.servers[s] {
			a.servers[s] = true
			a.server.Addresses = append(a.server.Addresses, s.String())
		}
	}
	for _, s := range addrs {
		add(s)
	}
	// A named host's address stands for the host: all of its addresses
	// are the server's.
	for _, s := range addrs {
		if h := a.m.HostOf(s); h != nil {
			a.server.Host = h.Name
			for _, o := range h.Addrs {
				add(o)
			}
		}
	}
	a.agg = newAggregator(a, a.withFlows)
}

// onEnd is the flow table's end-of-flow hook.
func (a *analyzer) onEnd(f *flow.Flow) {
	a.rec.final(f)
	a.infer.probes.noteFlow(f) // first: folding this flow asks whether its initiator is a scanner
	if a.agg != nil {
		a.agg.add(f)
		a.rec.release(f.Meta)
		return
	}
	a.infer.observe(f)
	a.records = append(a.records, f.Detached())
	if len(a.records) >= decideAfter && a.m.ServerAuto {
		if addrs, ev, err := a.infer.decide(a.macs()); err == nil {
			ev = append(ev, fmt.Sprintf("decided after the first %d flows", a.unjudged+len(a.records)))
			a.setServers(addrs, matrix.ServerInferred, ev)
			a.flushRecords()
			return
		}
		// No server yet: holding every flow until one shows would grow
		// without bound on a flood. These flows have taught inference
		// what they could; they are counted as not judged and let go.
		a.unjudged += len(a.records)
		for i := range a.records {
			a.rec.release(a.records[i].Meta)
		}
		clear(a.records)
		a.records = a.records[:0]
	}
}

// flushRecords judges the held flows in start order.
func (a *analyzer) flushRecords() {
	sort.SliceStable(a.records, func(i, j int) bool {
		x, y := &a.records[i], &a.records[j]
		if x.First != y.First {
			return x.First < y.First
		}
		return keyLess(&x.Key, &y.Key)
	})
	a.agg.seedDCs(a.records)
	for i := range a.records {
		a.agg.add(&a.records[i])
	}
	a.records = nil
}

// meta is what the caller knows about the run beyond the flows.
type meta struct {
	toolVersion string
	inputs      []*capture.InputStats
	table       flow.Counters
	withFlows   bool
	drops       uint64
	// observed is how much packet time the report covers; when shorter than
	// Window, required rules with no attempt are not called missing yet
	// (monitor). Zero Window means offline: judge what was read.
	observed time.Duration
	window   time.Duration
	// servers overrides the matrix's server setting (monitor: the
	// interfaces' own addresses).
	servers      []netip.Addr
	serverSource matrix.ServerSource
	// windowShed counts finished flows the monitor let go before their
	// window ended (the flow cap), windowShedRule those on rule ports.
	windowShed, windowShedRule int
}

// hostPort writes host:port, IPv6 in brackets.
func hostPort(a capture.Addr, port uint16) string {
	return netip.AddrPortFrom(a.Netip(), port).String()
}

// flowEnds writes a flow's initiator and responder as reports and events
// show them: host:port, or the bare address for ICMP, which has no port.
func flowEnds(f *flow.Flow) (initiator, responder string) {
	ia, ip := f.Initiator()
	ra, rp := f.Responder()
	if _, _, icmp := f.ICMPMessage(); icmp {
		return ia.Netip().String(), ra.Netip().String()
	}
	return hostPort(ia, ip), hostPort(ra, rp)
}

func protocolID(name string) protocol.ID {
	id, _ := protocol.ByName(name)
	return id
}

func (a *analyzer) protocolName(f *flow.Flow) string { return protocolOf(f.Meta, f.Protocol).String() }

// pruneEvery is how often, in packet time, an offline analysis looks for
// learned endpoints that no flow can still be judged against.
const pruneEvery = 10 * time.Minute

// tick is called between batches of packets. Every pruneEvery of packet
// time it forgets the endpoint-mapper answers that no flow still to be
// judged can match: a flow matches answers from at most the EPM lifetime
// before it started, and every flow still to be judged started after the
// oldest one in the table (or, for flows not seen yet, after now less a
// lifetime of slack for timestamps that step back within a file). Kept for
// the whole capture, they would make memory grow with the capture's
// length; judging is unchanged, as a test holds.
func (a *analyzer) tick(t *flow.Table) {
	now := t.Now()
	if now < a.nextPrune {
		return
	}
	a.nextPrune = now + int64(pruneEvery)
	if a.agg == nil || len(a.records) > 0 || !a.rec.AnyLearned() {
		return // held flows (server not yet known) may be older than any in the table
	}
	lifetime := int64(a.m.Limits.EPMLifetime)
	oldest := now - lifetime
	t.Each(func(f *flow.Flow) { oldest = min(oldest, f.First) })
	a.rec.pruneLearned(oldest - lifetime)
}

// learned lists the endpoints the endpoint mapper handed out.
func (a *analyzer) learned() []matrix.Learned { return a.rec.learned }

func (a *analyzer) macs() macLookup {
	if a.table == nil {
		return nil
	}
	return a.table.MAC
}
