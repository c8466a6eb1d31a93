// Why: inflating is the slowest part of reading a compressed capture, so
// on two cores it runs ahead on a goroutine of its own.

package capture

import (
	"io"
	"sync/atomic"
)

// aheadReader inflates a gzip stream on a goroutine of its own, a few
// chunks ahead of the reader. A compressed capture makes inflating the
// slowest part of a run; with two cores the pipeline's reading stage then decodes
// while this goroutine inflates the next chunks. The bytes, and the error
// that ends them, come out exactly as the stream gives them.
type aheadReader struct {
	full chan aheadChunk
	free chan []byte
	stop chan struct{}
	done chan struct{}
	cur  aheadChunk
	off  int
}

type aheadChunk struct {
	b   []byte
	err error
}

// aheadChunks are how many chunks of aheadSize the goroutine may have
// ready; their memory is the cost of reading ahead.
const (
	aheadChunks = 4
	aheadSize   = 256 << 10
)

func newAheadReader(r io.Reader) *aheadReader {
	a := &aheadReader{
		full: make(chan aheadChunk, aheadChunks),
		free: make(chan []byte, aheadChunks+1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for i := 0; i < aheadChunks+1; i++ {
		a.free <- make([]byte, aheadSize)
	}
	go a.fill(r)
	return a
}

func (a *aheadReader) fill(r io.Reader) {
	defer close(a.done)
	for {
		var b []byte
		select {
		case b = <-a.free:
		case <-a.stop:
			return
		}
		n := 0
		var err error
		for n < len(b) && err == nil {
			var k int
			k, err = r.Read(b[n:])
			n += k
		}
		select {
		case a.full <- aheadChunk{b[:n], err}:
		case <-a.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (a *aheadReader) Read(p []byte) (int, error) {
	for a.off == len(a.cur.b) {
		if a.cur.err != nil {
			return 0, a.cur.err
		}
		if a.cur.b != nil {
			a.free <- a.cur.b[:cap(a.cur.b)]
		}
		a.cur, a.off = <-a.full, 0
	}
	n := copy(p, a.cur.b[a.off:])
	a.off += n
	return n, nil
}

// close stops the goroutine and waits for it: the stream under it may be
// closed after.
func (a *aheadReader) close() {
	close(a.stop)
	<-a.done
}

// atomicCounter counts the bytes read from disk, read from another
// goroutine for progress while a stream inflates ahead.
type atomicCounter struct {
	r io.Reader
	n atomic.Int64
}

func (c *atomicCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
