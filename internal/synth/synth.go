// Package synth builds deterministic captures of Threat Manager traffic with
// genuine protocol headers, for tests, benchmarks and sample files. Packets
// are laid out as conversations (TCP handshakes, data with real sequence
// numbers, closes, resets, ICMP errors) and written as pcap or pcapng.
package synth

import (
	"net"
	"net/netip"
	"sort"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Endpoint is an address and port.
type Endpoint struct {
	addr netip.Addr
	Port uint16
}

// EP builds an Endpoint from "a.b.c.d" or an IPv6 literal.
func EP(addr string, port uint16) Endpoint {
	return Endpoint{netip.MustParseAddr(addr), port}
}

// frame is one packet before serialisation: the link layer is chosen when
// the capture is written.
type frame struct {
	ts      time.Time
	order   int
	iface   int
	src     Endpoint
	dst     Endpoint
	proto   layers.IPProtocol
	flags   uint8
	seq     uint32
	ack     uint32
	payload []byte
	ipID    uint16
	// fragment: offset in 8-byte units, more fragments; rawIP carries a
	// prebuilt IP payload (ICMP errors, fragments).
	fragOff  uint16
	fragMore bool
	rawIP    []byte
	icmpType uint8
	icmpCode uint8
}

// Capture collects frames. Its clock only moves forward through the
// helpers, so the same calls always give the same bytes.
type Capture struct {
	frames []frame
	order  int
	ipID   uint16
	rng    uint64
}

// New starts an empty capture; seed fixes ISNs and source choices.
func New(seed uint64) *Capture { return &Capture{rng: seed | 1} }

// rand is xorshift64: deterministic, and good enough to spread ISNs.
func (c *Capture) rand() uint32 {
	c.rng ^= c.rng << 13
	c.rng ^= c.rng >> 7
	c.rng ^= c.rng << 17
	return uint32(c.rng >> 16)
}

// Len is the number of packets so far.
func (c *Capture) Len() int { return len(c.frames) }

func (c *Capture) add(f frame) {
	c.order++
	f.order = c.order
	c.ipID++
	f.ipID = c.ipID
	c.frames = append(c.frames, f)
}

// Message is one application message in a TCP or UDP conversation.
type Message struct {
	FromClient bool
	Data       []byte
	Delay      time.Duration // before this message (default 1 ms)
}

// Close says how a TCP conversation ends.
type Close int

// Ways a TCP conversation ends.
const (
	closeFIN       Close = iota // FIN from the client, FIN from the server, final ACK
	closeServerRST              // client FIN answered by the server's RST (RabbitMQ)
	closeClientRST              // client aborts with RST (ldapsearch after StartTLS)
	CloseNone                   // still open at the end of the capture
	closeServerFIN              // the server closes first
)

// TCPOptions tune a conversation.
type TCPOptions struct {
	iface      int
	Close      Close
	SkipSYN    bool // start mid-stream: no handshake captured
	rtt        time.Duration
	MSS        int // split messages into segments of at most MSS bytes
	reorder    bool
	retransmit bool
}

// TCP lays out a whole conversation starting at t and returns its end time.
func (c *Capture) TCP(t time.Time, cl, sv Endpoint, msgs []Message, o TCPOptions) time.Time {
	rtt := o.rtt
	if rtt == 0 {
		rtt = 400 * time.Microsecond
	}
	cv := &tcpConv{c: c, t: t, cl: cl, sv: sv, o: o, half: rtt / 2}
	cv.cseq, cv.sseq = c.rand(), c.rand()
	if !o.SkipSYN {
		cv.send(true, synF, nil)
		cv.cseq++
		cv.t = cv.t.Add(cv.half)
		cv.send(false, synF|ackF, nil)
		cv.sseq++
		cv.t = cv.t.Add(cv.half)
		cv.send(true, ackF, nil)
	}
	for _, m := range msgs {
		cv.message(m)
	}
	cv.t = cv.t.Add(time.Millisecond)
	cv.close()
	return cv.t
}

// tcpConv is one TCP conversation being written: its clock and the two
// sequence numbers.
type tcpConv struct {
	c          *Capture
	t          time.Time
	cl, sv     Endpoint
	o          TCPOptions
	half       time.Duration
	cseq, sseq uint32
}

func (cv *tcpConv) send(fromClient bool, flags uint8, data []byte) {
	f := frame{ts: cv.t, iface: cv.o.iface, proto: layers.IPProtocolTCP, flags: flags, payload: data}
	if fromClient {
		f.src, f.dst, f.seq, f.ack = cv.cl, cv.sv, cv.cseq, cv.sseq
	} else {
		f.src, f.dst, f.seq, f.ack = cv.sv, cv.cl, cv.sseq, cv.cseq
	}
	cv.c.add(f)
}

// message writes one message in segments of the MSS (the first two
// swapped with Reorder, the first sent twice with Retransmit) and the
// other side's acknowledgement.
func (cv *tcpConv) message(m Message) {
	o := cv.o
	d := m.Delay
	if d == 0 {
		d = time.Millisecond
	}
	cv.t = cv.t.Add(d)
	segs := split(m.Data, o.MSS)
	if o.reorder && len(segs) > 1 {
		segs[0], segs[1] = segs[1], segs[0]
	}
	base := cv.cseq
	if !m.FromClient {
		base = cv.sseq
	}
	off := uint32(0)
	offs := make([]uint32, len(segs))
	for i := range segs {
		offs[i] = off
		off += uint32(len(segs[i]))
	}
	if o.reorder && len(segs) > 1 {
		offs[0], offs[1] = uint32(len(segs[1])), 0
	}
	for i, s := range segs {
		if m.FromClient {
			cv.cseq = base + offs[i]
		} else {
			cv.sseq = base + offs[i]
		}
		cv.send(m.FromClient, ackF|pshF, s)
		if o.retransmit && i == 0 {
			cv.t = cv.t.Add(200 * time.Microsecond)
			cv.send(m.FromClient, ackF|pshF, s)
		}
		cv.t = cv.t.Add(20 * time.Microsecond)
	}
	if m.FromClient {
		cv.cseq = base + uint32(len(m.Data))
	} else {
		cv.sseq = base + uint32(len(m.Data))
	}
	cv.t = cv.t.Add(cv.half)
	cv.send(!m.FromClient, ackF, nil)
}

// close ends the conversation the way o.Close says.
func (cv *tcpConv) close() {
	switch cv.o.Close {
	case closeFIN:
		cv.send(true, finF|ackF, nil)
		cv.cseq++
		cv.t = cv.t.Add(cv.half)
		cv.send(false, finF|ackF, nil)
		cv.sseq++
		cv.t = cv.t.Add(cv.half)
		cv.send(true, ackF, nil)
	case closeServerFIN:
		cv.send(false, finF|ackF, nil)
		cv.sseq++
		cv.t = cv.t.Add(cv.half)
		cv.send(true, finF|ackF, nil)
		cv.cseq++
		cv.t = cv.t.Add(cv.half)
		cv.send(false, ackF, nil)
	case closeServerRST:
		cv.send(true, finF|ackF, nil)
		cv.cseq++
		cv.t = cv.t.Add(cv.half)
		cv.send(false, rstF|ackF, nil)
	case closeClientRST:
		cv.send(true, rstF|ackF, nil)
	}
}

func split(b []byte, mss int) [][]byte {
	if mss <= 0 || len(b) <= mss {
		return [][]byte{b}
	}
	var out [][]byte
	for len(b) > mss {
		out = append(out, b[:mss])
		b = b[mss:]
	}
	return append(out, b)
}

// TCP flag bits.
const (
	finF = 0x01
	synF = 0x02
	rstF = 0x04
	pshF = 0x08
	ackF = 0x10
	urgF = 0x20
)

// TCP flag bits for Probe, as the TCP header has them.
const (
	FlagFIN = finF
	FlagSYN = synF
	flagRST = rstF
	FlagPSH = pshF
	FlagACK = ackF
	FlagURG = urgF
)

// Probe sends one TCP segment with exactly the given flags and no answer:
// what a scanner sends (FIN-only, ACK-only, no flags, FIN+PSH+URG).
func (c *Capture) Probe(t time.Time, cl, sv Endpoint, flags uint8, iface int) time.Time {
	c.add(frame{ts: t, iface: iface, src: cl, dst: sv, proto: layers.IPProtocolTCP, flags: flags, seq: c.rand()})
	return t
}

// OneWay sends TCP segments with the given flags and payloads from cl to
// sv only, with sequence numbers that follow on, and nothing back: what a
// capture holds when it sees one direction of a conversation (asymmetric
// routing, a half-wired tap) or when a tool sends data to a port that
// never answered. The segments are on the first interface.
func (c *Capture) OneWay(t time.Time, cl, sv Endpoint, flags uint8, payloads [][]byte) time.Time {
	seq, ack := c.rand(), c.rand()
	for i, p := range payloads {
		if i > 0 {
			t = t.Add(time.Millisecond)
		}
		c.add(frame{ts: t, src: cl, dst: sv, proto: layers.IPProtocolTCP, flags: flags, seq: seq, ack: ack, payload: p})
		seq += uint32(len(p))
	}
	return t
}

// SplitSYN sends an unanswered SYN as two IPv4 fragments, the first
// carrying only first bytes of the TCP header (8: the ports and the
// sequence number, no flags), as evasion tools cut them.
func (c *Capture) SplitSYN(t time.Time, cl, sv Endpoint, first int, iface int) time.Time {
	whole := frame{src: cl, dst: sv, proto: layers.IPProtocolTCP, flags: synF, seq: c.rand()}
	ipPayload := serializeIP(&whole)[20:]
	c.ipID++
	for i, part := range [][2]int{{0, first}, {first, len(ipPayload)}} {
		f := frame{ts: t.Add(time.Duration(i) * 50 * time.Microsecond), iface: iface, src: cl, dst: sv, proto: layers.IPProtocolTCP,
			rawIP: ipPayload[part[0]:part[1]], fragOff: uint16(part[0] / 8), fragMore: i == 0, ipID: c.ipID}
		c.order++
		f.order = c.order
		c.frames = append(c.frames, f)
	}
	return t
}

// Unanswered sends SYN retransmissions with the given gaps (a kernel's
// back-off; callers choose it, nothing here assumes one).
func (c *Capture) Unanswered(t time.Time, cl, sv Endpoint, gaps []time.Duration, iface int) time.Time {
	seq := c.rand()
	c.add(frame{ts: t, iface: iface, src: cl, dst: sv, proto: layers.IPProtocolTCP, flags: synF, seq: seq})
	for _, g := range gaps {
		t = t.Add(g)
		c.add(frame{ts: t, iface: iface, src: cl, dst: sv, proto: layers.IPProtocolTCP, flags: synF, seq: seq})
	}
	return t
}

// Refused is a SYN answered by RST+ACK.
func (c *Capture) Refused(t time.Time, cl, sv Endpoint, iface int) time.Time {
	seq := c.rand()
	c.add(frame{ts: t, iface: iface, src: cl, dst: sv, proto: layers.IPProtocolTCP, flags: synF, seq: seq})
	t = t.Add(300 * time.Microsecond)
	c.add(frame{ts: t, iface: iface, src: sv, dst: cl, proto: layers.IPProtocolTCP, flags: rstF | ackF, ack: seq + 1})
	return t
}

// Unreachable is an ICMP destination unreachable and what it refuses.
type Unreachable struct {
	Router netip.Addr // who sends it
	Code   uint8
	UDP    []byte // the refused datagram's payload; nil: a TCP SYN is refused
}

// ICMPBlocked is a SYN (or, with u.UDP set, a datagram) answered by the
// ICMP error u, which quotes the original IP header and its first 8
// transport bytes.
func (c *Capture) ICMPBlocked(t time.Time, cl, sv Endpoint, u Unreachable, iface int) time.Time {
	f := frame{ts: t, iface: iface, src: cl, dst: sv}
	if u.UDP != nil {
		f.proto, f.payload = layers.IPProtocolUDP, u.UDP
	} else {
		f.proto, f.flags, f.seq = layers.IPProtocolTCP, synF, c.rand()
	}
	c.add(f)
	orig := c.frames[len(c.frames)-1]
	quoted := serializeIP(&orig)
	if n := ipHeaderLen(cl.addr) + 8; len(quoted) > n {
		quoted = quoted[:n]
	}
	t = t.Add(500 * time.Microsecond)
	e := frame{ts: t, iface: iface, src: Endpoint{addr: u.Router}, dst: Endpoint{addr: cl.addr}, icmpCode: u.Code}
	if cl.addr.Is4() {
		e.proto, e.icmpType = layers.IPProtocolICMPv4, 3
	} else {
		e.proto, e.icmpType = layers.IPProtocolICMPv6, 1
	}
	e.payload = quoted
	c.add(e)
	return t
}

func ipHeaderLen(a netip.Addr) int {
	if a.Is4() {
		return 20
	}
	return 40
}

// UDP sends datagrams between two endpoints.
func (c *Capture) UDP(t time.Time, cl, sv Endpoint, msgs []Message, iface int) time.Time {
	for _, m := range msgs {
		d := m.Delay
		if d == 0 {
			d = time.Millisecond
		}
		t = t.Add(d)
		f := frame{ts: t, iface: iface, proto: layers.IPProtocolUDP, payload: m.Data, src: cl, dst: sv}
		if !m.FromClient {
			f.src, f.dst = sv, cl
		}
		c.add(f)
	}
	return t
}

// fragmentedUDP sends one datagram cut into IPv4 fragments of fragSize
// bytes (a multiple of 8) of IP payload, on the first interface.
func (c *Capture) fragmentedUDP(t time.Time, cl, sv Endpoint, data []byte, fragSize int) time.Time {
	whole := frame{src: cl, dst: sv, proto: layers.IPProtocolUDP, payload: data}
	ipPayload := serializeIP(&whole)[20:] // UDP header + data, checksum included
	c.ipID++
	id := c.ipID
	for off := 0; off < len(ipPayload); off += fragSize {
		end := min(off+fragSize, len(ipPayload))
		f := frame{ts: t, src: cl, dst: sv, proto: layers.IPProtocolUDP, rawIP: ipPayload[off:end],
			fragOff: uint16(off / 8), fragMore: end < len(ipPayload)}
		c.order++
		f.order = c.order
		f.ipID = id
		c.frames = append(c.frames, f)
		t = t.Add(50 * time.Microsecond)
	}
	return t
}

// serializeIP builds the IP packet of a frame, checksums included.
func serializeIP(f *frame) []byte {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	var net gopacket.NetworkLayer
	var ls []gopacket.SerializableLayer
	if f.src.addr.Is4() {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 128, Id: f.ipID, Protocol: f.proto,
			SrcIP: f.src.addr.AsSlice(), DstIP: f.dst.addr.AsSlice(), FragOffset: f.fragOff}
		if f.fragMore {
			ip.Flags = layers.IPv4MoreFragments
		} else if f.fragOff == 0 && f.rawIP == nil {
			ip.Flags = layers.IPv4DontFragment
		}
		net, ls = ip, append(ls, ip)
	} else {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: f.proto, SrcIP: f.src.addr.AsSlice(), DstIP: f.dst.addr.AsSlice()}
		net, ls = ip, append(ls, ip)
	}
	switch {
	case f.rawIP != nil:
		ls = append(ls, gopacket.Payload(f.rawIP))
	case f.proto == layers.IPProtocolTCP:
		tcp := &layers.TCP{SrcPort: layers.TCPPort(f.src.Port), DstPort: layers.TCPPort(f.dst.Port), Seq: f.seq, Ack: f.ack,
			FIN: f.flags&finF != 0, SYN: f.flags&synF != 0, RST: f.flags&rstF != 0, PSH: f.flags&pshF != 0, ACK: f.flags&ackF != 0, URG: f.flags&urgF != 0,
			Window: 64240}
		if tcp.SYN {
			tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}}
		}
		_ = tcp.SetNetworkLayerForChecksum(net)
		ls = append(ls, tcp, gopacket.Payload(f.payload))
	case f.proto == layers.IPProtocolUDP:
		udp := &layers.UDP{SrcPort: layers.UDPPort(f.src.Port), DstPort: layers.UDPPort(f.dst.Port)}
		_ = udp.SetNetworkLayerForChecksum(net)
		ls = append(ls, udp, gopacket.Payload(f.payload))
	case f.proto == layers.IPProtocolICMPv4:
		ls = append(ls, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(f.icmpType, f.icmpCode)}, gopacket.Payload(f.payload))
	case f.proto == layers.IPProtocolICMPv6:
		icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(f.icmpType, f.icmpCode)}
		_ = icmp.SetNetworkLayerForChecksum(net)
		// ICMPv6 errors carry 4 unused bytes before the quoted packet.
		ls = append(ls, icmp, gopacket.Payload(append([]byte{0, 0, 0, 0}, f.payload...)))
	}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		panic("synth: " + err.Error()) // only reachable through a bug in this package
	}
	return append([]byte(nil), buf.Bytes()...)
}

// sorted returns the frames in time order (stable on insertion order).
func (c *Capture) sorted() []frame {
	out := append([]frame(nil), c.frames...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].ts.Equal(out[j].ts) {
			return out[i].ts.Before(out[j].ts)
		}
		return out[i].order < out[j].order
	})
	return out
}

// mac derives a stable MAC from an address.
func mac(a netip.Addr) net.HardwareAddr {
	b := a.As16()
	return net.HardwareAddr{0x02, 0x00, b[12], b[13], b[14], b[15]}
}
