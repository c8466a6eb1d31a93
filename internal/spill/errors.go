package spill

import "fmt"

// Error is a list that could not keep or give back its records: its spill
// file could not be made, written or read. The first one stays with the
// list, and every later read returns it.
type Error struct {
	Op   Op
	path string // the spill file, for Write
	err  error
}

// Op is what an Error failed at.
type Op uint8

const (
	Create Op = iota + 1 // making the spill file
	Write                // writing a run to it
	Read                 // reading the runs back
)

func (e *Error) Error() string {
	switch e.Op {
	case Create:
		return fmt.Sprintf("no room for the list on disk: %v (set TMPDIR to a directory with space)", e.err)
	case Write:
		return fmt.Sprintf("writing the list to %s: %v (set TMPDIR to a directory with space)", e.path, e.err)
	}
	return fmt.Sprintf("reading the list back from disk: %v", e.err)
}

func (e *Error) Unwrap() error { return e.err }
