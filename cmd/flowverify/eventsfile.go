package main

import (
	"fmt"
	"os"
	"sync"

	"github.com/flowverify/flowverify/internal/safefile"
)

// eventsFile is --events: appended to, reopened by name on SIGHUP (for
// logrotate without copytruncate), and, with a size limit, rotated by
// flowverify itself (Windows has no logrotate): past maxSize the file
// becomes FILE.1, FILE.1 becomes FILE.2 and so on, keeping keep of them.
// A rotation happens between events, so each file holds whole lines.
type eventsFile struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	size    int64
	maxSize int64
	keep    int
}

func openEventsFile(path string, maxSize int64, keep int) (*eventsFile, error) {
	e := &eventsFile{path: path, maxSize: maxSize, keep: max(keep, 1)}
	if err := e.open(); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *eventsFile) open() error {
	f, err := safefile.Append(e.path)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	e.f, e.size = f, st.Size()
	return nil
}

// Write appends one event's line, rotating first when it would pass the
// limit. A failed rotation keeps writing to the file as it is.
func (e *eventsFile) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.f == nil {
		return 0, fmt.Errorf("%s: closed", e.path)
	}
	if e.maxSize > 0 && e.size > 0 && e.size+int64(len(p)) > e.maxSize {
		if err := e.rotate(); err != nil {
			fmt.Fprintf(os.Stderr, "flowverify: rotating --events: %v\n", err)
		}
	}
	n, err := e.f.Write(p)
	e.size += int64(n)
	return n, err
}

func (e *eventsFile) rotate() error {
	// Closed first: Windows renames no open file.
	if err := e.f.Close(); err != nil {
		return err
	}
	e.f = nil
	os.Remove(fmt.Sprintf("%s.%d", e.path, e.keep))
	for i := e.keep - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", e.path, i), fmt.Sprintf("%s.%d", e.path, i+1))
	}
	rerr := os.Rename(e.path, e.path+".1")
	if err := e.open(); err != nil {
		return err
	}
	return rerr
}

// Reopen opens the file again by name (SIGHUP): after logrotate moved it,
// later events go to a new file. On failure the old file stays in use.
func (e *eventsFile) Reopen() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.f
	if err := e.open(); err != nil {
		e.f = old
		return err
	}
	if old != nil {
		old.Close()
	}
	return nil
}

func (e *eventsFile) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.f == nil {
		return nil
	}
	err := e.f.Close()
	e.f = nil
	return err
}
