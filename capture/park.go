package capture

import "fmt"

// A capture directory can hold thousands of files: kept open from the
// start, they exhaust the process's descriptors (and hold a read buffer
// each). A file on disk can instead be parked: closed, with nothing but
// its name kept, and reopened from its start when the merge reaches its
// first packet. Files that follow one another in time, as a rotation
// writes them, are then open one at a time.

// ParkAbove is how many inputs a merge keeps open from the start; with
// more, every input that can be reopened is parked until it is reached,
// and whoever opens that many inputs parks each one once it is checked.
const ParkAbove = 16

// parkable reports whether the source can be closed and read again from
// its start: a file opened by name, not a member of an archive or a
// stream.
func (s *FileSource) parkable() bool { return s.reopen != nil }

// Parked reports whether the source is closed until Unpark.
func (s *FileSource) Parked() bool { return s.parked }

// Park closes a parkable source; Unpark opens it again at its start.
func (s *FileSource) Park() {
	if s.reopen == nil || s.parked {
		return
	}
	s.Close()
	s.parked = true
	s.br, s.counter, s.ng, s.zr, s.zin, s.unz = nil, nil, nil, nil, nil, nil
}

// unpark reopens a parked source at its first record.
func (s *FileSource) unpark() error {
	if !s.parked {
		return nil
	}
	n, err := s.reopen()
	if err != nil {
		return fmt.Errorf("%s: reopening: %w", s.name, err)
	}
	ahead := s.wantAhead
	*s = *n
	s.wantAhead = ahead
	if ahead {
		s.InflateAhead()
	}
	return nil
}
