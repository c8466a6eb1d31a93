package capture

import (
	"container/heap"
	"errors"
	"io"
	"time"
)

// InputStats describes what was read from one input.
type InputStats struct {
	Name        string
	Format      Format
	Compressed  bool
	Compression string // compressGzip, ... ("" for none)
	LinkTypes   []LinkType
	Packets     uint64
	Bytes       uint64 // captured bytes of the records
	First       int64  // Unix ns of the first packet, 0 if none
	Last        int64
	Drops       uint64 // losses the capture itself recorded (pcapng statistics)
	Damage      *DamageError
	Warnings    []string
	// Unread counts the frames of each link type the decoder does not
	// read (802.11, USB, ...): counted in Packets, said in Warnings.
	Unread map[LinkType]uint64

	// counters for warnings, turned into text at the end (see Finish)
	undecodable uint64
	backwards   uint64
	overlong    uint64
	outliers    uint64
	short       shortHeaders
}

type pending struct {
	src  *FileSource
	idx  int
	data []byte
	ts   int64
	wire int
	lt   LinkType

	// The spike check's state: the last accepted timestamp, and a record
	// read ahead to judge the one before it.
	prev   int64
	next   record
	peeked bool
	spare  []byte
}

type pendingHeap []*pending

func (h pendingHeap) Len() int { return len(h) }
func (h pendingHeap) Less(i, j int) bool {
	if h[i].ts != h[j].ts {
		return h[i].ts < h[j].ts
	}
	return h[i].idx < h[j].idx // stable across runs: input order breaks ties
}
func (h pendingHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pendingHeap) Push(x any)   { *h = append(*h, x.(*pending)) }
func (h *pendingHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Merger reads several capture files as one stream in timestamp order.
type Merger struct {
	h       pendingHeap
	stats   []*InputStats
	dec     *Decoder
	cur     *pending
	lastTS  []int64
	sources []*FileSource
}

// NewMerger takes already opened sources; it owns and closes them.
func NewMerger(srcs []*FileSource) *Merger {
	m := &Merger{dec: NewDecoder(), sources: srcs, lastTS: make([]int64, len(srcs))}
	park := len(srcs) > ParkAbove
	for i, s := range srcs {
		m.stats = append(m.stats, &InputStats{Name: s.Name(), Format: s.Format(), Compressed: s.Compressed(), Compression: s.Compression()})
		p := &pending{src: s, idx: i}
		if err := s.unpark(); err != nil {
			m.stats[i].Damage = &DamageError{File: s.Name(), Err: err}
			continue
		}
		st := *m.stats[i]
		if !m.advance(p) {
			s.Close() // read to its end already: nothing to hold open
			continue
		}
		if park && s.parkable() {
			// Only the first record's time is kept: the file is read
			// again from its start when the merge gets there, and what
			// the first reading counted is counted then.
			s.Park()
			*m.stats[i] = st
			p.data, p.next, p.spare = nil, record{}, nil // into the closed file's buffer
		}
		m.h = append(m.h, p)
	}
	heap.Init(&m.h)
	return m
}

// unpark reopens a parked input that the merge has reached and reads its
// first record again.
func (m *Merger) unpark(p *pending) bool {
	if err := p.src.unpark(); err != nil {
		m.stats[p.idx].Damage = &DamageError{File: p.src.Name(), Err: err}
		return false
	}
	*p = pending{src: p.src, idx: p.idx}
	if !m.advance(p) {
		p.src.Close()
		return false
	}
	return true
}

// advance reads the next record of p's source; false at its end. A record
// whose timestamp is a spike (see spike) is counted and skipped.
func (m *Merger) advance(p *pending) bool {
	if p.peeked {
		p.peeked = false
		p.data, p.ts, p.wire, p.lt = p.next.data, p.next.ts, p.next.wire, p.next.lt
		p.prev = p.ts
		return true
	}
	for {
		ok, outlier := m.read(p)
		if !ok {
			return false
		}
		if !outlier {
			p.prev = p.ts
			return true
		}
		m.stats[p.idx].outliers++
		if p.peeked {
			return m.advance(p)
		}
	}
}

// spikeGap is how far a timestamp must stand from its neighbours to be an
// outlier: further than a day from the record before and the record after,
// which themselves lie within a day of each other (a clock glitch, a zeroed
// timestamp), or a zero timestamp before real ones.
const spikeGap = int64(24 * time.Hour)

// read reads one record into p and says whether it is an outlier. Only a
// record already far from the one before is looked past, and only when the
// next record can be read without moving what was handed out: in the read
// buffer (pcap), or after copying this one (pcapng reuses its buffer).
func (m *Merger) read(p *pending) (ok, outlier bool) {
	if !m.readRecord(p) {
		return false, false
	}
	far := func(a, b int64) bool { return a-b > spikeGap || b-a > spikeGap }
	first := p.prev == 0
	if !(first && p.ts == 0) && (first || !far(p.ts, p.prev)) {
		return true, false
	}
	if p.src.format == formatPcap && !p.src.recordBuffered() {
		if p.ts == 0 && p.src.atEnd() {
			// The last record, with no clock: nothing to read past.
			m.stats[p.idx].outliers++
			return false, false
		}
		return true, false // the next read could move bytes already handed out
	}
	cur := p.record()
	if p.src.format != formatPcap {
		p.spare = append(p.spare[:0], cur.data...)
		cur.data = p.spare
	}
	if !m.readRecord(p) {
		// The last record: nothing after it to compare with. A zero
		// timestamp is no clock; any other stands.
		if cur.ts == 0 {
			m.stats[p.idx].outliers++
			return false, false
		}
		p.data, p.ts, p.wire, p.lt = cur.data, cur.ts, cur.wire, cur.lt
		return true, false
	}
	next := p.record()
	// Mid-stream: a spike if the next record is back near the one before.
	// At the start: a zero timestamp followed by a real one.
	spike := first && far(next.ts, 0) || !first && !far(next.ts, p.prev)
	p.next, p.peeked = next, true
	p.data, p.ts, p.wire, p.lt = cur.data, cur.ts, cur.wire, cur.lt
	return true, spike
}

type record struct {
	data []byte
	ts   int64
	wire int
	lt   LinkType
}

func (p *pending) record() record { return record{p.data, p.ts, p.wire, p.lt} }

// readRecord reads the source's next record into p; false at its end.
func (m *Merger) readRecord(p *pending) bool {
	data, ts, wire, lt, err := p.src.Next()
	st := m.stats[p.idx]
	if err != nil {
		var de *DamageError
		if errors.As(err, &de) {
			st.Damage = de
		} else if err != io.EOF {
			st.Damage = &DamageError{File: p.src.Name(), Offset: p.src.Offset(), Err: err}
		}
		st.LinkTypes = p.src.LinkTypes()
		st.Drops = p.src.Drops()
		st.overlong = p.src.Overlong()
		return false
	}
	p.data, p.lt, p.wire, p.ts = data, lt, wire, ts
	return true
}

// Next decodes the next packet of the merged stream into pkt. It returns
// io.EOF when every input is exhausted (damage is in Stats, not here).
// A packet that carries no IP is reported with pkt.IsIP false.
func (m *Merger) Next(pkt *Packet) error {
	var p *pending
	switch {
	case m.cur != nil && len(m.sources) == 1:
		// One input: no ordering to do, skip the heap.
		if !m.advance(m.cur) {
			m.cur = nil
			return io.EOF
		}
		p = m.cur
	default:
		if m.cur != nil {
			// The previous packet's buffer is no longer in use: read on.
			if m.advance(m.cur) {
				heap.Push(&m.h, m.cur)
			} else {
				m.cur.src.Close() // at its end: its descriptor is free for the next
			}
			m.cur = nil
		}
		for {
			if len(m.h) == 0 {
				return io.EOF
			}
			p = heap.Pop(&m.h).(*pending)
			if !p.src.Parked() {
				break
			}
			if m.unpark(p) {
				heap.Push(&m.h, p)
			}
		}
		m.cur = p
	}
	st := m.stats[p.idx]
	st.Packets++
	st.Bytes += uint64(len(p.data))
	if st.First == 0 || p.ts < st.First {
		st.First = p.ts
	}
	if p.ts > st.Last {
		st.Last = p.ts
	}
	if p.ts < m.lastTS[p.idx] {
		st.backwards++
	} else {
		m.lastTS[p.idx] = p.ts
	}
	pkt.Timestamp, pkt.WireLen, pkt.Input = p.ts, p.wire, p.idx
	st.count(p.lt, len(p.data), pkt, m.dec.Decode(p.lt, p.data, pkt))
	return nil
}

// NextBatch decodes up to len(pkts) packets of the merged stream and
// returns how many; 0 at the end. Unlike Next's, the payloads of every
// packet of the batch stay valid until the next call to NextBatch or Next,
// so the whole batch can be worked on at once without copying them. A
// batch ends early where reading on would move bytes it handed out: where
// the input that reads next would refill its buffer, and after each
// packet of a format read through a reused buffer (pcapng).
func (m *Merger) NextBatch(pkts []Packet) int {
	n := 0
	for n < len(pkts) {
		// Next reads on only in the input of the packet it last gave
		// out; the others' records stay where they are.
		if n > 0 && !(m.cur != nil && m.cur.src.recordBuffered()) {
			break
		}
		if m.Next(&pkts[n]) != nil {
			break
		}
		n++
	}
	return n
}

// Stats returns one entry per input, in input order.
func (m *Merger) Stats() []*InputStats { return m.stats }

// Close closes every source.
func (m *Merger) Close() {
	for _, s := range m.sources {
		s.Close()
	}
}

// FormatTime renders Unix ns as RFC 3339 with nanoseconds, UTC.
func FormatTime(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}
