package classifier

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
)

// flushAhead must leave the report a plain Flush leaves. With timeouts
// longer than the captures every flow is still in the table at the end, so
// the flush ends all of them: endpoint-mapper answers that teach later
// flows their ports, domain controllers, recognition still open, blocked
// attempts past the listed thousand, a scan past the unexpected-group
// limit. The counts check that each way of ending a flow was taken.
func TestFlushAheadEqualsFlush(t *testing.T) {
	n := synth.DefaultNet()
	day := synth.Day(3)
	at := synth.Start().Add(9 * time.Hour)
	for i := 0; i < 1500; i++ { // unanswered LDAP: blocked by ldap-out
		day.Unanswered(at.Add(time.Duration(i)*time.Millisecond), synth.EP(n.Server, uint16(50000+i)), synth.EP(n.DCs[0], 389), nil, 0)
	}
	// RPC to a port no endpoint mapper handed out: allowed by range only
	// once the flows ended before it (the day's endpoint-mapper
	// conversations with this DC) have shown the peer to be a DC.
	bind := []synth.Message{{FromClient: true, Data: synth.DCERPCBindDRSUAPI(1)}, {FromClient: false, Data: synth.DCERPCBindAck(1)}}
	for i := 0; i < 20; i++ {
		day.TCP(at.Add(time.Duration(i)*time.Second), synth.EP(n.Server, uint16(52000+i)), synth.EP(n.DCs[1], 55000), bind, synth.TCPOptions{})
	}
	// Two bytes of a TLS record: recognition is still open at the end.
	for i := 0; i < 20; i++ {
		day.TCP(at.Add(time.Duration(i)*time.Second), synth.EP(n.Server, uint16(53000+i)), synth.EP(n.Console, 443),
			[]synth.Message{{FromClient: true, Data: []byte{0x16, 0x03}}}, synth.TCPOptions{})
	}
	var dayPcap, flood bytes.Buffer
	if err := day.Write(&dayPcap, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteFlood(&flood, 30000, 5); err != nil {
		t.Fatal(err)
	}
	m, err := matrix.Load(matrix.LoadOptions{Server: []string{n.Server}})
	if err != nil {
		t.Fatal(err)
	}
	m.Limits.TCPTimeout, m.Limits.UDPTimeout, m.Limits.ClosedLinger = 1000*time.Hour, 1000*time.Hour, 1000*time.Hour

	for _, c := range []struct {
		name  string
		files [][]byte
		wait  bool // flows the look-ahead must wait for
	}{{"day", [][]byte{dayPcap.Bytes()}, true}, {"flood", [][]byte{flood.Bytes()}, false}, {"day+flood", [][]byte{dayPcap.Bytes(), flood.Bytes()}, true}} {
		var out [2][]byte
		var an *analyzer
		for i, pipeline := range []bool{false, true} {
			srcs := testcaps.Sources(t, c.name, c.files...)
			r, a, err := analyze(m, srcs, nil, Options{Version: "test", Pipeline: pipeline}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if out[i], err = json.Marshal(r); err != nil {
				t.Fatal(err)
			}
			an = a
		}
		if !bytes.Equal(out[0], out[1]) {
			t.Errorf("%s: the report after flushAhead differs from the one after Flush", c.name)
		}
		// Every flow ended the whole way: recognition state given back to
		// the table and the recognizer.
		if held, r := an.rec.table.PayloadsHeld(), an.rec; held != 0 || len(r.freed) != len(r.protos) {
			t.Errorf("%s: %d flows still hold payload state, %d of %d recognition slots released", c.name, held, len(r.freed), len(r.protos))
		}
		got := an.ahead
		if got.folded == 0 || got.inTurn == 0 || c.wait != (got.waited > 0) {
			t.Errorf("%s: %+v: a way of ending flows was not taken", c.name, got)
		}
		t.Logf("%s: %+v", c.name, got)
	}
}
