package spill

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"encoding/json"
	"io"
	"slices"
)

// merge reads the runs back through a heap of their next records.
func (l *List[T, P]) merge(fn func(*T) error) error {
	h := runHeap[T, P]{}
	for i, r := range l.runs {
		c := &runCursor[T, P]{run: i, r: bufio.NewReaderSize(io.NewSectionReader(l.spill, r.off, r.len), 16<<10)}
		if ok, err := c.next(); err != nil {
			return err
		} else if ok {
			h.cs = append(h.cs, c)
		}
	}
	heap.Init(&h)
	for len(h.cs) > 0 {
		c := h.cs[0]
		if err := fn(&c.v); err != nil {
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

// runCursor is one run's next record.
type runCursor[T any, P record[T]] struct {
	run int
	r   *bufio.Reader
	key int64
	v   T
	buf []byte
}

func (c *runCursor[T, P]) next() (bool, error) {
	var k [8]byte
	if _, err := io.ReadFull(c.r, k[:]); err == io.EOF {
		return false, nil
	} else if err != nil {
		return false, &Error{Op: Read, err: err}
	}
	n, err := binary.ReadUvarint(c.r)
	if err != nil {
		return false, &Error{Op: Read, err: err}
	}
	c.buf = slices.Grow(c.buf[:0], int(n))[:n]
	if _, err := io.ReadFull(c.r, c.buf); err != nil {
		return false, &Error{Op: Read, err: err}
	}
	c.key = int64(binary.LittleEndian.Uint64(k[:]))
	var zero T
	c.v = zero
	return true, json.Unmarshal(c.buf, P(&c.v))
}

// runHeap orders the runs' next records; ties go to the earlier run,
// which keeps the merge as stable as one sort of everything.
type runHeap[T any, P record[T]] struct{ cs []*runCursor[T, P] }

func (h *runHeap[T, P]) Len() int { return len(h.cs) }
func (h *runHeap[T, P]) Less(i, j int) bool {
	a, b := h.cs[i], h.cs[j]
	if c := compare[T, P](a.key, &a.v, b.key, &b.v); c != 0 {
		return c < 0
	}
	return a.run < b.run
}
func (h *runHeap[T, P]) Swap(i, j int) { h.cs[i], h.cs[j] = h.cs[j], h.cs[i] }
func (h *runHeap[T, P]) Push(x any)    { h.cs = append(h.cs, x.(*runCursor[T, P])) }
func (h *runHeap[T, P]) Pop() any {
	c := h.cs[len(h.cs)-1]
	h.cs = h.cs[:len(h.cs)-1]
	return c
}
