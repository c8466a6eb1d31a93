package protocol

// berTLV reads one BER tag-length header and returns the tag, the content
// (cut to what is available) and whether the declared length exceeds the
// bytes at hand (truncated). Indefinite lengths and multi-byte tags are
// refused: none of the protocols recognised here uses them in the first
// bytes.
func berTLV(b []byte) (tag byte, content, rest []byte, truncated, ok bool) {
	if len(b) < 2 {
		return 0, nil, nil, false, false
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, false, false
	}
	l := int(b[1])
	hdr := 2
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 || n > 4 || len(b) < 2+n {
			return 0, nil, nil, false, false
		}
		l = 0
		for _, c := range b[2 : 2+n] {
			l = l<<8 | int(c)
		}
		if l < 0 || l > 1<<24 {
			return 0, nil, nil, false, false
		}
		hdr += n
	}
	if hdr+l > len(b) {
		return tag, b[hdr:], nil, true, true
	}
	return tag, b[hdr : hdr+l], b[hdr+l:], false, true
}

// berInt reads a small INTEGER (or ENUMERATED) content.
func berInt(c []byte) (int, bool) {
	if len(c) == 0 || len(c) > 4 {
		return 0, false
	}
	v := int(int8(c[0]))
	for _, x := range c[1:] {
		v = v<<8 | int(x)
	}
	return v, true
}
