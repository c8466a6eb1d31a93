// Why: a flood makes a new flow of nearly every packet; working keys out
// and prefetching index slots a few packets ahead hides the memory latency.

package flow

import (
	"unsafe"

	"github.com/flowverify/flowverify/capture"
)

// Keyed is a packet's flow key worked out ahead of accounting it (see
// AddKeyed).
type Keyed struct {
	key       Key
	h         uint64
	srcIsA    bool
	icmpReply bool
	icmpPair  bool // a request or reply type: the message says which side sent it
	ok        bool // false: the packet is looked up another way (later fragment, ICMP error, not IP)
}

// Of works out p's key.
func (k *Keyed) Of(p *capture.Packet) {
	if !p.IsIP || p.Frag == capture.FragNonFirst || p.Unreach {
		k.ok = false
		return
	}
	sport, dport := p.SrcPort, p.DstPort
	k.icmpReply, k.icmpPair = false, false
	if p.Proto == capture.ProtoICMP || p.Proto == capture.ProtoICMPv6 {
		var ty uint8
		// Both ends carry the request's type and the code (as Zeek keys
		// ICMP), so a reply pairs with its request; see Flow.ICMPMessage.
		ty, k.icmpReply = icmpRequestType(p.Proto, p.ICMPType)
		k.icmpPair = k.icmpReply || isICMPRequest(p.Proto, p.ICMPType)
		sport = uint16(ty) | uint16(p.ICMPCode)<<8
		dport = sport
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
func (t *Table) AddBatch(pkts []capture.Packet) { t.addBatch(pkts, true) }

// addBatch is AddBatch; pack says whether one-packet flows are kept as
// embryos (tests compare tables with and without them).
func (t *Table) addBatch(pkts []capture.Packet, pack bool) {
	ring := &t.ahead
	for i := 0; i < len(pkts) && i < batchAhead; i++ {
		t.prefetchKey(&ring[i], &pkts[i])
	}
	for i := range pkts {
		if j := i + batchAhead; j < len(pkts) {
			t.prefetchKey(&ring[j%len(ring)], &pkts[j])
		}
		t.add(&pkts[i], &ring[i%len(ring)], pack)
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
		t.add(&pkts[i], &keys[i], true)
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
