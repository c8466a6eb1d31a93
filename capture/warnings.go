package capture

import (
	"fmt"
	"slices"

	"github.com/flowverify/flowverify/internal/words"
)

// shortHeaders counts the frames whose headers were cut short, apart by
// cause: the snap length cut the frame, or the frame was captured whole
// and a header claims more than it holds (a lying IP length, a transport
// header cut by the IP length). The first of each is kept as the example
// the warning gives.
type shortHeaders struct {
	snap, ipLength, malformed uint64

	snapCap, snapWire int // the first frame cut by the snap length
	ip                ipOverrun
}

// ipOverrun is a frame captured whole whose IP header declares more bytes
// than the frame holds after its link header.
type ipOverrun struct {
	v6                 bool
	declared, captured int // the IP packet's length: declared, and captured
	frame              int // the frame's length
}

// String is the overrun in the header's own field.
func (o ipOverrun) String() string {
	if o.v6 {
		return fmt.Sprintf("IPv6 payload length %d exceeds the %d bytes after the IPv6 header in its %d-byte frame",
			o.declared-40, o.captured-40, o.frame)
	}
	return fmt.Sprintf("IPv4 total length %d exceeds the %d bytes of IP in its %d-byte frame", o.declared, o.captured, o.frame)
}

// count records what decoding one frame of link type lt and caplen
// captured bytes said (err is Decode's).
func (s *InputStats) count(lt LinkType, caplen int, pkt *Packet, err error) {
	switch {
	case err == errUnsupportedLink:
		if s.Unread == nil {
			s.Unread = map[LinkType]uint64{}
		}
		s.Unread[lt]++
	case err == ErrNotIP:
	case err != nil:
		s.undecodable++
	}
	if !pkt.truncated {
		return
	}
	sh := &s.short
	switch {
	case caplen < pkt.WireLen:
		if sh.snap == 0 {
			sh.snapCap, sh.snapWire = caplen, pkt.WireLen
		}
		sh.snap++
	case pkt.IsIP && pkt.IPLen > pkt.ipCaptured:
		if sh.ipLength == 0 {
			sh.ip = ipOverrun{v6: pkt.v6, declared: pkt.IPLen, captured: pkt.ipCaptured, frame: caplen}
		}
		sh.ipLength++
	default:
		sh.malformed++
	}
}

// Finish turns counters into warnings. Call once, after reading.
func (s *InputStats) Finish() {
	warn := func(format string, a ...any) { s.Warnings = append(s.Warnings, fmt.Sprintf(format, a...)) }
	if s.undecodable > 0 {
		warn("%s could not be decoded", words.Count(s.undecodable, "packet"))
	}
	s.Warnings = append(s.Warnings, unreadWarnings(s.Unread)...)
	s.Warnings = append(s.Warnings, s.short.warnings()...)
	if s.outliers > 0 {
		warn("%s far from the packets around them (a zero or glitched clock): counted, not judged", hadTimestamps(s.outliers))
	}
	if s.overlong > 0 {
		warn("%s a captured length over their original length: read as the smaller", words.Count(s.overlong, "record had", "records had"))
	}
	if s.backwards > 0 {
		warn("%s earlier than the packet before them", hadTimestamps(s.backwards))
	}
	if s.Damage != nil {
		s.Warnings = append(s.Warnings, s.Damage.Detail())
	}
}

// hadCount is "1 packet had" or "3 packets had".
func hadCount(n uint64) string { return words.Count(n, "packet had", "packets had") }

// hadTimestamps is "1 packet had a timestamp" or "3 packets had timestamps".
func hadTimestamps(n uint64) string {
	return words.Count(n, "packet had a timestamp", "packets had timestamps")
}

// unreadWarnings says, link type by link type in number order, how many
// frames were not read: "3 frames of link type IEEE802_11 (105) not read".
func unreadWarnings(unread map[LinkType]uint64) []string {
	lts := make([]LinkType, 0, len(unread))
	for lt := range unread {
		lts = append(lts, lt)
	}
	slices.Sort(lts)
	out := make([]string, 0, len(lts))
	for _, lt := range lts {
		name := fmt.Sprintf("%s (%d)", lt, uint32(lt))
		if _, known := linkNames[lt]; !known {
			name = fmt.Sprint(uint32(lt)) // no name to give: the number alone
		}
		out = append(out, fmt.Sprintf("%s of link type %s not read", words.Count(unread[lt], "frame"), name))
	}
	return out
}

// warnings says why headers were cut short, each cause apart: only a
// frame the capture cut is the snap length's doing.
func (sh *shortHeaders) warnings() []string {
	var out []string
	if sh.snap > 0 {
		out = append(out, fmt.Sprintf("%s headers cut short by the snap length (the first: a frame of %d bytes cut to %d)",
			hadCount(sh.snap), sh.snapWire, sh.snapCap))
	}
	if sh.ipLength > 0 {
		out = append(out, fmt.Sprintf("%s an IP length beyond what the frame holds, in frames the snap length did not cut (the first: %s)",
			hadCount(sh.ipLength), sh.ip))
	}
	if sh.malformed > 0 {
		out = append(out, fmt.Sprintf("%s headers cut short inside frames captured whole: malformed, not cut by the snap length", hadCount(sh.malformed)))
	}
	return out
}
