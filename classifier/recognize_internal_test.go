package classifier

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
)

// An endpoint-mapper reply is learned once per conversation, and a later
// conversation on the very same tuple (client ports wrap on a long
// capture) is learned afresh, so that the flows after it are attributed
// as learned rather than by range once the first answer has expired.
// (Learning used to look for the tuple among every endpoint learned
// before: it missed such answers, and cost time growing with the capture.)
func TestEndpointsLearnedOncePerConversation(t *testing.T) {
	const (
		server = "10.20.0.10"
		dc     = "10.20.0.21"
		port   = 49671
	)
	c := synth.New(9)
	epm := func(at time.Time) time.Time {
		msgs := []synth.Message{
			{FromClient: true, Data: synth.DCERPCBindEPM(1)}, {FromClient: false, Data: synth.DCERPCBindAck(1)},
			{FromClient: true, Data: synth.DCERPCEptMapRequest(2)},
			{FromClient: false, Data: synth.DCERPCEptMapResponse(2, port, [4]byte{10, 20, 0, 21})},
		}
		// Small segments: the reply is reassembled before it is read.
		return c.TCP(at, synth.EP(server, 50000), synth.EP(dc, 135), msgs, synth.TCPOptions{MSS: 40})
	}
	dynamic := func(at time.Time, clientPort uint16) time.Time {
		msgs := []synth.Message{{FromClient: true, Data: synth.DCERPCBindDRSUAPI(1)}, {FromClient: false, Data: synth.DCERPCBindAck(1)}}
		return c.TCP(at, synth.EP(server, clientPort), synth.EP(dc, port), msgs, synth.TCPOptions{})
	}
	t0 := synth.Start()
	dynamic(epm(t0).Add(time.Second), 50001)
	// Two hours on, past the first answer's lifetime: the same client
	// port asks again.
	dynamic(epm(t0.Add(2*time.Hour)).Add(time.Second), 50002)

	var buf bytes.Buffer
	if err := c.Write(&buf, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	src, err := capture.NewSource("epm", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	m, err := matrix.Load(matrix.LoadOptions{Server: []string{server}})
	if err != nil {
		t.Fatal(err)
	}
	an := newAnalyzer(m)
	an.listFlows(true, []string{"epm"})
	an.stream()
	table := flow.NewTable(flowConfig(m))
	an.attach(table)
	merger := capture.NewMerger([]*capture.FileSource{src})
	defer merger.Close()
	var p capture.Packet
	for merger.Next(&p) == nil {
		table.Add(&p)
	}
	table.Flush()
	r, err := an.report(meta{inputs: merger.Stats(), table: table.C, withFlows: true})
	if err != nil {
		t.Fatal(err)
	}

	if got := len(an.learned()); got != 2 {
		t.Errorf("%d endpoints learned from two conversations, want 2", got)
	}
	learned := 0
	for _, f := range r.Flows.All() {
		if !strings.HasSuffix(f.Responder, ":49671") {
			continue
		}
		if f.Rule != "rpc-dynamic-out" || f.Verdict != matrix.Allowed {
			t.Errorf("dynamic RPC flow %s -> %s: %s by %q", f.Initiator, f.Responder, f.Verdict, f.Rule)
		}
		for _, n := range f.Notes {
			if strings.HasPrefix(n, "learned: port 49671") {
				learned++
			}
		}
	}
	if learned != 2 {
		t.Errorf("%d of the 2 dynamic RPC flows attributed through a learned endpoint", learned)
	}
}
