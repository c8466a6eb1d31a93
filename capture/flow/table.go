package flow

import (
	"time"

	"github.com/flowverify/flowverify/capture"
)

// Config sets the table's limits. Every timeout is measured on the table's
// clock: packet time, which a live monitor also moves on by the wall clock
// when no packet comes (AdvanceTo); a replayed capture is judged on packet
// time alone.
type Config struct {
	MaxFlows     int           // hard cap on entries; the idlest flow is evicted beyond it
	TCPTimeout   time.Duration // idle time after which an open TCP flow ends
	UDPTimeout   time.Duration // idle time for UDP, ICMP and other transports
	ClosedLinger time.Duration // quiet time after FIN/FIN or RST before the flow ends
	// ServicePorts marks ports that belong to servers (the matrix's ports and
	// well-known services); the mid-stream heuristic puts the responder there.
	ServicePorts *PortSet
	// AnswerPorts marks UDP services that answer requests: a datagram from
	// one of them to a high port is an answer whose question was missed.
	AnswerPorts *PortSet
	// MACPorts marks the ports whose flows record which Ethernet station
	// each address is behind (Table.MAC); nil records none.
	MACPorts *PortSet
}

// DefaultConfig holds Zeek-like timeouts.
func DefaultConfig() Config {
	return Config{
		MaxFlows:     1 << 20,
		TCPTimeout:   5 * time.Minute,
		UDPTimeout:   time.Minute,
		ClosedLinger: 10 * time.Second,
	}
}

// PortSet is a bitmap of ports.
type PortSet [65536 / 64]uint64

// Add marks a port.
func (s *PortSet) Add(p uint16) { s[p>>6] |= 1 << (p & 63) }

// Has reports whether a port is marked.
func (s *PortSet) Has(p uint16) bool { return s[p>>6]&(1<<(p&63)) != 0 }

// Counters are table-wide tallies for the report.
type Counters struct {
	Packets     uint64
	NonIP       uint64
	Fragments   uint64 // IP fragments seen (first and later)
	OrphanFrags uint64 // later fragments whose first fragment was never seen
	// SplitHeaders counts first fragments that cut the TCP header: their
	// flags were not seen.
	SplitHeaders uint64
	// Encap counts frames in tunnels the decoder does not open, by kind
	// (capture.EncapGRE, ...).
	Encap    [capture.EncapKinds]uint64
	icmpTied uint64 // ICMP errors tied to the flow they answer
	// Infrastructure counts IPv6 neighbour discovery and multicast
	// listener messages: the link's own upkeep, like ARP, never a flow.
	Infrastructure uint64
	flowsCreated   uint64
	Evicted        uint64
	MaxActive      int
}

// Flow classes, each with its own timeout and idle-ordered list.
const (
	classTCP = iota
	classClosed
	classShort
	nClasses
)

// Table is the flow table. It is driven by one goroutine.
type Table struct {
	cfg        Config
	timeout    [nClasses]int64
	index      index
	pages      [][]Flow // flows in fixed pages: growth never copies or doubles
	nflows     int32
	free       []int32
	emb4       slab[embryo]  // one-packet IPv4 flows (see embryo)
	emb6       slab[embryo6] // one-packet flows with an IPv6 end
	building   Flow          // a new flow, before place stores it
	viewed     Flow          // an embryo unpacked for reading (see view)
	lists      [nClasses]list
	frags      *[fragSlots]fragEntry
	now        int64
	nextExpire int64
	remaining  uint64 // packets the input still holds, an estimate; 0: unknown
	macs       stations
	routers    map[Key]capture.Addr // who refused a flow by ICMP (noteRouter)

	// OnEnd receives every flow as it leaves the table. The Flow is reused
	// afterwards: copy what must be kept.
	OnEnd func(*Flow)
	// OnPayload, when set, receives a flow whenever the in-order prefix of
	// one direction grew. It returns true once it needs no more bytes (the
	// protocol is known or it gave up), and the buffers are released.
	OnPayload func(*Flow, *Payload) bool

	// ahead holds AddBatch's keys worked out in advance: twice as many
	// entries as packets ahead, so the one being filled is never the one
	// being used. A field, not a local, so that a batch of one packet (a
	// merge of several files, pcapng) does not clear a kilobyte.
	ahead [2 * batchAhead]Keyed

	payloads []*Payload // recognition state of TCP flows still being identified
	plFree   []int32
	scratch  *Payload // per-datagram recognition state, reused
	C        Counters
}

// NewTable builds an empty table.
func NewTable(cfg Config) *Table {
	d := DefaultConfig()
	if cfg.MaxFlows <= 0 {
		cfg.MaxFlows = d.MaxFlows
	}
	if cfg.TCPTimeout <= 0 {
		cfg.TCPTimeout = d.TCPTimeout
	}
	if cfg.UDPTimeout <= 0 {
		cfg.UDPTimeout = d.UDPTimeout
	}
	if cfg.ClosedLinger <= 0 {
		cfg.ClosedLinger = d.ClosedLinger
	}
	if cfg.ServicePorts == nil {
		cfg.ServicePorts = new(PortSet)
	}
	if cfg.AnswerPorts == nil {
		cfg.AnswerPorts = new(PortSet)
	}
	t := &Table{
		cfg:   cfg,
		frags: new([fragSlots]fragEntry),
	}
	t.index = newIndex(t)
	t.emb4.spare = make(chan []embryo, 2)
	t.emb6.spare = make(chan []embryo6, 2)
	t.timeout = [nClasses]int64{int64(cfg.TCPTimeout), int64(cfg.ClosedLinger), int64(cfg.UDPTimeout)}
	for i := range t.lists {
		t.lists[i] = list{-1, -1}
	}
	return t
}

// Expect tells the table about how many more packets the input holds,
// an estimate (0: unknown, as on a live interface). The index sizes its
// growth by it rather than doubling step by step (see index.nextSize).
func (t *Table) Expect(remaining uint64) { t.remaining = remaining }

// IndexGrowths is how many times the index has grown into a larger array:
// each one rehashes every flow, so a flood's input should say how much is
// left (Expect) to keep it to one or two.
func (t *Table) IndexGrowths() int { return t.index.grows }

// Len is the number of flows in the table.
func (t *Table) Len() int { return t.index.n }

// Now is the table's clock: the latest timestamp seen, or the latest time
// AdvanceTo was told, whichever is later.
func (t *Table) Now() int64 { return t.now }

// AdvanceTo moves the clock to ts, when that is later, and ends the flows
// that have idled out by then, as a packet of that time would. A live
// monitor tells the table the wall clock this way: on a silent link no
// packet moves the clock, and an idle flow would otherwise never end. A
// replay never calls it, so it is judged on packet time alone.
func (t *Table) AdvanceTo(ts int64) {
	if t.advance(ts) {
		t.expireNow()
	}
}

// Add accounts one decoded packet.
func (t *Table) Add(p *capture.Packet) {
	var k Keyed
	k.Of(p)
	t.add(p, &k, true)
}

// advance moves the packet clock to ts and says whether idle flows are
// due to end: timeouts are seconds long, so looking every 100 ms of packet
// time is precise enough and spares the work on every packet.
func (t *Table) advance(ts int64) bool {
	if ts > t.now {
		t.now = ts
	}
	return t.now >= t.nextExpire
}

// expireNow ends idle flows and sets when to look again.
func (t *Table) expireNow() {
	t.expire()
	t.nextExpire = t.now + int64(100*time.Millisecond)
}

// add accounts one packet whose key k holds (see Keyed.Of).
func (t *Table) add(p *capture.Packet, k *Keyed, pack bool) {
	t.C.Packets++
	if t.advance(p.Timestamp) {
		t.expireNow()
	}
	// Most packets are plain IP with no fragment, tunnel or ICMPv6: the
	// test spares them the call that sorts out the others.
	if (!p.IsIP || p.Encap != capture.EncapNone || p.Frag != capture.FragNone || p.Unreach || p.Proto == capture.ProtoICMPv6) && t.aside(p) {
		return
	}
	// The key stays where AddBatch worked it out: passed by value, the
	// 38 bytes were copied through the stack at every call.
	key := &k.key
	idx, ok := t.index.getHashed(key, k.h)
	if ok && isEmbryo(idx) {
		idx = t.promote(idx, k.h) // its second packet
	}
	if ok && p.Proto == capture.ProtoTCP && p.TCPFlags&(capture.FlagSYN|capture.FlagACK|capture.FlagRST) == capture.FlagSYN {
		if t.at(idx).done() {
			// A fresh SYN on a finished tuple is a new connection.
			t.end(idx, endReused)
			ok = false
		}
	}
	var f *Flow
	if ok {
		f = t.at(idx)
	} else {
		f, idx = t.create(key, k.srcIsA, p, k.icmpReply), -1
	}
	dir := k.direction(f)
	f.Pkts[dir]++
	if f.Pkts[dir] == 1 && p.HasMAC && t.cfg.MACPorts != nil && (t.cfg.MACPorts.Has(p.SrcPort) || t.cfg.MACPorts.Has(p.DstPort)) {
		t.noteMAC(p)
	}
	f.Bytes[dir] += uint64(p.IPLen)
	if p.Timestamp > f.Last {
		f.Last = p.Timestamp
	}
	if p.Frag == capture.FragFirst {
		f.Frags++
		t.rememberFragment(p, key)
	}
	if p.Proto == capture.ProtoTCP {
		if p.TCPFlags&capture.FlagSYN != 0 && f.isnSet&(1<<dir) == 0 {
			f.isn[dir] = p.Seq
			f.isnSet |= 1 << dir
		}
		f.tcp(dir, p.TCPFlags, p.PayloadLen)
	}
	if t.OnPayload != nil && !f.plDone && len(p.Payload) > 0 {
		t.feed(f, dir, p)
	}
	class := uint8(classShort)
	if p.Proto == capture.ProtoTCP {
		class = classTCP
		if f.done() {
			class = classClosed
		}
	}
	if idx < 0 {
		idx = t.place(f, k.h, pack)
	}
	t.touch(idx, class)
}

// aside counts the fragments and tunnels among packets and takes the ones
// that are no flow's own packet: not IP, a later fragment (its flow is
// the first fragment's), an ICMP error (it belongs to the flow it
// answers) and the IPv6 link's upkeep. It says whether it took p.
func (t *Table) aside(p *capture.Packet) bool {
	if p.Encap != capture.EncapNone {
		t.C.Encap[p.Encap]++
	}
	if !p.IsIP {
		t.C.NonIP++
		return true
	}
	if p.Frag != capture.FragNone {
		t.C.Fragments++
		if p.SplitHeader {
			t.C.SplitHeaders++
		}
		if p.Frag == capture.FragNonFirst {
			t.addLaterFragment(p)
			return true
		}
	}
	if p.Unreach {
		t.tieUnreachable(p)
		return true
	}
	if p.Proto == capture.ProtoICMPv6 && linkUpkeep(p.ICMPType) {
		t.C.Infrastructure++
		return true
	}
	return false
}

// direction says which way the packet keyed k runs in its flow f.
func (k *Keyed) direction(f *Flow) int {
	if k.icmpPair {
		// An echo to oneself (loopback) has the same address at both ends,
		// so the key cannot tell the reply's side: the message does.
		if k.icmpReply {
			return Resp
		}
		return Orig
	}
	if k.srcIsA == f.InitIsA {
		return Orig
	}
	return Resp
}

// create starts a flow for packet p in t.building, after making room under
// the cap; the caller accounts the packet, then place stores the flow.
func (t *Table) create(key *Key, srcIsA bool, p *capture.Packet, icmpReply bool) *Flow {
	if t.index.n >= t.cfg.MaxFlows {
		t.evictIdlest()
	}
	f := &t.building
	*f = Flow{}
	f.Key = *key
	f.First, f.Last, f.Input, f.prev, f.next = p.Timestamp, p.Timestamp, uint16(p.Input), -1, -1
	f.InitIsA = srcIsA
	switch p.Proto {
	case capture.ProtoTCP:
		syn, ack := p.TCPFlags&capture.FlagSYN != 0, p.TCPFlags&capture.FlagACK != 0
		switch {
		case syn && !ack:
		case syn && ack:
			f.InitIsA = !srcIsA // the SYN was missed, but the SYN-ACK says who sent it
		default:
			f.InitIsA = t.guessInitIsA(key, srcIsA, p)
			f.Guessed = true
		}
	case capture.ProtoUDP:
		if t.cfg.AnswerPorts.Has(p.SrcPort) && !t.cfg.AnswerPorts.Has(p.DstPort) && p.DstPort >= 1024 {
			f.InitIsA = !srcIsA
			f.Guessed = true
		}
	case capture.ProtoICMP, capture.ProtoICMPv6:
		if icmpReply {
			f.InitIsA = !srcIsA
			f.Guessed = true
		}
	}
	return f
}

// guessInitIsA applies the port heuristic for a TCP flow seen mid-stream:
// the side on a known service port, else on a port below 1024, else on the
// lower port, is the responder.
func (t *Table) guessInitIsA(key *Key, srcIsA bool, p *capture.Packet) bool {
	sp, dp := p.SrcPort, p.DstPort
	srcIsServer := false
	switch ss, ds := t.cfg.ServicePorts.Has(sp), t.cfg.ServicePorts.Has(dp); {
	case ss != ds:
		srcIsServer = ss
	case (sp < 1024) != (dp < 1024):
		srcIsServer = sp < 1024
	default:
		srcIsServer = sp < dp
	}
	if srcIsServer {
		return !srcIsA
	}
	return srcIsA
}

// flowsPerPage sizes the slab pages (about 700 KiB each).
const flowsPerPage = 4096

func (t *Table) at(idx int32) *Flow { return &t.pages[idx/flowsPerPage][idx%flowsPerPage] }

// grow adds a slot, a page at a time.
func (t *Table) grow() int32 {
	if int(t.nflows) == len(t.pages)*flowsPerPage {
		t.pages = append(t.pages, make([]Flow, flowsPerPage))
	}
	t.nflows++
	return t.nflows - 1
}
