package capture

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/flowverify/flowverify/internal/safefile"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Rotator writes what was captured into rotating pcapng files, one
// interface description per capture interface, for later offline analysis
// and regression tests.
type Rotator struct {
	dir      string
	maxBytes int64
	maxFiles int
	ifaces   []string
	links    []LinkType
	f        *os.File
	bw       *bufio.Writer
	w        *pcapgo.NgWriter
	written  int64
	seq      int
	files    []string
}

// NewRotator keeps at most maxFiles files of about maxBytes each in dir.
func NewRotator(dir string, maxBytes int64, maxFiles int, ifaces []string, links []LinkType) (*Rotator, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	if maxBytes <= 0 {
		maxBytes = 100 << 20
	}
	if maxFiles <= 0 {
		maxFiles = 10
	}
	r := &Rotator{dir: dir, maxBytes: maxBytes, maxFiles: maxFiles, ifaces: ifaces, links: links}
	return r, r.open()
}

func (r *Rotator) open() error {
	r.seq++
	// A random part, so that nobody can plant a link at the next name; and
	// created exclusively, so that one planted anyway is never followed.
	name := filepath.Join(r.dir, fmt.Sprintf("flowverify-%s-%04d-%s.pcapng", time.Now().UTC().Format("20060102T150405Z"), r.seq, safefile.Unpredictable(4)))
	f, err := safefile.Create(name)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	first := pcapgo.NgInterface{Name: r.ifaces[0], LinkType: layers.LinkType(r.links[0]), SnapLength: 262144}
	w, err := pcapgo.NewNgWriterInterface(bw, first, pcapgo.NgWriterOptions{})
	if err != nil {
		f.Close()
		return err
	}
	for i := 1; i < len(r.ifaces); i++ {
		if _, err := w.AddInterface(pcapgo.NgInterface{Name: r.ifaces[i], LinkType: layers.LinkType(r.links[i]), SnapLength: 262144}); err != nil {
			f.Close()
			return err
		}
	}
	r.f, r.bw, r.w, r.written = f, bw, w, 0
	r.files = append(r.files, name)
	for len(r.files) > r.maxFiles {
		os.Remove(r.files[0])
		r.files = r.files[1:]
	}
	return nil
}

// Write appends one packet, rotating when the file is full.
func (r *Rotator) Write(data []byte, ts int64, wire, iface int) error {
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, ts), CaptureLength: len(data), Length: wire, InterfaceIndex: iface}
	if err := r.w.WritePacket(ci, data); err != nil {
		return err
	}
	r.written += int64(len(data)) + 32
	if r.written >= r.maxBytes {
		if err := r.closeFile(); err != nil {
			return err
		}
		return r.open()
	}
	return nil
}

func (r *Rotator) closeFile() error {
	if err := r.w.Flush(); err != nil {
		return err
	}
	if err := r.bw.Flush(); err != nil {
		return err
	}
	return r.f.Close()
}

// Files lists the files kept, oldest first.
func (r *Rotator) Files() []string {
	out := append([]string(nil), r.files...)
	sort.Strings(out)
	return out
}

// Close flushes and closes the current file.
func (r *Rotator) Close() error { return r.closeFile() }
