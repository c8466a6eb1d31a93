package synth

import (
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
)

// Link types the writer produces.
const (
	LinkEthernet = 1
	linkRaw      = 101
	LinkNull     = 0
	linkSLL      = 113
	LinkSLL2     = 276
)

// Format chooses the file layout.
type Format struct {
	NG        bool     // pcapng instead of pcap
	Nanos     bool     // pcap with nanosecond timestamps
	BigEndian bool     // pcap written big-endian
	Gzip      bool     // compress the whole file
	Links     []uint32 // link type per interface (default: Ethernet); pcap uses Links[0]
	vlans     []uint16 // 802.1Q tags on Ethernet frames (two for QinQ)
}

// Write serialises the capture.
func (c *Capture) Write(w io.Writer, f Format) error {
	if len(f.Links) == 0 {
		f.Links = []uint32{LinkEthernet}
	}
	if f.Gzip {
		zw := gzip.NewWriter(w)
		g := f
		g.Gzip = false
		if err := c.Write(zw, g); err != nil {
			return err
		}
		return zw.Close()
	}
	frames := c.sorted()
	if f.NG {
		return c.writeNG(w, f, frames)
	}
	if err := writePcapHeader(w, f); err != nil {
		return err
	}
	for i := range frames {
		data := linkFrame(&frames[i], f.Links[0], f.vlans)
		if err := writePcapRecord(w, f, &frames[i], data); err != nil {
			return err
		}
	}
	return nil
}

func writePcapHeader(w io.Writer, f Format) error {
	var h [24]byte
	bo := byteOrder(f)
	magic := uint32(pcapMagicMicro)
	if f.Nanos {
		magic = pcapMagicNano
	}
	bo.PutUint32(h[0:], magic)
	bo.PutUint16(h[4:], 2)
	bo.PutUint16(h[6:], 4)
	bo.PutUint32(h[16:], 262144)
	bo.PutUint32(h[20:], f.Links[0])
	_, err := w.Write(h[:])
	return err
}

func byteOrder(f Format) binary.ByteOrder {
	if f.BigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

func writePcapRecord(w io.Writer, f Format, fr *frame, data []byte) error {
	var h [16]byte
	bo := byteOrder(f)
	sub := uint32(fr.ts.Nanosecond() / 1000)
	if f.Nanos {
		sub = uint32(fr.ts.Nanosecond())
	}
	bo.PutUint32(h[0:], uint32(fr.ts.Unix()))
	bo.PutUint32(h[4:], sub)
	bo.PutUint32(h[8:], uint32(len(data)))
	bo.PutUint32(h[12:], uint32(len(data)))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

// writeNG writes pcapng by hand: gopacket's writer keeps link types in a
// byte and cannot express SLL2 (276). Timestamps are in nanoseconds
// (if_tsresol 9) so the reader's resolution handling is exercised.
func (c *Capture) writeNG(w io.Writer, f Format, frames []frame) error {
	le := binary.LittleEndian
	block := func(typ uint32, body []byte) error {
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
		total := uint32(12 + len(body))
		b := le.AppendUint32(nil, typ)
		b = le.AppendUint32(b, total)
		b = append(b, body...)
		b = le.AppendUint32(b, total)
		_, err := w.Write(b)
		return err
	}
	shb := le.AppendUint32(nil, pcapngByteOrderWord)
	shb = le.AppendUint16(shb, 1)
	shb = le.AppendUint16(shb, 0)
	shb = le.AppendUint64(shb, ^uint64(0)) // section length unknown
	if err := block(pcapngSHB, shb); err != nil {
		return err
	}
	for i, l := range f.Links {
		idb := le.AppendUint16(nil, uint16(l))
		idb = le.AppendUint16(idb, 0)
		idb = le.AppendUint32(idb, 262144)
		name := fmt.Sprintf("if%d", i)
		idb = le.AppendUint16(idb, 2) // if_name
		idb = le.AppendUint16(idb, uint16(len(name)))
		idb = append(idb, name...)
		for len(idb)%4 != 0 {
			idb = append(idb, 0)
		}
		idb = append(idb, 9, 0, 1, 0, 9, 0, 0, 0) // if_tsresol = 9 (ns), padded
		idb = append(idb, 0, 0, 0, 0)             // opt_endofopt
		if err := block(1, idb); err != nil {
			return err
		}
	}
	for i := range frames {
		fr := &frames[i]
		iface := fr.iface
		if iface >= len(f.Links) {
			iface = 0
		}
		data := linkFrame(fr, f.Links[iface], f.vlans)
		ts := uint64(fr.ts.UnixNano())
		epb := le.AppendUint32(nil, uint32(iface))
		epb = le.AppendUint32(epb, uint32(ts>>32))
		epb = le.AppendUint32(epb, uint32(ts))
		epb = le.AppendUint32(epb, uint32(len(data)))
		epb = le.AppendUint32(epb, uint32(len(data)))
		epb = append(epb, data...)
		if err := block(6, epb); err != nil {
			return err
		}
	}
	return nil
}

// linkFrame wraps the IP packet in the link header.
func linkFrame(fr *frame, link uint32, vlans []uint16) []byte {
	ip := serializeIP(fr)
	v6 := !fr.src.addr.Is4()
	etype := uint16(layers.EthernetTypeIPv4)
	if v6 {
		etype = uint16(layers.EthernetTypeIPv6)
	}
	switch link {
	case linkRaw:
		return ip
	case LinkNull:
		h := make([]byte, 4, 4+len(ip))
		fam := uint32(2)
		if v6 {
			fam = 30 // AF_INET6 on macOS, the usual source of NULL captures
		}
		binary.LittleEndian.PutUint32(h, fam)
		return append(h, ip...)
	case linkSLL:
		h := make([]byte, 16, 16+len(ip))
		binary.BigEndian.PutUint16(h[0:], 0) // to us
		binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
		binary.BigEndian.PutUint16(h[4:], 6)
		copy(h[6:], mac(fr.src.addr))
		binary.BigEndian.PutUint16(h[14:], etype)
		return append(h, ip...)
	case LinkSLL2:
		h := make([]byte, 20, 20+len(ip))
		binary.BigEndian.PutUint16(h[0:], etype)
		binary.BigEndian.PutUint32(h[4:], 2) // interface index
		binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
		h[10] = 0
		h[11] = 6
		copy(h[12:], mac(fr.src.addr))
		return append(h, ip...)
	}
	h := make([]byte, 0, 14+4*len(vlans)+len(ip))
	h = append(h, mac(fr.dst.addr)...)
	h = append(h, mac(fr.src.addr)...)
	for i, v := range vlans {
		tpid := uint16(layers.EthernetTypeDot1Q)
		if i == 0 && len(vlans) > 1 {
			tpid = uint16(layers.EthernetTypeQinQ) // the outer tag
		}
		h = binary.BigEndian.AppendUint16(h, tpid)
		h = binary.BigEndian.AppendUint16(h, v)
	}
	h = binary.BigEndian.AppendUint16(h, etype)
	return append(h, ip...)
}

// File magics written (pcap-savefile(5), the pcapng specification).
const (
	pcapMagicMicro      = 0xa1b2c3d4
	pcapMagicNano       = 0xa1b23c4d
	pcapngSHB           = 0x0a0d0d0a
	pcapngByteOrderWord = 0x1a2b3c4d
)
