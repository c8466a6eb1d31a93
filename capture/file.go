package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/flowverify/flowverify/internal/words"
)

// maxSnaplen is the largest record a file may hold; it matches what
// Wireshark and tcpdump accept. A bigger record length means a damaged file.
const maxSnaplen = 262144

// Format names a capture file format.
type Format string

// File formats recognised by their magic number (never by extension).
const (
	formatPcap   Format = "pcap"
	formatPcapNG Format = "pcapng"
)

// ErrNotCapture means the file is readable but is no pcap or pcapng file.
var ErrNotCapture = errors.New("not a pcap or pcapng capture")

// DamageError reports where a capture stopped being readable. Everything
// before Offset was read and analysed.
type DamageError struct {
	File   string
	Offset int64  // byte offset of the damaged record (in the decompressed stream when compressed)
	Comp   string // the file's compression (compressGzip, ...), "" for none
	Err    error
}

func (e *DamageError) Error() string { return e.File + ": " + e.Detail() }

// Detail is the message without the file name.
func (e *DamageError) Detail() string {
	where := "byte offset"
	if e.Comp != "" {
		where = "decompressed byte offset"
	}
	return fmt.Sprintf("damaged at %s %d: %v", where, e.Offset, e.Err)
}

func (e *DamageError) Unwrap() error { return e.Err }

// countingReader counts the bytes that pass through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// FileSource reads one pcap or pcapng file, plain or compressed (gzip,
// zstd, xz), or one member of a zip archive.
type FileSource struct {
	name   string
	closer io.Closer
	raw    *atomicCounter // bytes read from disk (compressed, for .gz)
	format Format
	comp   string         // compression, by content (compressGzip, ...)
	zr     io.ReadCloser  // the decompressor
	zin    *atomicCounter // compressed bytes zr has taken
	unz    *atomicCounter // bytes zr has inflated, for whichever reader asked
	ahead  *aheadReader   // inflating on a goroutine of its own (see InflateAhead)

	// The position of the next unread byte is counter.n - br.Buffered():
	// pcapgo reuses a *bufio.Reader handed to it, so br is the only buffer
	// between the counter and the format reader.
	counter *countingReader
	br      *bufio.Reader

	ng *ngReader
	// Classic pcap records are read straight out of br (see nextPcap);
	// pcapgo checks the file header and is the reference the tests compare
	// the record reader against.
	bigEndian  bool
	minor      uint16 // the pcap header's minor version
	nanoFactor int64
	// overlong counts records whose captured length exceeded their
	// original length: read as the smaller, and said in the warnings.
	overlong uint64
	link     LinkType
	offset   int64 // offset of the record being read
	size     int64

	// reopen opens the file again from its start (files opened by name;
	// see Park); wantAhead remembers InflateAhead across a park.
	reopen            func() (*FileSource, error)
	parked, wantAhead bool
}

// OpenFile opens a capture. The error names the file; ErrNotCapture (wrapped)
// means the bytes are no capture at all.
func OpenFile(name string) (*FileSource, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: is a directory", name)
	}
	raw := &atomicCounter{r: f}
	s, err := NewSource(name, raw, st.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	s.closer, s.raw = f, raw
	s.reopen = func() (*FileSource, error) { return OpenFile(name) }
	return s, nil
}

// NewSource reads a capture from r; name is used in messages only. Tests
// and fuzzers use it to read bytes without a file.
func NewSource(name string, r io.Reader, size int64) (*FileSource, error) {
	s := &FileSource{name: name, size: size}
	if err := s.open(r); err != nil {
		return nil, err
	}
	return s, nil
}

// readBuffer is the read size from disk: large reads keep syscalls rare.
const readBuffer = 1 << 18

func (s *FileSource) open(in io.Reader) error {
	// One buffer between the file and the format reader; a gzip stream
	// gets a second one after the decompressor. Offsets are the counter's
	// bytes less what the buffer still holds.
	s.counter = &countingReader{r: in}
	s.br = bufio.NewReaderSize(s.counter, readBuffer)
	magic, _ := s.br.Peek(6)
	if kind := compressionOf(magic); kind != compressNone {
		// Counted on both sides of the inflater, for Consumed: not a
		// ByteReader, so the decompressor buffers on its own.
		var raw io.Reader = s.br
		if kind == compressGzip {
			raw = trimGzipName(s.br)
		}
		zin := &atomicCounter{r: raw}
		zr, err := decompressor(kind, zin)
		if err != nil {
			return fmt.Errorf("%s: bad %s header: %w: %w", s.name, kind, err, ErrNotCapture)
		}
		s.comp, s.zr, s.zin, s.unz = kind, zr, zin, &atomicCounter{r: zr}
		s.counter = &countingReader{r: s.unz}
		s.br = bufio.NewReaderSize(s.counter, readBuffer)
	}
	head, err := s.br.Peek(4)
	if len(head) < 4 {
		if err == nil || err == io.EOF {
			return fmt.Errorf("%s: file too short for a capture header (%s): %w", s.name, words.Count(len(head), "byte"), ErrNotCapture)
		}
		return fmt.Errorf("%s: %w", s.name, err)
	}
	switch m := binary.LittleEndian.Uint32(head); m {
	case pcapMagicMicro, pcapMagicMicroSwap, pcapMagicNano, pcapMagicNanoSwap:
		s.format = formatPcap
		hdr, _ := s.br.Peek(24)
		if len(hdr) == 24 {
			if m == pcapMagicMicro || m == pcapMagicNano {
				s.link = LinkType(binary.LittleEndian.Uint32(hdr[20:24]))
			} else {
				s.link = LinkType(binary.BigEndian.Uint32(hdr[20:24]))
				s.bigEndian = true
			}
			s.nanoFactor = 1000
			if m == pcapMagicNano || m == pcapMagicNanoSwap {
				s.nanoFactor = 1
			}
			// The upper bits carry FCS and class flags (pcap-linktype(7)).
			s.link &= 0x03ffffff
		}
		if err := s.pcapHeader(hdr); err != nil {
			return fmt.Errorf("%s: bad pcap header: %w: %w", s.name, err, ErrNotCapture)
		}
	case pcapngMagic:
		s.format = formatPcapNG
		nr, err := newNgReader(s.br, s.Offset)
		if err != nil {
			return fmt.Errorf("%s: bad pcapng section header: %w: %w", s.name, err, ErrNotCapture)
		}
		s.ng = nr
	default:
		return fmt.Errorf("%s: unknown magic %08x: %w", s.name, m, ErrNotCapture)
	}
	return nil
}

// Name returns the file name.
func (s *FileSource) Name() string { return s.name }

// Format returns pcap or pcapng.
func (s *FileSource) Format() Format { return s.format }

// Compressed reports whether the file is compressed.
func (s *FileSource) Compressed() bool { return s.comp != compressNone }

// Compression names the file's compression ("" for none).
func (s *FileSource) Compression() string { return s.comp }

// ReadBytes is how many bytes of the file on disk were read so far.
func (s *FileSource) ReadBytes() int64 {
	if s.raw == nil {
		return 0
	}
	return s.raw.n.Load()
}

// Consumed is how many of the file's Size bytes the records read so far
// came from: exact for an uncompressed capture; for a compressed one an
// estimate, the compressed bytes the inflater took scaled by the share of
// its output the records used (it and the buffers run megabytes ahead).
// It reads the reader's state: call it where the records are read.
func (s *FileSource) Consumed() int64 {
	if s.parked {
		return 0 // not reached yet: read again from its start when it is
	}
	if s.comp == compressNone {
		return s.Offset()
	}
	in, out := s.zin.n.Load(), s.unz.n.Load()
	if out <= 0 {
		return 0
	}
	return int64(float64(in) * float64(s.Offset()) / float64(out))
}

// InflateAhead has a compressed capture inflated on a goroutine of its
// own, ahead of the reading (see aheadReader); Close stops it. For runs
// with a core to spare: the records and errors read are the same.
func (s *FileSource) InflateAhead() {
	s.wantAhead = true
	if s.zr == nil || s.ahead != nil {
		return
	}
	s.ahead = newAheadReader(s.unz)
	s.counter.r = s.ahead
}

// Size returns the file's size on disk.
func (s *FileSource) Size() int64 { return s.size }

// Offset is the (decompressed) byte offset just past the last record read.
func (s *FileSource) Offset() int64 {
	if s.parked {
		return 0
	}
	return s.counter.n - int64(s.br.Buffered())
}

// LinkTypes lists the link types of the file (all interfaces of a pcapng).
func (s *FileSource) LinkTypes() []LinkType {
	if s.format == formatPcap {
		return []LinkType{s.link}
	}
	if s.ng == nil {
		return nil // parked: not read yet
	}
	return s.ng.linkTypes()
}

// Drops is what pcapng interface statistics say the capture lost.
func (s *FileSource) Drops() uint64 {
	if s.ng != nil {
		return s.ng.totalDrops()
	}
	return 0
}

// Next returns the next record. data is valid until the next call. At the
// clean end of the file it returns io.EOF; a damaged record gives a
// *DamageError carrying the offset of that record.
func (s *FileSource) Next() (data []byte, ts int64, wire int, lt LinkType, err error) {
	s.offset = s.Offset()
	if s.format == formatPcap {
		lt = s.link
		data, ts, wire, err = s.nextPcap()
	} else {
		data, ts, wire, lt, err = s.ng.next()
		s.offset = s.ng.blockStart
	}
	if err != nil {
		return nil, 0, 0, lt, s.recordErr(err)
	}
	return data, ts, wire, lt, nil
}

// recordErr turns the error that ended a record read at s.offset into
// io.EOF at the clean end of the file, else a *DamageError. io.EOF comes
// only from a header read that found no byte at all; a record cut short
// says io.ErrUnexpectedEOF, except pcapgo's data read (the reference the
// tests hold the record reader to), caught here by the offset having
// moved.
func (s *FileSource) recordErr(err error) error {
	if err == io.EOF && (s.ng != nil || s.Offset() == s.offset) {
		return io.EOF
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return &DamageError{File: s.name, Offset: s.offset, Comp: s.comp, Err: err}
}

// recordBuffered reports whether the next classic pcap record lies whole
// in the read buffer, so that reading it moves none of the bytes handed
// out before (bufio moves them only when it refills).
func (s *FileSource) recordBuffered() bool {
	if s.format != formatPcap {
		return false
	}
	b := s.br.Buffered()
	if b < 16 {
		return false
	}
	hdr, _ := s.br.Peek(16)
	caplen := binary.LittleEndian.Uint32(hdr[8:12])
	if s.bigEndian {
		caplen = binary.BigEndian.Uint32(hdr[8:12])
	}
	return uint64(b) >= 16+uint64(caplen)
}

// Every record fits the read buffer, so nextPcap can always Peek it whole.
var _ [readBuffer - maxSnaplen]struct{}

// nextPcap reads one classic pcap record. It hands out the record's bytes
// where they lie in the read buffer instead of copying them out as
// pcapgo's ZeroCopyReadPacketData does through io.ReadFull, and computes
// the timestamp as integer nanoseconds without a time.Time, which weighs
// on a capture of small packets. The checks and
// errors are pcapgo's.
func (s *FileSource) nextPcap() (data []byte, ts int64, wire int, err error) {
	hdr, err := s.br.Peek(16)
	if len(hdr) < 16 {
		if len(hdr) == 0 && err == io.EOF {
			return nil, 0, 0, io.EOF
		}
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, 0, 0, err
	}
	var sec, frac, caplen, origlen uint32
	if s.bigEndian {
		sec, frac = binary.BigEndian.Uint32(hdr[0:4]), binary.BigEndian.Uint32(hdr[4:8])
		caplen, origlen = binary.BigEndian.Uint32(hdr[8:12]), binary.BigEndian.Uint32(hdr[12:16])
	} else {
		sec, frac = binary.LittleEndian.Uint32(hdr[0:4]), binary.LittleEndian.Uint32(hdr[4:8])
		caplen, origlen = binary.LittleEndian.Uint32(hdr[8:12]), binary.LittleEndian.Uint32(hdr[12:16])
	}
	if _, err := s.br.Discard(16); err != nil {
		return nil, 0, 0, err
	}
	if caplen > maxSnaplen {
		return nil, 0, 0, fmt.Errorf("capture length exceeds snap length: %d > %d", caplen, maxSnaplen)
	}
	n := int(caplen)
	if caplen > origlen {
		// As libpcap does: before version 2.3 some writers swapped the
		// two fields, so the file holds the smaller; later, the file
		// holds caplen bytes and the packet was the smaller. Either way
		// the smaller is read, and the warnings count it.
		s.overlong++
		if s.minor < 3 {
			n = int(origlen)
			origlen = caplen
		}
	}
	data, err = s.br.Peek(n)
	if len(data) < n {
		s.br.Discard(len(data))
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, 0, 0, err
	}
	// Discarding what is buffered moves the read position only; the bytes
	// stay put until the next Peek refills the buffer.
	s.br.Discard(n)
	if caplen > origlen && s.minor >= 3 {
		data = data[:origlen]
	}
	return data, int64(sec)*1e9 + int64(frac)*s.nanoFactor, int(origlen), nil
}

// Close releases the file.
func (s *FileSource) Close() error {
	if s.parked {
		return nil
	}
	if s.ahead != nil {
		s.ahead.close()
		s.ahead = nil
	}
	if s.zr != nil {
		s.zr.Close()
	}
	if c := s.closer; c != nil {
		s.closer = nil // a second Close (the merge's, after the end) does nothing
		return c.Close()
	}
	return nil
}

// pcapHeader checks a classic pcap file header (pcap-savefile(5)) and
// skips it. Like libpcap and tshark it reads every 2.x minor version;
// only other majors are refused.
func (s *FileSource) pcapHeader(hdr []byte) error {
	if len(hdr) < 24 {
		return fmt.Errorf("file header cut short (%d of 24 bytes)", len(hdr))
	}
	bo := binary.ByteOrder(binary.LittleEndian)
	if s.bigEndian {
		bo = binary.BigEndian
	}
	major, minor := bo.Uint16(hdr[4:6]), bo.Uint16(hdr[6:8])
	if major != 2 {
		return fmt.Errorf("pcap version %d.%d (only 2.x exists)", major, minor)
	}
	s.minor = minor
	_, err := s.br.Discard(24)
	return err
}

// Overlong is how many records had a captured length over their
// original length (read as the smaller).
func (s *FileSource) Overlong() uint64 { return s.overlong }

// atEnd says whether every byte of an uncompressed file has been read;
// false when that cannot be told (compressed, or of unknown size).
func (s *FileSource) atEnd() bool {
	return s.comp == compressNone && s.size > 0 && s.Offset() == s.size
}
