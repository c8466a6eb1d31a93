package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// ngReader reads pcapng. pcapgo's NgReader allocates whatever capture length
// a damaged block claims and keeps link types in a byte (losing SLL2, 276),
// so pcapng gets this small reader: every length is checked against the
// block that holds it, and buffers are reused.
type ngReader struct {
	r      *bufio.Reader
	bo     binary.ByteOrder
	ifaces []ngIface
	body   []byte
	hdr    [12]byte
	// drops holds each interface's isb_ifdrop: a cumulative counter, so
	// the last block's value counts, never the sum of them all.
	drops map[uint32]uint64

	pos        func() int64 // offset of the next unread byte
	blockStart int64        // offset of the block being read, for damage reports
}

type ngIface struct {
	link    LinkType
	snaplen uint32
	// timestamps are units of 10^-exp (pow10) or 2^-exp seconds
	unitsPerSec uint64
	offset      int64 // if_tsoffset, seconds
}

const (
	ngSHB = pcapngMagic
	ngIDB = 1
	ngPB  = 2 // obsolete packet block
	ngSPB = 3
	ngISB = 5
	ngEPB = 6

	ngMaxBlock = maxSnaplen + 1<<16 // a packet plus generous options
)

var errNgBOM = errors.New("bad pcapng byte-order magic")

func newNgReader(r *bufio.Reader, pos func() int64) (*ngReader, error) {
	n := &ngReader{r: r, pos: pos}
	if _, err := n.readBlock(); err != nil { // the section header
		return nil, err
	}
	return n, nil
}

// readBlock reads the next block and handles non-packet blocks itself. It
// returns the block type of a packet block with n.body holding its body.
func (n *ngReader) readBlock() (uint32, error) {
	n.blockStart = n.pos()
	if _, err := io.ReadFull(n.r, n.hdr[:8]); err != nil {
		return 0, err
	}
	typ := binary.LittleEndian.Uint32(n.hdr[0:4])
	if typ == ngSHB {
		if _, err := io.ReadFull(n.r, n.hdr[8:12]); err != nil {
			return 0, unexpected(err)
		}
		switch {
		case binary.LittleEndian.Uint32(n.hdr[8:12]) == pcapngByteOrderWord:
			n.bo = binary.LittleEndian
		case binary.BigEndian.Uint32(n.hdr[8:12]) == pcapngByteOrderWord:
			n.bo = binary.BigEndian
		default:
			return 0, errNgBOM
		}
		n.ifaces = n.ifaces[:0] // interfaces are per section
		total := n.bo.Uint32(n.hdr[4:8])
		if total < 28 || total%4 != 0 || total > ngMaxBlock {
			return 0, fmt.Errorf("section header length %d is invalid", total)
		}
		if err := n.readBody(int(total) - 12); err != nil {
			return 0, err
		}
		if major := n.bo.Uint16(n.body[0:2]); major != 1 {
			return 0, fmt.Errorf("pcapng version %d.%d is not supported", major, n.bo.Uint16(n.body[2:4]))
		}
		return ngSHB, nil
	}
	if n.bo == nil {
		return 0, errors.New("pcapng block before the section header")
	}
	typ = n.bo.Uint32(n.hdr[0:4])
	total := n.bo.Uint32(n.hdr[4:8])
	if total < 12 || total%4 != 0 {
		return 0, fmt.Errorf("block type %#x has invalid length %d", typ, total)
	}
	bodyLen := int(total) - 8
	switch typ {
	case ngEPB, ngSPB, ngPB, ngIDB, ngISB:
		if total > ngMaxBlock {
			return 0, fmt.Errorf("block type %#x claims %d bytes, more than any packet block needs", typ, total)
		}
		if err := n.readBody(bodyLen); err != nil {
			return 0, err
		}
	default:
		// Unknown or uninteresting blocks (name resolution, custom,
		// decryption secrets...) are skipped whole.
		if _, err := n.r.Discard(bodyLen); err != nil {
			return 0, unexpected(err)
		}
		return typ, nil
	}
	if trail := n.bo.Uint32(n.body[len(n.body)-4:]); trail != total {
		return 0, fmt.Errorf("block type %#x: trailing length %d differs from leading %d", typ, trail, total)
	}
	n.body = n.body[:len(n.body)-4]
	switch typ {
	case ngIDB:
		return typ, n.parseIDB()
	case ngISB:
		n.parseISB()
	}
	return typ, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (n *ngReader) readBody(size int) error {
	if cap(n.body) < size {
		n.body = make([]byte, size)
	}
	n.body = n.body[:size]
	_, err := io.ReadFull(n.r, n.body)
	return unexpected(err)
}

func (n *ngReader) parseIDB() error {
	b := n.body
	if len(b) < 8 {
		return errors.New("interface description block too short")
	}
	ifc := ngIface{link: LinkType(n.bo.Uint16(b[0:2])), snaplen: n.bo.Uint32(b[4:8]), unitsPerSec: 1e6}
	for opts := b[8:]; len(opts) >= 4; {
		code, l := n.bo.Uint16(opts[0:2]), int(n.bo.Uint16(opts[2:4]))
		if code == 0 || 4+l > len(opts) {
			break
		}
		v := opts[4 : 4+l]
		switch {
		case code == 9 && l >= 1: // if_tsresol
			exp := v[0] & 0x7f
			if v[0]&0x80 != 0 {
				if exp > 63 {
					return fmt.Errorf("if_tsresol 2^-%d is out of range", exp)
				}
				ifc.unitsPerSec = 1 << exp
			} else {
				if exp > 19 {
					return fmt.Errorf("if_tsresol 10^-%d is out of range", exp)
				}
				ifc.unitsPerSec = uint64(math.Pow10(int(exp)))
			}
		case code == 14 && l >= 8: // if_tsoffset
			ifc.offset = int64(n.bo.Uint64(v))
			// Seconds added to every timestamp: past a century either
			// way the nanoseconds overflow, and no clock is that wrong.
			if ifc.offset > maxTSOffset || ifc.offset < -maxTSOffset {
				return fmt.Errorf("if_tsoffset %d s is out of range (at most %d)", ifc.offset, int64(maxTSOffset))
			}
		}
		opts = opts[4+(l+3)&^3:]
	}
	if len(n.ifaces) == maxInterfaces {
		return fmt.Errorf("more than %d interface description blocks in one section", maxInterfaces)
	}
	n.ifaces = append(n.ifaces, ifc)
	return nil
}

// maxInterfaces bounds the interfaces of a section: real captures have a
// handful; a crafted file's millions would each cost memory.
const maxInterfaces = 1 << 16

// maxTSOffset is the largest if_tsoffset taken, in seconds (100 years).
const maxTSOffset = 100 * 365 * 24 * 3600

func (n *ngReader) parseISB() {
	b := n.body
	if len(b) < 12 {
		return
	}
	for opts := b[12:]; len(opts) >= 4; {
		code, l := n.bo.Uint16(opts[0:2]), int(n.bo.Uint16(opts[2:4]))
		if code == 0 || 4+l > len(opts) {
			return
		}
		if code == 5 && l == 8 { // isb_ifdrop
			if n.drops == nil {
				n.drops = map[uint32]uint64{}
			}
			id := n.bo.Uint32(b[0:4])
			if _, seen := n.drops[id]; seen || len(n.drops) < maxDropIfaces {
				n.drops[id] = n.bo.Uint64(opts[4:12])
			}
		}
		opts = opts[4+(l+3)&^3:]
	}
}

// next returns the next packet; data is valid until the following call.
func (n *ngReader) next() (data []byte, ts int64, wire int, link LinkType, err error) {
	for {
		typ, err := n.readBlock()
		if err != nil {
			return nil, 0, 0, 0, err
		}
		b := n.body
		switch typ {
		case ngEPB, ngPB:
			if len(b) < 20 {
				return nil, 0, 0, 0, errors.New("packet block too short")
			}
			var idx int
			if typ == ngEPB {
				idx = int(n.bo.Uint32(b[0:4]))
			} else {
				idx = int(n.bo.Uint16(b[0:2]))
			}
			if idx >= len(n.ifaces) {
				return nil, 0, 0, 0, fmt.Errorf("packet on interface %d, but the section declares %d", idx, len(n.ifaces))
			}
			ifc := &n.ifaces[idx]
			units := uint64(n.bo.Uint32(b[4:8]))<<32 | uint64(n.bo.Uint32(b[8:12]))
			caplen, wire := int(n.bo.Uint32(b[12:16])), int(n.bo.Uint32(b[16:20]))
			if caplen > len(b)-20 {
				return nil, 0, 0, 0, fmt.Errorf("captured length %d exceeds its block (%d bytes)", caplen, len(b)-20)
			}
			return b[20 : 20+caplen], ngTime(units, ifc), wire, ifc.link, nil
		case ngSPB:
			if len(b) < 4 {
				return nil, 0, 0, 0, errors.New("simple packet block too short")
			}
			if len(n.ifaces) == 0 {
				return nil, 0, 0, 0, errors.New("simple packet block without an interface")
			}
			wire := int(n.bo.Uint32(b[0:4]))
			caplen := min(wire, len(b)-4)
			if s := int(n.ifaces[0].snaplen); s > 0 && caplen > s {
				caplen = s
			}
			return b[4 : 4+caplen], 0, wire, n.ifaces[0].link, nil
		}
	}
}

func ngTime(units uint64, ifc *ngIface) int64 {
	sec := units / ifc.unitsPerSec
	frac := units % ifc.unitsPerSec
	var ns uint64
	if ifc.unitsPerSec > uint64(time.Second) {
		ns = frac / (ifc.unitsPerSec / uint64(time.Second))
	} else {
		ns = frac * uint64(time.Second) / ifc.unitsPerSec
	}
	return (int64(sec)+ifc.offset)*int64(time.Second) + int64(ns)
}

// linkTypes lists the link types of the interfaces, each once.
func (n *ngReader) linkTypes() []LinkType {
	var out []LinkType
	for _, i := range n.ifaces {
		if !slices.Contains(out, i.link) {
			out = append(out, i.link)
		}
	}
	return out
}

// maxDropIfaces bounds the interfaces whose drop counters are kept: a
// crafted file's millions of statistics blocks cannot grow the map.
const maxDropIfaces = 4096

// totalDrops is the capture's losses: each interface's last count.
func (n *ngReader) totalDrops() uint64 {
	var t uint64
	for _, d := range n.drops {
		t += d
	}
	return t
}
