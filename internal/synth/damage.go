package synth

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
)

// DamageCase is one damaged capture and the outcome flowverify promises.
type DamageCase struct {
	Name string
	data []byte // nil for cases that are not regular files
	Kind string // "file", "dir", "missing", "unreadable"
	// Exit is the expected status: 0 or 1 (read fully; findings decide), 2
	// (nothing analysed), 3 (analysed up to the damage).
	Exit int
	Want string // a substring the message must carry
}

// DamagedCorpus derives damaged captures from good pcap and pcapng bytes:
// truncation at every record boundary and inside records, flipped header
// fields, impossible record lengths, bad and unknown pcapng blocks, broken
// gzip, empty files, a directory, a missing and an unreadable file.
func DamagedCorpus(pcap, pcapng []byte) []DamageCase {
	var c corpus
	c.pcapCases(pcap)
	c.pcapngCases(pcapng)
	c.gzipCases(pcap)
	cs := c.cases
	cs = append(cs, DamageCase{Name: "a-directory", Kind: "dir", Exit: 2, Want: "no capture files"},
		DamageCase{Name: "missing.pcap", Kind: "missing", Exit: 2, Want: "no such file"},
		DamageCase{Name: "unreadable.pcap", data: pcap, Kind: "unreadable", Exit: 2, Want: "permission denied"})
	return cs
}

// corpus collects damage cases of kind "file".
type corpus struct{ cases []DamageCase }

func (c *corpus) add(name string, data []byte, exit int, want string) {
	c.cases = append(c.cases, DamageCase{Name: name, data: data, Kind: "file", Exit: exit, Want: want})
}

// pcapCases cut a classic pcap at and inside record boundaries and break
// its header fields.
func (c *corpus) pcapCases(pcap []byte) {
	add := c.add
	le := binary.LittleEndian
	// pcap: record boundaries.
	var ends []int
	for off := 24; off+16 <= len(pcap); {
		off += 16 + int(le.Uint32(pcap[off+8:]))
		ends = append(ends, off)
	}
	for i, e := range ends {
		if i%7 != 0 && i != len(ends)-1 {
			continue // every 7th boundary keeps the corpus small; the test walks all
		}
		add(fmt.Sprintf("pcap-cut-at-record-%03d.pcap", i), pcap[:e], -1, "")
		add(fmt.Sprintf("pcap-cut-in-header-%03d.pcap", i), pcap[:e+9], 3, "damaged at byte offset")
		if i+1 < len(ends) {
			add(fmt.Sprintf("pcap-cut-in-data-%03d.pcap", i), pcap[:e+16+5], 3, "damaged at byte offset")
		}
	}
	flip := func(off int, v uint32) []byte {
		d := append([]byte(nil), pcap...)
		le.PutUint32(d[off:], v)
		return d
	}
	add("pcap-magic-flipped.pcap", flip(0, 0xdeadbeef), 2, "not a pcap or pcapng capture")
	d := append([]byte(nil), pcap...)
	le.PutUint16(d[4:], 7)
	add("pcap-version-7.pcap", d, 2, "version")
	d = append([]byte(nil), pcap...)
	le.PutUint16(d[6:], 3)
	add("pcap-version-2.3.pcap", d, -1, "") // tshark reads 2.0 to 2.4
	add("pcap-snaplen-0.pcap", flip(16, 0), -1, "")
	add("pcap-snaplen-2^31.pcap", flip(16, 1<<31), -1, "")
	add("pcap-linktype-unknown.pcap", flip(20, 147), -1, "of link type USER0 (147) not read")
	add("pcap-record-over-snaplen.pcap", flip(24+8, 300000), 3, "exceeds snap length")
	add("pcap-record-over-file.pcap", flip(24+8+16+int(le.Uint32(pcap[24+8:])), 60000), 3, "damaged at byte offset")
	// libpcap and tshark read it: the smaller length, with a warning.
	add("pcap-caplen-over-wirelen.pcap", flip(24+12, 10), -1, "captured length over their original length")
	add("empty.pcap", nil, 2, "too short")
	add("header-only.pcap", pcap[:24], -1, "")
	add("garbage.pcap", bytes.Repeat([]byte("not a capture "), 40), 2, "not a pcap or pcapng capture")
}

// pcapngCases cut a pcapng at and inside blocks and break their lengths,
// interfaces and byte order.
func (c *corpus) pcapngCases(pcapng []byte) {
	add := c.add
	le := binary.LittleEndian
	// pcapng: blocks.
	type blk struct{ off, n int }
	var blocks []blk
	for off := 0; off+8 <= len(pcapng); {
		n := int(le.Uint32(pcapng[off+4:]))
		blocks = append(blocks, blk{off, n})
		off += n
	}
	for i, b := range blocks {
		if i%9 != 0 && i != len(blocks)-1 {
			continue
		}
		end := b.off + b.n
		if i > 0 {
			add(fmt.Sprintf("pcapng-cut-at-block-%03d.pcapng", i), pcapng[:end], -1, "")
		}
		if i+1 < len(blocks) {
			add(fmt.Sprintf("pcapng-cut-in-block-%03d.pcapng", i), pcapng[:end+11], 3, "damaged at byte offset")
		}
	}
	ng := func(f func(d []byte)) []byte {
		d := append([]byte(nil), pcapng...)
		f(d)
		return d
	}
	last := blocks[len(blocks)-1]
	add("pcapng-block-length-huge.pcapng", ng(func(d []byte) { le.PutUint32(d[last.off+4:], 0x7ffffff0) }), 3, "block type")
	add("pcapng-block-length-odd.pcapng", ng(func(d []byte) { le.PutUint32(d[last.off+4:], 13) }), 3, "invalid length")
	add("pcapng-trailer-mismatch.pcapng", ng(func(d []byte) { le.PutUint32(d[last.off+last.n-4:], 12) }), 3, "trailing length")
	add("pcapng-caplen-over-block.pcapng", ng(func(d []byte) { le.PutUint32(d[last.off+8+12:], 100000) }), 3, "exceeds its block")
	add("pcapng-unknown-interface.pcapng", ng(func(d []byte) { le.PutUint32(d[last.off+8:], 42) }), 3, "interface 42")
	// An unknown (custom) block in the middle is skipped.
	custom := []byte{0xAD, 0x0B, 0x00, 0x40, 16, 0, 0, 0, 1, 2, 3, 4, 16, 0, 0, 0}
	mid := blocks[len(blocks)/2].off
	add("pcapng-unknown-block.pcapng", append(append(append([]byte(nil), pcapng[:mid]...), custom...), pcapng[mid:]...), -1, "")
	add("pcapng-bad-byte-order.pcapng", ng(func(d []byte) { le.PutUint32(d[8:], 0x11223344) }), 2, "byte-order")
}

// gzipCases compress the pcap, then corrupt and cut the stream.
func (c *corpus) gzipCases(pcap []byte) {
	add := c.add
	// gzip.
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(pcap)
	zw.Close()
	gz := z.Bytes()
	add("gzip-ok.pcap.gz", gz, -1, "")
	bad := append([]byte(nil), gz...)
	for i := len(bad) / 2; i < len(bad)/2+16; i++ {
		bad[i] ^= 0x5a
	}
	add("gzip-corrupt-stream.pcap.gz", bad, 3, "decompressed byte offset")
	add("gzip-truncated.pcap.gz", gz[:len(gz)*2/3], 3, "decompressed byte offset")
	add("gzip-bad-header.pcap.gz", []byte{0x1f, 0x8b, 0x09, 0, 0, 0}, 2, "gzip")
}

// WriteDamagedCorpus lays the corpus out in dir (the missing file is not
// written, of course) with a manifest of expected outcomes.
func WriteDamagedCorpus(dir string, cs []DamageCase) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var manifest bytes.Buffer
	manifest.WriteString("# case\texpected exit (-1: 0 or 1, judged by findings)\tmessage contains\n")
	for _, c := range cs {
		p := filepath.Join(dir, c.Name)
		var err error
		switch c.Kind {
		case "file":
			err = os.WriteFile(p, c.data, 0o644)
		case "unreadable":
			if err = os.WriteFile(p, c.data, 0o644); err == nil {
				err = os.Chmod(p, 0)
			}
		case "dir":
			err = os.MkdirAll(p, 0o755)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(&manifest, "%s\t%d\t%s\n", c.Name, c.Exit, c.Want)
	}
	return os.WriteFile(filepath.Join(dir, "MANIFEST.tsv"), manifest.Bytes(), 0o644)
}
