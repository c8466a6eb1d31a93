package flow

import (
	"encoding/binary"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
)

// embryoCases are packets that walk one-packet flows through every way a
// flow leaves that state: a second packet, a later fragment, an ICMP error
// quoting it, idle and closed timeouts, and first packets that must not
// pack at all (payload being reassembled, a long history).
func embryoCases() []capture.Packet {
	at := func(s string) capture.Addr { return capture.Addr(netip.MustParseAddr(s).As16()) }
	srv, cli, far := at("10.20.0.10"), at("10.30.0.5"), at("192.0.2.7")
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC).UnixNano()
	sec := int64(time.Second)
	tcp := func(ts int64, src, dst capture.Addr, sp, dp uint16, flags uint8, seq uint32, payload string) capture.Packet {
		return capture.Packet{Timestamp: ts, IsIP: true, Proto: capture.ProtoTCP, Src: src, Dst: dst, SrcPort: sp, DstPort: dp,
			TCPFlags: flags, Seq: seq, Payload: []byte(payload), PayloadLen: len(payload), IPLen: 40 + len(payload)}
	}
	udp := func(ts int64, src, dst capture.Addr, sp, dp uint16, payload string) capture.Packet {
		return capture.Packet{Timestamp: ts, IsIP: true, Proto: capture.ProtoUDP, Src: src, Dst: dst, SrcPort: sp, DstPort: dp,
			Payload: []byte(payload), PayloadLen: len(payload), IPLen: 28 + len(payload)}
	}
	const syn, synack, ack, rst, fin = capture.FlagSYN, capture.FlagSYN | capture.FlagACK, capture.FlagACK, capture.FlagRST, capture.FlagFIN | capture.FlagACK
	var p []capture.Packet
	// A handshake: the SYN packs, the SYN-ACK promotes it.
	p = append(p, tcp(t0, srv, cli, 50000, 389, syn, 1000, ""), tcp(t0+sec/100, cli, srv, 389, 50000, synack, 7000, ""),
		tcp(t0+sec/50, srv, cli, 50000, 389, ack, 1001, ""))
	// A SYN-ACK first: the initiator is the other side.
	p = append(p, tcp(t0+sec, cli, srv, 445, 50001, synack, 9000, ""))
	// A mid-stream ACK (guessed direction), then data much later.
	p = append(p, tcp(t0+sec, srv, far, 50002, 443, ack, 5, ""), tcp(t0+40*sec, far, srv, 443, 50002, ack, 6, "\x16\x03\x01"))
	// Data on the first packet: reassembly state, never an embryo.
	p = append(p, tcp(t0+2*sec, srv, far, 50003, 80, ack|capture.FlagPSH, 1, "GET / HTTP/1.1\r\n"))
	// RST alone, FIN alone: closed embryos that linger, then end.
	p = append(p, tcp(t0+2*sec, far, srv, 135, 50004, rst, 0, ""), tcp(t0+2*sec, far, srv, 135, 50005, fin, 0, ""))
	// A datagram, and an ICMP port unreachable quoting it.
	p = append(p, udp(t0+3*sec, srv, far, 50006, 514, "<13>hello syslog"))
	p = append(p, capture.Packet{Timestamp: t0 + 3*sec + sec/10, IsIP: true, Proto: capture.ProtoICMP, Src: far, Dst: srv,
		SrcPort: 3, DstPort: 3, ICMPType: 3, ICMPCode: 3, Unreach: true, IPLen: 56,
		Quoted: capture.Tuple{Proto: capture.ProtoUDP, Src: srv, Dst: far, SrcPort: 50006, DstPort: 514}})
	// A first fragment, then a later one by IP id.
	first := udp(t0+4*sec, srv, far, 50007, 53, "")
	first.Frag, first.FragID, first.IPLen = capture.FragFirst, 77, 1500
	later := capture.Packet{Timestamp: t0 + 4*sec + sec/1000, IsIP: true, Proto: capture.ProtoUDP, Src: srv, Dst: far,
		Frag: capture.FragNonFirst, FragID: 77, IPLen: 400}
	p = append(p, first, later)
	// A SYN retransmitted: the second SYN promotes.
	p = append(p, tcp(t0+5*sec, srv, far, 50008, 88, syn, 42, ""), tcp(t0+6*sec, srv, far, 50008, 88, syn, 42, ""))
	// A lone UDP datagram that times out, and a lone SYN that does.
	p = append(p, udp(t0+6*sec, far, srv, 123, 50009, "x"), tcp(t0+6*sec, far, srv, 50010, 3389, syn, 1, ""))
	// IPv6 ends (the other kind of embryo): a lone datagram, and a SYN that
	// its SYN-ACK promotes; a v4-mapped address is IPv4.
	v6, v6b := at("2001:db8::10"), at("fe80::1:2")
	p = append(p, udp(t0+6*sec, v6, v6b, 50300, 547, "\x01\x00\x00\x01"),
		tcp(t0+6*sec, v6, v6b, 50301, 443, syn, 5, ""), tcp(t0+6*sec+sec/100, v6b, v6, 443, 50301, synack, 77, ""),
		tcp(t0+6*sec, at("::ffff:10.20.0.10"), v6, 50302, 22, syn, 9, ""))
	// Traffic long after, to run the idle timers.
	for i := 0; i < 40; i++ {
		p = append(p, udp(t0+int64(i)*15*sec, srv, at("10.20.0.53"), 50100, 53, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"))
	}
	// A port scan at the end: embryos that end at Flush, one reused by a
	// SYN after an RST.
	for i := 0; i < 64; i++ {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], 0xc0000200|uint32(i))
		p = append(p, tcp(t0+11*60*sec+int64(i), srv, capture.AddrFrom4(b[:]), 50200, uint16(1+i), syn, uint32(i), ""))
		p[len(p)-1].Input = 1 // as from a second capture file
	}
	p = append(p, tcp(t0+11*60*sec+sec, capture.AddrFrom4([]byte{192, 0, 2, 0}), srv, 1, 50200, rst|ack, 0, ""),
		tcp(t0+11*60*sec+2*sec, srv, capture.AddrFrom4([]byte{192, 0, 2, 0}), 50200, 1, syn, 99, ""))
	return p
}

// Embryos are a storage form: with and without them, a table must end the
// same flows in the same order with the same fields, show the same flows
// to Each, feed recognition the same bytes and count the same.
func TestEmbryosChangeNothing(t *testing.T) {
	inputs := append(tableInputs(t), tableInput{"embryo edge cases", embryoCases(), DefaultConfig()})
	all := func(tb *Table, pkts []capture.Packet) { tb.AddBatch(pkts) }
	unpacked := func(tb *Table, pkts []capture.Packet) { tb.addBatch(pkts, false) }
	used := 0
	for _, in := range inputs {
		want := run(in.pkts, in.cfg, unpacked)
		got := run(in.pkts, in.cfg, all)
		if want.embryos != 0 {
			t.Fatalf("%s: a table without embryos made %d", in.name, want.embryos)
		}
		if got.embryos > 0 {
			used++
		}
		if got.c != want.c {
			t.Fatalf("%s: counters %+v, without embryos %+v", in.name, got.c, want.c)
		}
		if len(got.payloads) != len(want.payloads) {
			t.Fatalf("%s: recognition fed %d times, without embryos %d", in.name, len(got.payloads), len(want.payloads))
		}
		for i := range got.payloads {
			if got.payloads[i] != want.payloads[i] {
				t.Fatalf("%s: recognition was fed differently", in.name)
			}
		}
		for _, set := range []struct {
			what      string
			got, want []Flow
		}{{"ended", got.ended, want.ended}, {"live", got.live, want.live}} {
			if len(set.got) != len(set.want) {
				t.Fatalf("%s: %d flows %s, without embryos %d", in.name, len(set.got), set.what, len(set.want))
			}
			for i := range set.got {
				g, w := set.got[i], set.want[i]
				g.links, w.links = links{}, links{} // positions differ
				if g != w {
					t.Fatalf("%s: %s flow %d differs:\n%+v\n%+v", in.name, set.what, i, g, w)
				}
			}
		}
	}
	if used < len(inputs)/2 {
		t.Fatalf("embryos were used on only %d of %d inputs", used, len(inputs))
	}
}

// A Flow that packs must come back from its embryo unchanged, field for
// field; the fuzzer sets every field of a Flow from its input.
func FuzzEmbryoRoundTrip(f *testing.F) {
	if n := reflect.TypeOf(Flow{}).NumField(); n != 30 {
		f.Fatalf("Flow has %d fields: carry the new ones in flowBytes, flowFromBytes and, if a one-packet flow can set them, the embryo", n)
	}
	tb := NewTable(DefaultConfig())
	var seeds []Flow
	tb.OnEnd = func(fl *Flow) { seeds = append(seeds, *fl) }
	for _, p := range embryoCases() {
		tb.Add(&p)
	}
	tb.Flush()
	for _, s := range seeds {
		f.Add(flowBytes(&s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fl Flow
		if !flowFromBytes(&fl, b) {
			return
		}
		fl.Ended = endActive // as when place packs it
		if !fl.canPack() {
			return
		}
		// Into the embryo of its kind, through the table as place does it,
		// and into an embryo6 whatever the key: IPv6 keys and keys one
		// byte away from IPv4 must survive both.
		tb := NewTable(DefaultConfig())
		pos := tb.newEmbryo(&fl)
		if want := fl.Key.A.Is4() && fl.Key.B.Is4(); (pos < embryo6Tag) != want {
			t.Fatalf("key %v: packed at %#x, IPv4 %v", fl.Key, pos, want)
		}
		if !tb.embryoKeyIs(pos, &fl.Key) {
			t.Fatalf("key %v: the embryo does not match it", fl.Key)
		}
		other := fl.Key
		other.A[3] ^= 1
		if tb.embryoKeyIs(pos, &other) {
			t.Fatalf("key %v: the embryo matches %v too", fl.Key, other)
		}
		var back Flow
		tb.unpackAt(pos, &back)
		if back != fl {
			t.Fatalf("packed and unpacked:\n%+v\nwas\n%+v", back, fl)
		}
		var e6 embryo6
		e6.pack(&fl)
		e6.unpack(&back)
		if back != fl || !e6.keyIs(&fl.Key) {
			t.Fatalf("packed as embryo6 and unpacked:\n%+v\nwas\n%+v", back, fl)
		}
	})
}

// flowBytes and flowFromBytes carry every field of a Flow, in order.
func flowBytes(f *Flow) []byte {
	var b []byte
	u := func(v uint64, n int) {
		for i := 0; i < n; i++ {
			b = append(b, byte(v>>(8*i)))
		}
	}
	bo := func(v bool) {
		if v {
			u(1, 1)
		} else {
			u(0, 1)
		}
	}
	b = append(b, f.Key.A[:]...)
	b = append(b, f.Key.B[:]...)
	u(uint64(f.Key.PortA), 2)
	u(uint64(f.Key.PortB), 2)
	u(uint64(f.Key.Proto), 1)
	b = append(b, f.state[:]...)
	u(uint64(f.First), 8)
	u(uint64(f.Last), 8)
	u(f.Bytes[0], 8)
	u(f.Bytes[1], 8)
	u(uint64(f.Pkts[0]), 4)
	u(uint64(f.Pkts[1]), 4)
	u(uint64(f.isn[0]), 4)
	u(uint64(f.isn[1]), 4)
	u(uint64(f.Frags), 4)
	u(uint64(f.Meta), 4)
	u(uint64(f.plIdx), 4)
	u(uint64(f.prev), 4)
	u(uint64(f.next), 4)
	u(uint64(f.SYNs), 2)
	u(uint64(f.Protocol), 2)
	u(uint64(f.icmpPkts), 2)
	u(uint64(f.Input), 2)
	b = append(b, f.histSeen[:]...)
	b = append(b, f.history[:]...)
	b = append(b, f.histLen, f.isnSet, f.ICMPType, f.ICMPCode, byte(f.Ended), byte(f.list))
	for _, v := range []bool{f.InitIsA, f.Guessed, f.everEst, f.Unreach, f.ICMPv6, f.OnlyByICMP, f.plDone} {
		bo(v)
	}
	return b
}

func flowFromBytes(f *Flow, b []byte) bool {
	ok := true
	take := func(n int) []byte {
		if len(b) < n {
			ok = false
			return make([]byte, n)
		}
		s := b[:n]
		b = b[n:]
		return s
	}
	u := func(n int) uint64 {
		var v uint64
		for i, c := range take(n) {
			v |= uint64(c) << (8 * i)
		}
		return v
	}
	copy(f.Key.A[:], take(16))
	copy(f.Key.B[:], take(16))
	f.Key.PortA, f.Key.PortB, f.Key.Proto = uint16(u(2)), uint16(u(2)), uint8(u(1))
	copy(f.state[:], take(2))
	f.First, f.Last = int64(u(8)), int64(u(8))
	f.Bytes = [2]uint64{u(8), u(8)}
	f.Pkts = [2]uint32{uint32(u(4)), uint32(u(4))}
	f.isn = [2]uint32{uint32(u(4)), uint32(u(4))}
	f.Frags, f.Meta, f.plIdx = uint32(u(4)), uint32(u(4)), int32(u(4))
	f.prev, f.next = int32(u(4)), int32(u(4))
	f.SYNs, f.Protocol, f.icmpPkts, f.Input = uint16(u(2)), uint16(u(2)), uint16(u(2)), uint16(u(2))
	copy(f.histSeen[:], take(2))
	copy(f.history[:], take(12))
	f.histLen, f.isnSet, f.ICMPType, f.ICMPCode, f.Ended, f.list = uint8(u(1)), uint8(u(1)), uint8(u(1)), uint8(u(1)), EndReason(u(1)), listNode(u(1))
	for _, v := range []*bool{&f.InitIsA, &f.Guessed, &f.everEst, &f.Unreach, &f.ICMPv6, &f.OnlyByICMP, &f.plDone} {
		*v = u(1)&1 != 0
	}
	return ok
}

// Prepare readies embryo pages only for a kind in use, at most two ahead,
// and the table takes them as it grows. Called on another goroutine while
// packets are added (make test runs this under the race detector), it
// must change nothing the table reports.
func TestPrepareHandsPagesToTheTable(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC).UnixNano()
	scan := func(n int) []capture.Packet {
		p := make([]capture.Packet, n)
		for i := range p {
			p[i] = capture.Packet{Timestamp: t0 + int64(i)*1000, IsIP: true, Proto: capture.ProtoTCP, IPLen: 40, TCPFlags: capture.FlagSYN,
				SrcPort: uint16(49152 + i%16000), DstPort: uint16(1 + i%60000), Seq: uint32(i)}
			p[i].Src.Set4([]byte{10, 20, 0, 10})
			p[i].Dst.Set4([]byte{10, 30, byte(i >> 16), byte(i >> 8)})
		}
		return p
	}
	tb := NewTable(DefaultConfig())
	if tb.Prepare() {
		t.Fatal("Prepare readied a page for a table with no embryos")
	}
	tb.AddBatch(scan(1))
	for i, want := range []bool{true, true, false} {
		if tb.Prepare() != want {
			t.Fatalf("call %d: Prepare should ready two pages of IPv4 embryos, then stop", i+1)
		}
	}
	if len(tb.emb6.spare) != 0 {
		t.Fatal("Prepare readied IPv6 embryos, which the table does not use")
	}
	tb.AddBatch(scan(embryosPerPage + 1)[1:]) // the second page
	if len(tb.emb4.spare) != 1 || len(tb.emb4.pages) != 2 {
		t.Fatalf("growing by a page left %d spare pages and %d pages", len(tb.emb4.spare), len(tb.emb4.pages))
	}

	pkts := scan(5*embryosPerPage + 100)
	var want []Flow
	ref := NewTable(DefaultConfig())
	ref.OnEnd = func(f *Flow) { want = append(want, *f) }
	ref.AddBatch(pkts)
	ref.Flush()

	var got []Flow
	tb = NewTable(DefaultConfig())
	tb.OnEnd = func(f *Flow) { got = append(got, *f) }
	done, prepared := make(chan struct{}), make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-done:
				prepared <- n
				return
			default:
				if tb.Prepare() {
					n++
				}
			}
		}
	}()
	for i := 0; i < len(pkts); i += 1024 {
		tb.AddBatch(pkts[i:min(i+1024, len(pkts))])
	}
	close(done)
	t.Logf("%d pages prepared", <-prepared)
	tb.Flush()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("with pages prepared aside the table ended %d flows differently from %d", len(got), len(want))
	}
}
