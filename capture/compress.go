package capture

import (
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
	CompressNone = ""
	CompressGzip = "gzip"
	CompressZstd = "zstd"
	CompressXZ   = "xz"
)

// compressionOf reads a compressed stream's magic (RFC 1952 for gzip,
// RFC 8878 for zstd frames, the .xz file format's header).
func compressionOf(head []byte) string {
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return CompressGzip
	case len(head) >= 4 && bytes.Equal(head[:4], []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return CompressZstd
	case len(head) >= 6 && bytes.Equal(head[:6], []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return CompressXZ
	}
	return CompressNone
}

// zstdWindow bounds the memory a zstd frame may ask for: captures are
// compressed with the default levels (8 MiB windows at most); a crafted
// frame asking for gigabytes is refused, not obeyed.
const zstdWindow = 64 << 20

// decompressor opens the inflating reader for a compressed stream.
func decompressor(kind string, r io.Reader) (io.ReadCloser, error) {
	switch kind {
	case CompressGzip:
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
