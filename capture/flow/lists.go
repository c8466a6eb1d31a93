package flow

type list struct{ head, tail int32 }

// listNode is a flow's idle class and whether it is on that class's list,
// in one byte: an embryo has no room for two.
type listNode uint8

const onList listNode = 0x80

func (n listNode) class() uint8 { return uint8(n &^ onList) }

func (n listNode) on() bool { return n&onList != 0 }

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
			reason := endIdle
			if c == classClosed {
				reason = endClosed
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
		t.end(victim, endEvicted)
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
	f.Ended = endFlush
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
