// Package spill keeps a list of records in key order without holding them
// all in memory: up to a bound in memory, beyond it in sorted runs in a
// temporary file, merged again (a heap merge of the runs) each time the
// list is read. Reading is a stable sort by key: records of equal key
// keep the order of their Tie, then the order in which they were added.
package spill

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
)

// defaultRun is how many records a List holds in memory before it sorts
// them and writes them out as one run of its spill file. A report's flow
// takes a few hundred bytes, so a run stays within a few tens of MB while
// millions of records need only a few hundred runs.
const defaultRun = 32768

// record is what a List holds: a value that encodes to JSON when it
// spills, and knows its own order.
type record[T any] interface {
	*T
	// SortKey is a record's key when it is read back from JSON (Decode);
	// Add is given the key by its caller, who usually has it already.
	SortKey() (int64, error)
	// SortTie orders two records of equal key; 0 keeps them in the order
	// they were added.
	SortTie(*T) int
}

// List is the list; its zero value is an empty list.
type List[T any, P record[T]] struct {
	mem   []T
	keys  []int64 // key of mem[i]
	n     int
	spill *os.File
	name  string // the spill file's name while it must still be removed
	runs  []runSpan
	size  int64
	err   error
	// runLen overrides defaultRun (New).
	runLen int
}

type runSpan struct{ off, len int64 }

// New returns an empty list that spills every runLen records; 0 is the
// default, a few tens of MB of reports' flows.
func New[T any, P record[T]](runLen int) *List[T, P] { return &List[T, P]{runLen: runLen} }

// Len is the number of records added.
func (l *List[T, P]) Len() int {
	if l == nil {
		return 0
	}
	return l.n
}

// Add appends a record of the given key.
func (l *List[T, P]) Add(v T, key int64) {
	l.mem = append(l.mem, v)
	l.keys = append(l.keys, key)
	l.n++
	limit := l.runLen
	if limit <= 0 {
		limit = defaultRun
	}
	if len(l.mem) >= limit {
		l.flushRun()
	}
}

func compare[T any, P record[T]](ka int64, a *T, kb int64, b *T) int {
	switch {
	case ka < kb:
		return -1
	case ka > kb:
		return 1
	}
	return P(a).SortTie(b)
}

// sortMem orders the records in memory, stably.
func (l *List[T, P]) sortMem() {
	idx := make([]int, len(l.mem))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return compare[T, P](l.keys[a], &l.mem[a], l.keys[b], &l.mem[b]) })
	mem, keys := make([]T, len(idx)), make([]int64, len(idx))
	for i, j := range idx {
		mem[i], keys[i] = l.mem[j], l.keys[j]
	}
	l.mem, l.keys = mem, keys
}

// flushRun writes the records in memory as one sorted run: each is its
// key, the length of its JSON and the JSON. The first error stays, and
// every later read returns it.
func (l *List[T, P]) flushRun() {
	if len(l.mem) == 0 || l.err != nil {
		return
	}
	if l.spill == nil {
		f, err := os.CreateTemp("", "flowverify-flows-*")
		if err != nil {
			l.err = &Error{Op: Create, err: err}
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
		js, err := json.Marshal(P(&l.mem[i]))
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
		l.err = &Error{Op: Write, path: l.spill.Name(), err: err}
		return
	}
	l.runs = append(l.runs, runSpan{l.size, n})
	l.size += n
	clear(l.mem)
	l.mem, l.keys = l.mem[:0], l.keys[:0]
}

// Each calls fn with every record in order. It may be called again.
func (l *List[T, P]) Each(fn func(*T) error) error {
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
	return l.merge(fn)
}

// Close removes the spill file.
func (l *List[T, P]) Close() error {
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

// All returns every record in order, in memory: for the few records of a
// test or a small capture, never for a list of unknown size.
func (l *List[T, P]) All() []T {
	var out []T
	l.Each(func(v *T) error { out = append(out, *v); return nil })
	return out
}

// MarshalJSON writes the records as a JSON array. Writers of large
// documents stream them with Each instead; this serves everything else.
func (l *List[T, P]) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	first := true
	err := l.Each(func(v *T) error {
		if !first {
			b.WriteByte(',')
		}
		first = false
		js, err := json.Marshal(P(v))
		b.Write(js)
		return err
	})
	b.WriteByte(']')
	return b.Bytes(), err
}

// UnmarshalJSON reads a JSON array of records.
func (l *List[T, P]) UnmarshalJSON(data []byte) error {
	return l.Decode(json.NewDecoder(bytes.NewReader(data)))
}

// Decode reads a JSON array (or null) of records from dec one element at
// a time, so that a large list never has to be in memory at once.
func (l *List[T, P]) Decode(dec *json.Decoder) error {
	if t, err := dec.Token(); err != nil {
		return err
	} else if t == nil {
		return nil
	} else if d, ok := t.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("want an array, got %v", t)
	}
	for i := 0; dec.More(); i++ {
		var v T
		if err := dec.Decode(P(&v)); err != nil {
			return &RecordError{index: i, err: err}
		}
		key, err := P(&v).SortKey()
		if err != nil {
			return &RecordError{index: i, err: err}
		}
		l.Add(v, key)
	}
	_, err := dec.Token()
	return err
}

// RecordError is a record that Decode could not read: Index counts from 0.
type RecordError struct {
	index int
	err   error
}

func (e *RecordError) Error() string { return fmt.Sprintf("[%d]: %v", e.index, e.err) }

func (e *RecordError) Unwrap() error { return e.err }
