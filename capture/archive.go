package capture

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// zipMagic opens a zip archive's local file header (APPNOTE 4.3.7).
var zipMagic = []byte{'P', 'K', 3, 4}

// Input is one source to read, or why it cannot be: a file, or one
// member of a zip archive, named archive.zip:member.
type Input struct {
	Name   string
	Source *FileSource
	Err    error
	// NotCapture: an archive member that holds no capture (a README
	// beside the pcaps): listed and skipped, not damage.
	NotCapture bool
}

// OpenInputs opens a capture file. A zip archive (told by its first bytes,
// as customers' mail gateways rename them) gives one input per member,
// each a capture of its own, plain or compressed; a member that is no
// capture is an input with its error, so nothing in the archive goes
// unreported; one that is no capture at all is marked so.
func OpenInputs(name string) ([]Input, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	f.Close()
	if n < 4 || !bytes.Equal(head, zipMagic) {
		s, err := OpenFile(name)
		if err != nil {
			return nil, err
		}
		return []Input{{Name: name, Source: s}}, nil
	}
	return openZip(name)
}

func openZip(name string) ([]Input, error) {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable zip archive: %w", name, err)
	}
	shared := &sharedCloser{c: zr}
	var out []Input
	for _, m := range zr.File {
		if m.FileInfo().IsDir() || strings.HasPrefix(m.Name, "__MACOSX/") {
			continue
		}
		in := Input{Name: name + ":" + m.Name}
		rc, err := m.Open()
		if err != nil {
			in.Err = fmt.Errorf("%s: %w", in.Name, err)
			out = append(out, in)
			continue
		}
		s, err := NewSource(in.Name, rc, int64(m.UncompressedSize64))
		if err != nil {
			rc.Close()
			in.Err, in.NotCapture = err, errors.Is(err, ErrNotCapture)
			out = append(out, in)
			continue
		}
		shared.add()
		s.closer = memberCloser{rc, shared}
		in.Source = s
		out = append(out, in)
	}
	if shared.n == 0 {
		zr.Close()
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: the zip archive holds no file", name)
	}
	return out, nil
}

// sharedCloser closes the archive once its last member is closed.
type sharedCloser struct {
	mu sync.Mutex
	n  int
	c  io.Closer
}

func (s *sharedCloser) add() { s.mu.Lock(); s.n++; s.mu.Unlock() }

func (s *sharedCloser) release() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n--
	if s.n == 0 {
		return s.c.Close()
	}
	return nil
}

type memberCloser struct {
	member io.Closer
	shared *sharedCloser
}

func (m memberCloser) Close() error {
	err := m.member.Close()
	if e := m.shared.release(); err == nil {
		err = e
	}
	return err
}
