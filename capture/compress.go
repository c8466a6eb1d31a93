package capture

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Compressions a capture may come in, told by the stream's first bytes,
// never by the file's name: customers rename files, and tools drop
// extensions.
const (
	compressNone = ""
	compressGzip = "gzip"
	CompressZstd = "zstd"
	CompressXZ   = "xz"
)

// compressionOf reads a compressed stream's magic (RFC 1952 for gzip,
// RFC 8878 for zstd frames, the .xz file format's header).
func compressionOf(head []byte) string {
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return compressGzip
	case len(head) >= 4 && bytes.Equal(head[:4], []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return CompressZstd
	case len(head) >= 6 && bytes.Equal(head[:6], []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return CompressXZ
	}
	return compressNone
}

// zstdWindow bounds the memory a zstd frame may ask for: captures are
// compressed with the default levels (8 MiB windows at most); a crafted
// frame asking for gigabytes is refused, not obeyed.
const zstdWindow = 64 << 20

// decompressor opens the inflating reader for a compressed stream.
func decompressor(kind string, r io.Reader) (io.ReadCloser, error) {
	switch kind {
	case compressGzip:
		return gzip.NewReader(r)
	case CompressZstd:
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdWindow), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	case CompressXZ:
		x, err := xz.NewReader(r)
		if err != nil {
			return nil, err
		}
		return io.NopCloser(x), nil
	}
	return nil, fmt.Errorf("unknown compression %q", kind)
}

// maxGzipName is the longest original-file name the gzip reader takes in
// a header (it keeps them in a 512-byte buffer); tshark reads longer ones.
const maxGzipName = 500

// gzipHeaderFields, from RFC 1952's FLG byte.
const (
	gzipFHCRC    = 0x02
	gzipFEXTRA   = 0x04
	gzipFNAME    = 0x08
	gzipFCOMMENT = 0x10
)

// trimGzipName returns the stream with a first member's over-long file
// name (and comment) dropped from its header, so the reader takes it; a
// header CRC, which would no longer match, goes too. Other streams come
// back as they are. The name is metadata only: the data is untouched.
func trimGzipName(br *bufio.Reader) io.Reader {
	h, _ := br.Peek(10)
	if len(h) < 10 || h[3]&(gzipFNAME|gzipFCOMMENT) == 0 {
		return br
	}
	flg := h[3]
	buf, _ := br.Peek(1 << 16)
	off := 10
	if flg&gzipFEXTRA != 0 {
		if len(buf) < off+2 {
			return br
		}
		off += 2 + (int(buf[off]) | int(buf[off+1])<<8)
	}
	start := off
	long := false
	for _, f := range []byte{gzipFNAME, gzipFCOMMENT} {
		if flg&f == 0 {
			continue
		}
		end := bytes.IndexByte(buf[min(off, len(buf)):], 0)
		if end < 0 {
			return br // a name past 64 KiB: leave it to the reader's error
		}
		long = long || end > maxGzipName
		off += end + 1
	}
	if !long {
		return br
	}
	if flg&gzipFHCRC != 0 {
		off += 2
	}
	hdr := append([]byte(nil), buf[:start]...)
	hdr[3] = flg &^ (gzipFNAME | gzipFCOMMENT | gzipFHCRC)
	br.Discard(off)
	return io.MultiReader(bytes.NewReader(hdr), br)
}
