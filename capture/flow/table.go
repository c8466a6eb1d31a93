package flow

import (
	"time"
	"unsafe"

	"github.com/flowverify/flowverify/capture"
)

// Config sets the table's limits. Every timeout is measured in packet time,
// so a replayed capture is judged exactly as it was live.
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
	Packets      uint64
	NonIP        uint64
	Fragments    uint64 // IP fragments seen (first and later)
	OrphanFrags  uint64 // later fragments whose first fragment was never seen
	ICMPTied     uint64 // ICMP errors tied to the flow they answer
	FlowsCreated uint64
	Evicted      uint64
	MaxActive    int
}

// Flow classes, each with its own timeout and idle-ordered list.
const (
	classTCP = iota
	classClosed
	classShort
	nClasses
)

type list struct{ head, tail int32 }

type fragKey struct {
	src, dst capture.Addr
	id       uint32
	proto    uint8
}

type fragEntry struct {
	id   fragKey
	key  Key
	seen int64
}

// fragSlots sizes the fragment cache: a direct-mapped table where a newer
// datagram's first fragment takes the slot of an older one. Datagrams in
// flight at once are few; a flood of lone first fragments only overwrites.
const fragSlots = 1 << 13

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
	noEmbryos  bool          // every flow a Flow: tests compare the two
	building   Flow          // a new flow, before place stores it
	viewed     Flow          // an embryo unpacked for reading (see view)
	lists      [nClasses]list
	frags      *[fragSlots]fragEntry
	now        int64
	nextExpire int64
	remaining  uint64 // packets the input still holds, an estimate; 0: unknown

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

// Now is the packet clock: the latest timestamp seen.
func (t *Table) Now() int64 { return t.now }

// Add accounts one decoded packet.
func (t *Table) Add(p *capture.Packet) {
	var k Keyed
	k.Of(p)
	t.add(p, &k)
}

// Keyed is a packet's flow key worked out ahead of accounting it (see
// AddKeyed).
type Keyed struct {
	key       Key
	h         uint64
	srcIsA    bool
	icmpReply bool
	ok        bool // false: the packet is looked up another way (later fragment, ICMP error, not IP)
}

// Of works out p's key.
func (k *Keyed) Of(p *capture.Packet) {
	if !p.IsIP || p.Frag == capture.FragNonFirst || p.Unreach {
		k.ok = false
		return
	}
	sport, dport := p.SrcPort, p.DstPort
	k.icmpReply = false
	if p.Proto == capture.ProtoICMP || p.Proto == capture.ProtoICMPv6 {
		var ty uint8
		ty, k.icmpReply = icmpRequestType(p.Proto, p.ICMPType)
		sport, dport = uint16(ty), uint16(ty)
	}
	k.srcIsA = k.key.set(p.Proto, &p.Src, &p.Dst, sport, dport)
	k.h = hashKey(&k.key)
	k.ok = true
}

// batchAhead is how many packets ahead AddBatch works out keys and asks
// the memory system for their index slots. A flood makes nearly every
// packet a new flow whose slot lies anywhere in an index of many
// megabytes; fetched this far ahead, the slot is in cache by the time the
// packet is accounted instead of stalling the loop for a memory round
// trip. An ordinary load cannot do this (the core stops retiring at it),
// hence prefetch.
const batchAhead = 8

// AddBatch accounts packets in order, exactly as Add one by one would.
func (t *Table) AddBatch(pkts []capture.Packet) {
	ring := &t.ahead
	for i := 0; i < len(pkts) && i < batchAhead; i++ {
		t.prefetchKey(&ring[i], &pkts[i])
	}
	for i := range pkts {
		if j := i + batchAhead; j < len(pkts) {
			t.prefetchKey(&ring[j%len(ring)], &pkts[j])
		}
		t.add(&pkts[i], &ring[i%len(ring)])
	}
}

// AddKeyed is AddBatch for packets whose keys were worked out before
// (keys[i] is pkts[i]'s): the two-core pipeline has its reading stage do
// that, the stage with time to spare when every packet is a new flow.
func (t *Table) AddKeyed(pkts []capture.Packet, keys []Keyed) {
	keys = keys[:len(pkts)]
	for i := 0; i < len(pkts) && i < batchAhead; i++ {
		t.prefetchSlot(&keys[i])
	}
	for i := range pkts {
		if j := i + batchAhead; j < len(pkts) {
			t.prefetchSlot(&keys[j])
		}
		t.add(&pkts[i], &keys[i])
	}
}

func (t *Table) prefetchKey(k *Keyed, p *capture.Packet) {
	k.Of(p)
	t.prefetchSlot(k)
}

func (t *Table) prefetchSlot(k *Keyed) {
	if k.ok {
		prefetch(unsafe.Pointer(&t.index.slots[k.h&t.index.mask]))
	}
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

func (t *Table) add(p *capture.Packet, k *Keyed) {
	t.C.Packets++
	if t.advance(p.Timestamp) {
		t.expireNow()
	}
	if !p.IsIP {
		t.C.NonIP++
		return
	}
	if p.Frag != capture.FragNone {
		t.C.Fragments++
		if p.Frag == capture.FragNonFirst {
			t.addLaterFragment(p)
			return
		}
	}
	if p.Unreach {
		t.tieUnreachable(p)
		return
	}
	// The key stays where AddBatch worked it out: passed by value, the
	// 38 bytes were copied through the stack at every call.
	key, srcIsA, icmpReply := &k.key, k.srcIsA, k.icmpReply
	idx, ok := t.index.getHashed(key, k.h)
	if ok && isEmbryo(idx) {
		idx = t.promote(idx, k.h) // its second packet
	}
	if ok && p.Proto == capture.ProtoTCP && p.TCPFlags&(capture.FlagSYN|capture.FlagACK|capture.FlagRST) == capture.FlagSYN {
		if t.at(idx).done() {
			// A fresh SYN on a finished tuple is a new connection.
			t.end(idx, EndReused)
			ok = false
		}
	}
	var f *Flow
	if ok {
		f = t.at(idx)
	} else {
		f, idx = t.create(key, srcIsA, p, icmpReply), -1
	}
	dir := Resp
	if srcIsA == f.InitIsA {
		dir = Orig
	}
	f.Pkts[dir]++
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
		idx = t.place(f, k.h)
	}
	t.touch(idx, class)
}

// icmpRequestType maps a reply type to its request so both directions of
// an exchange share one flow, and says whether the type was a reply.
func icmpRequestType(proto, ty uint8) (uint8, bool) {
	if proto == capture.ProtoICMP {
		switch ty {
		case 0:
			return 8, true
		case 14:
			return 13, true
		case 16:
			return 15, true
		case 18:
			return 17, true
		}
		return ty, false
	}
	switch ty {
	case 129:
		return 128, true
	case 136:
		return 135, true
	case 134:
		return 133, true
	}
	return ty, false
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

func (t *Table) tieUnreachable(p *capture.Packet) {
	q := &p.Quoted
	var key Key
	srcIsA := key.set(q.Proto, &q.Src, &q.Dst, q.SrcPort, q.DstPort)
	h := hashKey(&key)
	idx, ok := t.index.getHashed(&key, h)
	var f *Flow
	switch {
	case !ok:
		// The attempt itself was not captured (or already ended), but the
		// ICMP error proves it was made.
		f, idx = t.create(&key, srcIsA, &capture.Packet{Timestamp: p.Timestamp, Input: p.Input, Proto: q.Proto,
			Src: q.Src, Dst: q.Dst, SrcPort: q.SrcPort, DstPort: q.DstPort, TCPFlags: capture.FlagSYN}, false), -1
		f.InitIsA, f.Guessed, f.OnlyByICMP = srcIsA, false, true
	case isEmbryo(idx):
		idx = t.promote(idx, h)
		f = t.at(idx)
	default:
		f = t.at(idx)
	}
	t.C.ICMPTied++
	f.Unreach = true
	f.ICMPv6 = p.Proto == capture.ProtoICMPv6
	f.ICMPType, f.ICMPCode = p.ICMPType, p.ICMPCode
	f.ICMPPkts++
	if p.Timestamp > f.Last {
		f.Last = p.Timestamp
	}
	class := uint8(classShort)
	if q.Proto == capture.ProtoTCP {
		class = classTCP
	}
	if idx < 0 {
		idx = t.place(f, h) // never an embryo: it was answered by ICMP
	}
	t.touch(idx, class)
}

func fragSlot(k *fragKey) int {
	h := uint32(k.id)*2654435761 ^ uint32(k.src[15])<<16 ^ uint32(k.dst[15])<<8 ^ uint32(k.src[14])<<24 ^ uint32(k.dst[14])
	return int(h % fragSlots)
}

// Fragment keys and entries are filled and compared field by field, in
// place, for the same reason as flow keys (see Key.set).
func (k *fragKey) of(p *capture.Packet) {
	k.src, k.dst, k.id, k.proto = p.Src, p.Dst, p.FragID, p.Proto
}

func (k *fragKey) equal(o *fragKey) bool {
	return k.src == o.src && k.dst == o.dst && k.id == o.id && k.proto == o.proto
}

func (t *Table) rememberFragment(p *capture.Packet, key *Key) {
	var id fragKey
	id.of(p)
	e := &t.frags[fragSlot(&id)]
	e.id.of(p)
	e.key, e.seen = *key, p.Timestamp
}

func (t *Table) addLaterFragment(p *capture.Packet) {
	var id fragKey
	id.of(p)
	e := &t.frags[fragSlot(&id)]
	// Reassembly timers of common stacks give up after 60 s.
	if !e.id.equal(&id) || t.now-e.seen > int64(60*time.Second) {
		t.C.OrphanFrags++
		return
	}
	h := hashKey(&e.key)
	idx, ok := t.index.getHashed(&e.key, h)
	if !ok {
		t.C.OrphanFrags++
		return
	}
	if isEmbryo(idx) {
		idx = t.promote(idx, h)
	}
	f := t.at(idx)
	dir := Resp
	if (p.Src == f.Key.A) == f.InitIsA {
		dir = Orig
	}
	f.Pkts[dir]++
	f.Bytes[dir] += uint64(p.IPLen)
	f.Frags++
	if p.Timestamp > f.Last {
		f.Last = p.Timestamp
	}
}

// listNode is a flow's idle class and whether it is on that class's list,
// in one byte: an embryo has no room for two.
type listNode uint8

const onList listNode = 0x80

func (n listNode) class() uint8 { return uint8(n &^ onList) }
func (n listNode) on() bool     { return n&onList != 0 }

// node is the idle-list state of the flow or embryo at pos.
func (t *Table) node(pos int32) (ln *links, n *listNode) {
	if isEmbryo(pos) {
		e := t.emb(pos)
		return &e.links, &e.list
	}
	f := t.at(pos)
	return &f.links, &f.list
}

// touch moves a flow to the head of its class list.
func (t *Table) touch(idx int32, class uint8) {
	ln, n := t.node(idx)
	if n.on() {
		if n.class() == class && t.lists[class].head == idx {
			return
		}
		t.unlink(idx)
	}
	*n = listNode(class) | onList
	l := &t.lists[class]
	ln.prev, ln.next = -1, l.head
	if l.head >= 0 {
		t.lnk(l.head).prev = idx
	}
	l.head = idx
	if l.tail < 0 {
		l.tail = idx
	}
}

func (t *Table) unlink(idx int32) {
	ln, n := t.node(idx)
	l := &t.lists[n.class()]
	if ln.prev >= 0 {
		t.lnk(ln.prev).next = ln.next
	} else {
		l.head = ln.next
	}
	if ln.next >= 0 {
		t.lnk(ln.next).prev = ln.prev
	} else {
		l.tail = ln.prev
	}
	ln.prev, ln.next = -1, -1
	*n &^= onList
}

// expire ends flows whose class timeout passed. Lists are ordered by last
// activity, so only their tails need looking at.
func (t *Table) expire() {
	for c := range t.lists {
		for {
			tail := t.lists[c].tail
			if tail < 0 || t.lastOf(tail)+t.timeout[c] >= t.now {
				break
			}
			reason := EndIdle
			if c == classClosed {
				reason = EndClosed
			}
			t.end(tail, reason)
		}
	}
}

func (t *Table) evictIdlest() {
	var victim int32 = -1
	for c := range t.lists {
		tail := t.lists[c].tail
		if tail >= 0 && (victim < 0 || t.lastOf(tail) < t.lastOf(victim)) {
			victim = tail
		}
	}
	if victim >= 0 {
		t.C.Evicted++
		t.end(victim, EndEvicted)
	}
}

func (t *Table) end(idx int32, reason EndReason) {
	if _, n := t.node(idx); n.on() {
		t.unlink(idx)
	}
	f := t.view(idx)
	f.Ended = reason
	if t.OnEnd != nil {
		t.OnEnd(f) // before the payload goes: a last recognition may need it
	}
	t.releasePayload(f)
	t.index.del(&f.Key, idx)
	if isEmbryo(idx) {
		t.freeEmbryo(idx)
	} else {
		t.free = append(t.free, idx)
	}
}

// Flush ends every flow still in the table (end of input), idlest first.
// The index and the free list are emptied wholesale afterwards rather
// than entry by entry.
func (t *Table) Flush() {
	t.EndOrder(&t.viewed, func(_ Pos, f *Flow) { t.endFlushed(f) })
	t.Clear()
}

// Pos is a flow's place in the table, valid until the flow ends.
type Pos int32

// EndOrder calls fn for every flow in the order Flush ends them, oldest
// first in each idle class, without ending any. An embryo is unpacked into
// buf, a full flow is passed in place; fn must not change either. EndOrder
// only reads the table, so it may run on another goroutine while this one
// ends flows it has already passed (EndAt), and nothing else.
func (t *Table) EndOrder(buf *Flow, fn func(Pos, *Flow)) {
	for c := range t.lists {
		for idx := t.lists[c].tail; idx >= 0; {
			f := buf
			if isEmbryo(idx) {
				t.unpackAt(idx, buf)
			} else {
				f = t.at(idx)
			}
			prev := f.prev
			fn(Pos(idx), f)
			idx = prev
		}
	}
}

// EndAt ends the flow at p as Flush does: OnEnd sees it, its recognition
// state is released. Clear must follow once every flow has ended.
func (t *Table) EndAt(p Pos) { t.endFlushed(t.view(int32(p))) }

func (t *Table) endFlushed(f *Flow) {
	f.Ended = EndFlush
	if t.OnEnd != nil {
		t.OnEnd(f)
	}
	t.releasePayload(f)
	f.list &^= onList
}

// Clear forgets every flow at once, ended or not: the pages start over
// rather than list a million free positions one by one.
func (t *Table) Clear() {
	for c := range t.lists {
		t.lists[c] = list{-1, -1}
	}
	t.free = t.free[:0]
	t.nflows = 0
	t.emb4.reset()
	t.emb6.reset()
	clear(t.index.slots)
	t.index.n = 0
	t.index.grownN, t.index.grownPackets = 0, t.C.Packets
}

// Each calls fn for every flow in the table, without ending them. The
// *Flow is valid during the call only (an embryo is unpacked into a
// buffer the next call reuses).
func (t *Table) Each(fn func(*Flow)) {
	t.index.each(func(idx int32) { fn(t.view(idx)) })
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
