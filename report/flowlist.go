package report

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// flowRun is how many flows a FlowList holds in memory before it sorts
// them and writes them out as one run of its spill file. A listed flow
// takes a few hundred bytes, so a run stays within a few tens of MB while
// a capture of millions of flows needs only a few hundred runs.
const flowRun = 32768

// FlowList holds a report's flows (--flows) in time order without holding
// them all: up to flowRun in memory, beyond that in sorted runs in a
// temporary file, merged again each time the flows are read. Reading is
// a stable sort by start time: flows that start together keep the order
// in which they were added.
type FlowList struct {
	mem   []Flow
	keys  []int64 // start time of mem[i]
	n     int
	spill *os.File
	name  string // the spill file's name while it must still be removed
	runs  []flowRunSpan
	size  int64
	err   error
	// runLen overrides flowRun (tests).
	runLen int
}

type flowRunSpan struct{ off, len int64 }

// NewFlowList returns an empty list.
func NewFlowList() *FlowList { return &FlowList{} }

// FlowStart is the key a flow is ordered by: its first packet's time.
func FlowStart(f *Flow) int64 {
	t, err := time.Parse(time.RFC3339Nano, f.First)
	if err != nil {
		return 0
	}
	return t.UnixNano()
}

// Len is the number of flows added.
func (l *FlowList) Len() int {
	if l == nil {
		return 0
	}
	return l.n
}

// Add appends a flow starting at start (unix nanoseconds).
func (l *FlowList) Add(f Flow, start int64) {
	l.mem = append(l.mem, f)
	l.keys = append(l.keys, start)
	l.n++
	limit := l.runLen
	if limit == 0 {
		limit = flowRun
	}
	if len(l.mem) >= limit {
		l.flushRun()
	}
}

// sortMem orders the flows in memory, stably, by start then by their ends
// (the order the report has always listed ties in).
func (l *FlowList) sortMem() {
	idx := make([]int, len(l.mem))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return flowCmp(l.keys[a], &l.mem[a], l.keys[b], &l.mem[b]) })
	mem, keys := make([]Flow, len(idx)), make([]int64, len(idx))
	for i, j := range idx {
		mem[i], keys[i] = l.mem[j], l.keys[j]
	}
	l.mem, l.keys = mem, keys
}

func flowCmp(ka int64, a *Flow, kb int64, b *Flow) int {
	if ka != kb {
		if ka < kb {
			return -1
		}
		return 1
	}
	switch x, y := a.Initiator+a.Responder, b.Initiator+b.Responder; {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// flushRun writes the flows in memory as one sorted run: each record is
// the start time, the length of the flow's JSON and the JSON.
func (l *FlowList) flushRun() {
	if len(l.mem) == 0 || l.err != nil {
		return
	}
	if l.spill == nil {
		f, err := os.CreateTemp("", "flowverify-flows-*")
		if err != nil {
			l.err = fmt.Errorf("--flows: no room for the flow list: %v (set TMPDIR to a directory with space)", err)
			return
		}
		l.spill, l.name = f, f.Name()
		// Unlinked at once where the system allows it, so that no file
		// is left behind whatever ends the process.
		if os.Remove(l.name) == nil {
			l.name = ""
		}
	}
	l.sortMem()
	w := bufio.NewWriterSize(io.NewOffsetWriter(l.spill, l.size), 64<<10)
	var n int64
	var hdr [8 + binary.MaxVarintLen64]byte
	for i := range l.mem {
		js, err := json.Marshal(&l.mem[i])
		if err != nil {
			l.err = err
			return
		}
		binary.LittleEndian.PutUint64(hdr[:8], uint64(l.keys[i]))
		h := 8 + binary.PutUvarint(hdr[8:], uint64(len(js)))
		w.Write(hdr[:h])
		w.Write(js)
		n += int64(h + len(js))
	}
	if err := w.Flush(); err != nil {
		l.err = fmt.Errorf("--flows: writing the flow list to %s: %v (set TMPDIR to a directory with space)", l.spill.Name(), err)
		return
	}
	l.runs = append(l.runs, flowRunSpan{l.size, n})
	l.size += n
	clear(l.mem)
	l.mem, l.keys = l.mem[:0], l.keys[:0]
}

// Each calls fn with every flow in time order. It may be called again.
func (l *FlowList) Each(fn func(*Flow) error) error {
	if l == nil {
		return nil
	}
	if len(l.runs) == 0 && l.err == nil {
		l.sortMem()
		for i := range l.mem {
			if err := fn(&l.mem[i]); err != nil {
				return err
			}
		}
		return nil
	}
	l.flushRun()
	if l.err != nil {
		return l.err
	}
	h := make(runHeap, 0, len(l.runs))
	for i, r := range l.runs {
		c := &runCursor{run: i, r: bufio.NewReaderSize(io.NewSectionReader(l.spill, r.off, r.len), 16<<10)}
		if ok, err := c.next(); err != nil {
			return err
		} else if ok {
			h = append(h, c)
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		c := h[0]
		if err := fn(&c.f); err != nil {
			return err
		}
		ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

// Close removes the spill file.
func (l *FlowList) Close() error {
	if l == nil || l.spill == nil {
		return nil
	}
	err := l.spill.Close()
	if l.name != "" {
		os.Remove(l.name)
	}
	l.spill = nil
	return err
}

// MarshalJSON writes the flows as a JSON array. Writers of whole reports
// stream them instead (WriteJSON); this serves everything else.
func (l *FlowList) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	first := true
	err := l.Each(func(f *Flow) error {
		if !first {
			b.WriteByte(',')
		}
		first = false
		js, err := json.Marshal(f)
		b.Write(js)
		return err
	})
	b.WriteByte(']')
	return b.Bytes(), err
}

// UnmarshalJSON reads a JSON array of flows.
func (l *FlowList) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	return l.decode(dec)
}

// decode reads a JSON array of flows one element at a time, so that a
// report's flows never have to be in memory at once.
func (l *FlowList) decode(dec *json.Decoder) error {
	if t, err := dec.Token(); err != nil {
		return err
	} else if t == nil {
		return nil
	} else if d, ok := t.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("flows: want an array, got %v", t)
	}
	for i := 0; dec.More(); i++ {
		var f Flow
		if err := dec.Decode(&f); err != nil {
			return fmt.Errorf("flows[%d]: %w", i, err)
		}
		at, err := time.Parse(time.RFC3339Nano, f.First)
		if err != nil {
			return fmt.Errorf("flows[%d].first: %q is not an RFC 3339 time", i, f.First)
		}
		l.Add(f, at.UnixNano())
	}
	_, err := dec.Token()
	return err
}

type runCursor struct {
	run int
	r   *bufio.Reader
	key int64
	f   Flow
	buf []byte
}

func (c *runCursor) next() (bool, error) {
	var k [8]byte
	if _, err := io.ReadFull(c.r, k[:]); err == io.EOF {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("--flows: reading the flow list back: %v", err)
	}
	n, err := binary.ReadUvarint(c.r)
	if err != nil {
		return false, fmt.Errorf("--flows: reading the flow list back: %v", err)
	}
	c.buf = slices.Grow(c.buf[:0], int(n))[:n]
	if _, err := io.ReadFull(c.r, c.buf); err != nil {
		return false, fmt.Errorf("--flows: reading the flow list back: %v", err)
	}
	c.key = int64(binary.LittleEndian.Uint64(k[:]))
	c.f = Flow{}
	return true, json.Unmarshal(c.buf, &c.f)
}

// runHeap orders the runs' next flows; ties go to the earlier run, which
// keeps the merge as stable as one sort of everything.
type runHeap []*runCursor

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if c := flowCmp(h[i].key, &h[i].f, h[j].key, &h[j].f); c != 0 {
		return c < 0
	}
	return h[i].run < h[j].run
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runCursor)) }
func (h *runHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// All returns every flow in time order, in memory: for the few flows of
// a test or a small capture, never for a report of unknown size.
func (l *FlowList) All() []Flow {
	var out []Flow
	l.Each(func(f *Flow) error { out = append(out, *f); return nil })
	return out
}
