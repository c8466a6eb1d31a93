package flow

import (
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"github.com/flowverify/flowverify/capture"
)

var (
	cli = addr("192.0.2.10")
	srv = addr("192.0.2.20")
	t0  = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).UnixNano()
)

func addr(s string) capture.Addr { return capture.AddrFromNetip(netip.MustParseAddr(s)) }

// seg is one TCP segment of a scripted conversation.
type seg struct {
	fromClient bool
	flags      uint8
	payload    int
	gap        time.Duration
}

const (
	S  = capture.FlagSYN
	A  = capture.FlagACK
	F  = capture.FlagFIN
	R  = capture.FlagRST
	SA = S | A
	FA = F | A
	RA = R | A
	PA = capture.FlagPSH | A
)

// play feeds segments and returns the flows that ended, after a flush.
func play(t *testing.T, segs []seg) []Flow {
	t.Helper()
	tb := NewTable(DefaultConfig())
	var ended []Flow
	tb.OnEnd = func(f *Flow) { ended = append(ended, *f) }
	ts := t0
	var cseq, sseq uint32 = 1000, 5000
	for _, s := range segs {
		ts += int64(s.gap) + int64(time.Millisecond)
		p := capture.Packet{Timestamp: ts, IsIP: true, Proto: capture.ProtoTCP, TCPFlags: s.flags, PayloadLen: s.payload, IPLen: 40 + s.payload}
		if s.fromClient {
			p.Src, p.Dst, p.SrcPort, p.DstPort, p.Seq = cli, srv, 49999, 389, cseq
			cseq += uint32(s.payload)
		} else {
			p.Src, p.Dst, p.SrcPort, p.DstPort, p.Seq = srv, cli, 389, 49999, sseq
			sseq += uint32(s.payload)
		}
		tb.Add(&p)
	}
	tb.Flush()
	return ended
}

func TestTCPConnStates(t *testing.T) {
	c, s := true, false
	cases := []struct {
		name     string
		segs     []seg
		want     string
		words    string
		guessed  bool
		initIsCl bool
		syns     uint16
	}{
		{"unanswered SYN retransmitted", []seg{{c, S, 0, 0}, {c, S, 0, time.Second}, {c, S, 0, 2 * time.Second}}, "S0", "attempt", false, true, 3},
		{"refused", []seg{{c, S, 0, 0}, {s, RA, 0, 0}}, "REJ", "rejected", false, true, 1},
		{"normal close", []seg{{c, S, 0, 0}, {s, SA, 0, 0}, {c, A, 0, 0}, {c, PA, 100, 0}, {s, PA, 300, 0}, {c, FA, 0, 0}, {s, FA, 0, 0}, {c, A, 0, 0}},
			"SF", "closed", false, true, 1},
		{"established, still open", []seg{{c, S, 0, 0}, {s, SA, 0, 0}, {c, A, 0, 0}, {c, PA, 10, 0}}, "S1", "established", false, true, 1},
		{"RabbitMQ: client FIN answered by RST", []seg{{c, S, 0, 0}, {s, SA, 0, 0}, {c, A, 0, 0}, {c, PA, 8, 0}, {s, PA, 400, 0}, {c, FA, 0, 0}, {s, RA, 0, 0}},
			"RSTR", "reset", false, true, 1},
		{"ldapsearch: client resets after StartTLS", []seg{{c, S, 0, 0}, {s, SA, 0, 0}, {c, A, 0, 0}, {c, PA, 31, 0}, {s, PA, 14, 0}, {c, RA, 0, 0}},
			"RSTO", "reset", false, true, 1},
		{"SYN then own RST, no answer", []seg{{c, S, 0, 0}, {c, R, 0, 0}}, "RSTOS0", "attempt-aborted", false, true, 1},
		{"mid-stream, server speaks first", []seg{{s, PA, 200, 0}, {c, A, 0, 0}, {c, PA, 50, 0}}, "OTH", "midstream", true, true, 0},
		{"SYN-ACK first: SYN missed", []seg{{s, SA, 0, 0}, {c, A, 0, 0}, {c, PA, 10, 0}}, "OTH", "midstream", false, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			flows := play(t, tc.segs)
			if len(flows) != 1 {
				t.Fatalf("%d flows, want 1", len(flows))
			}
			f := &flows[0]
			if got := f.ConnState(); got != tc.want {
				t.Errorf("conn_state = %s, want %s (history %s)", got, tc.want, f.HistoryString())
			}
			if got := f.StateWords(); got != tc.words {
				t.Errorf("state = %s, want %s", got, tc.words)
			}
			if f.Guessed != tc.guessed {
				t.Errorf("guessed = %v", f.Guessed)
			}
			if ia, _ := f.Initiator(); (ia == cli) != tc.initIsCl {
				t.Errorf("initiator = %s", ia)
			}
			if f.SYNs != tc.syns {
				t.Errorf("SYNs = %d, want %d", f.SYNs, tc.syns)
			}
		})
	}
}

// TestHandshakeNeedsAllThree holds Handshake to the evidence rule's
// sense: the initiator's SYN, the responder's SYN/ACK, then the
// initiator's ACK. Established is looser (a responder's ACK after its
// SYN/ACK makes it), and a lone SYN/ACK can be sent by anyone.
func TestHandshakeNeedsAllThree(t *testing.T) {
	c, s := true, false
	cases := []struct {
		name      string
		segs      []seg
		handshake bool
		respData  bool
	}{
		{"three-way", []seg{{c, S, 0, 0}, {s, SA, 0, 0}, {c, A, 0, 0}}, true, false},
		{"three-way, ACK carries data", []seg{{c, S, 0, 0}, {s, SA, 0, 0}, {c, PA, 20, 0}}, true, false},
		{"SYN and SYN/ACK, no ACK", []seg{{c, S, 0, 0}, {s, SA, 0, 0}}, false, false},
		{"SYN/ACK, then the responder's ACK", []seg{{c, S, 0, 0}, {s, SA, 0, 0}, {s, A, 0, 0}}, false, false},
		{"lone SYN/ACKs", []seg{{s, SA, 0, 0}, {s, SA, 0, time.Second}, {s, SA, 0, time.Second}}, false, false},
		{"SYN/ACK first, then the initiator's ACK", []seg{{s, SA, 0, 0}, {c, A, 0, 0}}, false, false},
		{"ACK before the SYN/ACK", []seg{{c, S, 0, 0}, {c, A, 0, 0}, {s, SA, 0, 0}}, false, false},
		{"one-way data mid-stream", []seg{{c, PA, 40, 0}, {c, PA, 40, 0}}, false, false},
		{"mid-stream, the responder's data", []seg{{c, PA, 40, 0}, {s, PA, 90, 0}}, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := play(t, tc.segs)[0]
			if got := f.Handshake(); got != tc.handshake {
				t.Errorf("Handshake = %v, want %v (history %s)", got, tc.handshake, f.HistoryString())
			}
			if got := f.SentData(Resp); got != tc.respData {
				t.Errorf("SentData(Resp) = %v, want %v", got, tc.respData)
			}
		})
	}
}

func TestHistoryLikeZeek(t *testing.T) {
	c, s := true, false
	f := play(t, []seg{{c, S, 0, 0}, {s, SA, 0, 0}, {c, A, 0, 0}, {c, PA, 10, 0}, {s, PA, 10, 0}, {c, FA, 0, 0}, {s, FA, 0, 0}})[0]
	if h := f.HistoryString(); h != "ShADdFf" {
		t.Fatalf("history = %q, want ShADdFf", h)
	}
}

func TestPortReuseStartsNewFlow(t *testing.T) {
	c, s := true, false
	one := []seg{{c, S, 0, 0}, {s, SA, 0, 0}, {c, A, 0, 0}, {c, FA, 0, 0}, {s, FA, 0, 0}, {c, A, 0, 0}}
	flows := play(t, append(append([]seg{}, one...), one...))
	if len(flows) != 2 {
		t.Fatalf("%d flows, want 2", len(flows))
	}
	if flows[0].Ended != endReused || flows[0].ConnState() != "SF" || flows[1].ConnState() != "SF" {
		t.Fatalf("ended %v states %s %s", flows[0].Ended, flows[0].ConnState(), flows[1].ConnState())
	}
}

func udpPkt(ts int64, src, dst capture.Addr, sp, dp uint16) *capture.Packet {
	return &capture.Packet{Timestamp: ts, IsIP: true, Proto: capture.ProtoUDP, Src: src, Dst: dst, SrcPort: sp, DstPort: dp, IPLen: 60, PayloadLen: 32}
}

func TestUDPIdleTimeoutOnPacketTime(t *testing.T) {
	tb := NewTable(Config{UDPTimeout: time.Minute})
	var ended []Flow
	tb.OnEnd = func(f *Flow) { ended = append(ended, *f) }
	tb.Add(udpPkt(t0, cli, srv, 50000, 10000))
	tb.Add(udpPkt(t0+int64(30*time.Second), cli, srv, 50000, 10000))
	if len(ended) != 0 {
		t.Fatal("flow ended before its timeout")
	}
	// Another flow 2 minutes later (packet time) expires the first.
	tb.Add(udpPkt(t0+int64(150*time.Second), cli, srv, 50001, 10000))
	if len(ended) != 1 || ended[0].Ended != endIdle || ended[0].Pkts[Orig] != 2 {
		t.Fatalf("ended %+v", ended)
	}
	if ended[0].ConnState() != "S0" || ended[0].StateWords() != "one-way" {
		t.Fatalf("one-way UDP state %s", ended[0].ConnState())
	}
}

// TestAdvanceToEndsIdleFlows: with no packet at all, a clock moved on by
// AdvanceTo ends a flow once its timeout has passed, and never moves back.
func TestAdvanceToEndsIdleFlows(t *testing.T) {
	tb := NewTable(Config{UDPTimeout: time.Minute})
	var ended []Flow
	tb.OnEnd = func(f *Flow) { ended = append(ended, *f) }
	tb.Add(udpPkt(t0, cli, srv, 50000, 10000))
	tb.AdvanceTo(t0 + int64(59*time.Second))
	if len(ended) != 0 {
		t.Fatal("flow ended before its timeout")
	}
	tb.AdvanceTo(t0 + int64(61*time.Second))
	if len(ended) != 1 || ended[0].Ended != endIdle {
		t.Fatalf("ended %+v, want the flow idled out", ended)
	}
	tb.AdvanceTo(t0)
	if tb.Now() != t0+int64(61*time.Second) {
		t.Errorf("the clock went back to %d", tb.Now())
	}
}

func TestUDPDirectionHeuristic(t *testing.T) {
	cfg := DefaultConfig()
	cfg.AnswerPorts = new(PortSet)
	cfg.AnswerPorts.Add(53) // DNS answers requests (the matrix fills the full set)
	tb := NewTable(cfg)
	var ended []Flow
	tb.OnEnd = func(f *Flow) { ended = append(ended, *f) }
	// A DNS answer seen before its query: the side on 53 is the responder.
	tb.Add(udpPkt(t0, srv, cli, 53, 51515))
	tb.Flush()
	ia, ip := ended[0].Initiator()
	if ia != cli || ip != 51515 || !ended[0].Guessed {
		t.Fatalf("initiator %s:%d guessed=%v", ia, ip, ended[0].Guessed)
	}
}

func TestCapEvictsIdlestAndCounts(t *testing.T) {
	tb := NewTable(Config{MaxFlows: 3})
	var ended []Flow
	tb.OnEnd = func(f *Flow) { ended = append(ended, *f) }
	for i := 0; i < 3; i++ {
		tb.Add(udpPkt(t0+int64(i), cli, srv, uint16(50000+i), 10000))
	}
	tb.Add(udpPkt(t0+10, cli, srv, 50000, 10000)) // refresh the oldest
	tb.Add(udpPkt(t0+20, cli, srv, 50009, 10000)) // needs room
	if tb.C.Evicted != 1 || len(ended) != 1 || ended[0].Key.PortA != 50001 && ended[0].Key.PortB != 50001 {
		t.Fatalf("evicted %d, ended %+v", tb.C.Evicted, ended)
	}
	if ended[0].Ended != endEvicted || tb.Len() != 3 {
		t.Fatalf("reason %v len %d", ended[0].Ended, tb.Len())
	}
}

func TestFragmentsCountedToFlow(t *testing.T) {
	tb := NewTable(DefaultConfig())
	var ended []Flow
	tb.OnEnd = func(f *Flow) { ended = append(ended, *f) }
	first := udpPkt(t0, cli, srv, 50000, 10000)
	first.Frag, first.FragID = capture.FragFirst, 42
	tb.Add(first)
	later := &capture.Packet{Timestamp: t0 + 1, IsIP: true, Proto: capture.ProtoUDP, Src: cli, Dst: srv, Frag: capture.FragNonFirst, FragID: 42, IPLen: 500}
	tb.Add(later)
	orphan := *later
	orphan.FragID = 43
	tb.Add(&orphan)
	tb.Flush()
	if len(ended) != 1 || ended[0].Frags != 2 || ended[0].Pkts[Orig] != 2 || tb.C.OrphanFrags != 1 || tb.C.Fragments != 3 {
		t.Fatalf("flows %d frags %d pkts %d orphans %d", len(ended), ended[0].Frags, ended[0].Pkts[Orig], tb.C.OrphanFrags)
	}
}

func TestICMPUnreachableTiedToFlow(t *testing.T) {
	tb := NewTable(DefaultConfig())
	var ended []Flow
	tb.OnEnd = func(f *Flow) { ended = append(ended, *f) }
	syn := &capture.Packet{Timestamp: t0, IsIP: true, Proto: capture.ProtoTCP, Src: cli, Dst: srv, SrcPort: 49999, DstPort: 9389, TCPFlags: S}
	tb.Add(syn)
	icmp := &capture.Packet{Timestamp: t0 + 1000, IsIP: true, Proto: capture.ProtoICMP, Src: addr("192.0.2.1"), Dst: cli, Unreach: true, ICMPType: 3, ICMPCode: 13,
		Quoted: capture.Tuple{Proto: capture.ProtoTCP, Src: cli, Dst: srv, SrcPort: 49999, DstPort: 9389}}
	tb.Add(icmp)
	tb.Flush()
	if len(ended) != 1 || !ended[0].Unreach || ended[0].ICMPCode != 13 || tb.C.icmpTied != 1 {
		t.Fatalf("%d flows, unreach %v code %d", len(ended), ended[0].Unreach, ended[0].ICMPCode)
	}
}

func TestPayloadAssemblyOutOfOrder(t *testing.T) {
	tb := NewTable(DefaultConfig())
	var got []byte
	tb.OnPayload = func(f *Flow, pl *Payload) bool {
		got = append(got[:0], pl.Dir[Orig].Bytes()...)
		return len(got) >= 10
	}
	mk := func(ts int64, flags uint8, seq uint32, data string) *capture.Packet {
		return &capture.Packet{Timestamp: ts, IsIP: true, Proto: capture.ProtoTCP, Src: cli, Dst: srv, SrcPort: 49999, DstPort: 389,
			TCPFlags: flags, Seq: seq, Payload: []byte(data), PayloadLen: len(data)}
	}
	tb.Add(mk(t0, S, 99, ""))
	tb.Add(mk(t0+1, PA, 105, "fghij")) // arrives before the first segment
	if len(got) != 0 {
		t.Fatalf("out-of-order bytes delivered early: %q", got)
	}
	tb.Add(mk(t0+2, PA, 100, "abcde"))
	tb.Add(mk(t0+3, PA, 100, "abcde")) // retransmission
	if string(got) != "abcdefghij" {
		t.Fatalf("assembled %q", got)
	}
}

// steadyPackets is a mix of established TCP and UDP conversations that
// are already in the table.
func steadyPackets(n int) []capture.Packet {
	var out []capture.Packet
	for i := 0; i < n; i++ {
		a := addr("10.0.0.1")
		b := capture.AddrFromNetip(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}))
		out = append(out,
			capture.Packet{IsIP: true, Proto: capture.ProtoTCP, Src: a, Dst: b, SrcPort: 50000, DstPort: 389, TCPFlags: PA, PayloadLen: 100, IPLen: 140},
			capture.Packet{IsIP: true, Proto: capture.ProtoTCP, Src: b, Dst: a, SrcPort: 389, DstPort: 50000, TCPFlags: A, IPLen: 40},
			capture.Packet{IsIP: true, Proto: capture.ProtoUDP, Src: b, Dst: a, SrcPort: 50001, DstPort: 10000, PayloadLen: 80, IPLen: 108})
	}
	return out
}

func TestTableSteadyStateDoesNotAllocate(t *testing.T) {
	pkts := steadyPackets(100)
	tb := NewTable(DefaultConfig())
	ts := t0
	for i := range pkts {
		pkts[i].Timestamp = ts
		tb.Add(&pkts[i])
	}
	allocs := testing.AllocsPerRun(50, func() {
		for i := range pkts {
			ts += 1000
			pkts[i].Timestamp = ts
			tb.Add(&pkts[i])
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per %d packets in steady state", allocs, len(pkts))
	}
	allocs = testing.AllocsPerRun(50, func() {
		for i := range pkts {
			ts += 1000
			pkts[i].Timestamp = ts
		}
		tb.AddBatch(pkts)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per batch of %d packets in steady state", allocs, len(pkts))
	}
}

func BenchmarkTableAdd(b *testing.B) {
	pkts := steadyPackets(1000)
	tb := NewTable(DefaultConfig())
	ts := t0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := &pkts[i%len(pkts)]
		ts += 100
		p.Timestamp = ts
		tb.Add(p)
	}
}

func TestSetRange(t *testing.T) {
	for lo := 0; lo < PayloadBound; lo += 7 {
		for hi := lo; hi <= PayloadBound; hi += 13 {
			var got, want [PayloadBound / 64]uint64
			setRange(&got, lo, hi)
			for i := lo; i < hi; i++ {
				want[i>>6] |= 1 << (uint(i) & 63)
			}
			if got != want {
				t.Fatalf("setRange(%d, %d) = %x, want %x", lo, hi, got, want)
			}
		}
	}
}

// TestIndexAgainstMap drives the open-addressing index and a Go map with
// the same random inserts and deletes and compares them throughout.
func TestIndexAgainstMap(t *testing.T) {
	tb := NewTable(Config{MaxFlows: 1 << 20})
	ref := map[Key]int32{}
	rng := uint64(7)
	next := func() uint64 { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng }
	var live []Key
	for step := 0; step < 200000; step++ {
		if len(live) > 0 && next()%3 == 0 {
			i := int(next() % uint64(len(live)))
			k := live[i]
			live[i] = live[len(live)-1]
			live = live[:len(live)-1]
			tb.index.del(&k, ref[k])
			delete(ref, k)
			continue
		}
		var k Key
		v := next()
		k.A[15], k.B[15], k.PortA, k.PortB, k.Proto = byte(v), byte(v>>8), uint16(v>>16), uint16(v>>32), 6
		if _, ok := ref[k]; ok {
			continue
		}
		pos := tb.grow()
		tb.at(pos).Key = k
		tb.index.put(hashKey(&k), pos)
		ref[k] = pos
		live = append(live, k)
	}
	if tb.index.n != len(ref) {
		t.Fatalf("index holds %d, map %d", tb.index.n, len(ref))
	}
	for k, want := range ref {
		if got, ok := tb.index.get(&k); !ok || got != want {
			t.Fatalf("get %v = %d %v, want %d", k, got, ok, want)
		}
	}
}

// A flood keeps a million of these; the bytes-per-flow figure in the
// benchmarks rests on the record staying unpadded.
func TestFlowRecordSize(t *testing.T) {
	if n := unsafe.Sizeof(Flow{}); n > 144 {
		t.Errorf("Flow is %d bytes, want at most 144: reorder the fields so none pads", n)
	}
	if n := unsafe.Sizeof(embryo{}); n > 40 {
		t.Errorf("embryo is %d bytes, want at most 40", n)
	}
	if n := unsafe.Sizeof(embryo6{}); n > 64 {
		t.Errorf("embryo6 is %d bytes, want at most 64", n)
	}
}

// The index grows by projection when the input says how much is left
// (Expect), and only then: a flood of new flows takes at most two growths
// and ends no more than twice as large as doubling would leave it; flows
// that come and go, a burst early in a long input, a live interface (no
// expectation) and the cap keep it small.
func TestIndexGrowthFollowsExpectation(t *testing.T) {
	const flood = 300000
	for _, tc := range []struct {
		name      string
		maxFlows  int
		packets   int  // packets fed, one flow added per packet unless churn
		expect    bool // tell the table how many packets are left
		churn     int  // past this many flows, one ends for each one added
		burst     int  // new flows in the first packets only, then one old flow each
		maxGrows  int
		maxSlots  int
		minGrowth int // at least this many growths
	}{
		{"flood, expected", 1 << 20, flood, true, 0, 0, 2, 1 << 20, 1},
		{"flood, unknown input", 1 << 20, flood, false, 0, 0, 8, 1 << 20, 8},
		{"flood, capped", 50000, 50000, true, 0, 0, 2, 1 << 17, 1},
		// a mix: a thousand flows at a time, a new one replacing an old
		{"flows come and go", 1 << 20, flood, true, 1000, 0, 0, 4096, 0},
		// 10,000 new flows, then they come and go: the first growth
		// projects the flood on, and maxJump bounds what that costs
		{"flood that stops", 1 << 20, flood, true, 10000, 0, 1, 64 * 4096, 1},
		{"burst early in a long input", 1 << 20, 2000000, true, 0, 20000, 2, 64 * 4096, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := NewTable(Config{MaxFlows: tc.maxFlows})
			var live []Key
			grows, size := 0, len(tb.index.slots)
			for i := 0; i < tc.packets; i++ {
				tb.C.Packets++
				if tc.expect {
					tb.Expect(uint64(tc.packets - i))
				}
				if tc.burst > 0 && i >= tc.burst {
					continue // the burst is over: packets of flows already known
				}
				if tc.churn > 0 && len(live) >= tc.churn {
					k := live[0]
					live = live[1:]
					pos, ok := tb.index.get(&k)
					if !ok {
						t.Fatalf("flow %v lost", k)
					}
					tb.index.del(&k, pos)
				}
				if tb.index.n >= tc.maxFlows {
					break
				}
				var k Key
				k.A[12], k.A[13], k.A[14], k.A[15] = 10, byte(i>>16), byte(i>>8), byte(i)
				k.PortA, k.Proto = uint16(i), 6
				pos := tb.grow()
				tb.at(pos).Key = k
				tb.index.put(hashKey(&k), pos)
				live = append(live, k)
				if len(tb.index.slots) != size {
					grows, size = grows+1, len(tb.index.slots)
				}
			}
			if grows > tc.maxGrows || grows < tc.minGrowth {
				t.Errorf("%d growths, want %d to %d", grows, tc.minGrowth, tc.maxGrows)
			}
			if size > tc.maxSlots {
				t.Errorf("index of %d slots for %d flows, want at most %d", size, tb.index.n, tc.maxSlots)
			}
			if 2*tb.index.n > size {
				t.Errorf("index of %d slots holds %d flows, more than half", size, tb.index.n)
			}
			for _, k := range live[max(0, len(live)-1000):] {
				if _, ok := tb.index.get(&k); !ok {
					t.Fatalf("flow %v not found after growth", k)
				}
			}
		})
	}
}

func icmpPkt(ts int64, proto uint8, src, dst capture.Addr, ty uint8) *capture.Packet {
	// As the decoder fills it: type and code in the port fields.
	return &capture.Packet{Timestamp: ts, IsIP: true, Proto: proto, Src: src, Dst: dst, ICMPType: ty, SrcPort: uint16(ty), IPLen: 84}
}

// An echo request and its reply are one answered flow, in both families;
// neighbour discovery and multicast listener messages are link upkeep,
// counted and never a flow.
func TestICMPEchoAndLinkUpkeep(t *testing.T) {
	v6a, v6b := addr("2001:db8::10"), addr("2001:db8::20")
	for _, c := range []struct {
		name          string
		proto         uint8
		a, b          capture.Addr
		request, rply uint8
	}{
		{"icmp", capture.ProtoICMP, srv, cli, 8, 0},
		{"icmp6", capture.ProtoICMPv6, v6a, v6b, 128, 129},
		{"icmp to oneself", capture.ProtoICMP, addr("127.0.0.1"), addr("127.0.0.1"), 8, 0},
	} {
		tb := NewTable(DefaultConfig())
		var ended []Flow
		tb.OnEnd = func(f *Flow) { ended = append(ended, *f) }
		tb.Add(icmpPkt(t0, c.proto, c.a, c.b, c.request))
		tb.Add(icmpPkt(t0+1e6, c.proto, c.b, c.a, c.rply))
		tb.Flush()
		if len(ended) != 1 || ended[0].Pkts != [2]uint32{1, 1} || ended[0].ConnState() != "SF" {
			t.Errorf("%s: echo gave %d flow(s), first %+v", c.name, len(ended), ended)
		}
	}
	tb := NewTable(DefaultConfig())
	var ended []Flow
	tb.OnEnd = func(f *Flow) { ended = append(ended, *f) }
	for i, ty := range []uint8{130, 131, 132, 133, 134, 135, 136, 137, 143} {
		tb.Add(icmpPkt(t0+int64(i), capture.ProtoICMPv6, v6a, v6b, ty))
	}
	tb.Add(icmpPkt(t0+100, capture.ProtoICMPv6, v6a, v6b, 1)) // not upkeep: a flow
	tb.Flush()
	if tb.C.Infrastructure != 9 || len(ended) != 1 {
		t.Errorf("infrastructure %d, flows %d; want 9 and the one other message", tb.C.Infrastructure, len(ended))
	}
}
