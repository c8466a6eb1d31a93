package flow

import (
	"time"

	"github.com/flowverify/flowverify/capture"
)

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
	t.C.icmpTied++
	t.noteRouter(&key, p.Src)
	f.Unreach = true
	f.ICMPv6 = p.Proto == capture.ProtoICMPv6
	f.ICMPType, f.ICMPCode = p.ICMPType, p.ICMPCode
	f.icmpPkts++
	if p.Timestamp > f.Last {
		f.Last = p.Timestamp
	}
	class := uint8(classShort)
	if q.Proto == capture.ProtoTCP {
		class = classTCP
	}
	if idx < 0 {
		idx = t.place(f, h, false) // never an embryo: it was answered by ICMP
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

// maxRouters bounds the senders of destination-unreachable messages kept.
const maxRouters = 4096

// noteRouter remembers who sent the ICMP error that answered a flow: the
// router or firewall that refused it, which the report names.
func (t *Table) noteRouter(k *Key, from capture.Addr) {
	if t.routers == nil {
		t.routers = map[Key]capture.Addr{}
	}
	if _, ok := t.routers[*k]; ok || len(t.routers) < maxRouters {
		t.routers[*k] = from
	}
}

// UnreachFrom says who sent the destination-unreachable message that
// answered the flow with key k.
func (t *Table) UnreachFrom(k *Key) (capture.Addr, bool) {
	a, ok := t.routers[*k]
	return a, ok
}
