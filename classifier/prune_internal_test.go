package classifier

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
	"github.com/flowverify/flowverify/report"
)

// analyzeTicking analyses a capture as Analyze does on one core, with
// Tick between batches or without; it returns the report and how many
// learned endpoints were kept before the end of input.
func analyzeTicking(t *testing.T, m *matrix.Matrix, data []byte, tick bool) (*report.Report, []byte, int) {
	t.Helper()
	src, err := capture.NewSource("in", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	merger := capture.NewMerger([]*capture.FileSource{src})
	defer merger.Close()
	an := newAnalyzer(m)
	an.listFlows(true, []string{"in"})
	an.stream()
	table := flow.NewTable(flowConfig(m))
	an.attach(table)
	pkts := make([]capture.Packet, 128)
	for {
		k := merger.NextBatch(pkts)
		if k == 0 {
			break
		}
		table.AddBatch(pkts[:k])
		if tick {
			an.tick(table)
		}
	}
	kept := len(an.rec.learned)
	table.Flush()
	r, err := an.report(meta{toolVersion: "test", inputs: merger.Stats(), table: table.C, withFlows: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return r, out, kept
}

// Forgetting learned endpoints that no flow can match any more must not
// change a report: analysed with Tick between batches and without, a mix
// of some hours with endpoint-mapper conversations throughout gives the
// same JSON, flow list included, while Tick keeps far fewer endpoints; so
// does a dynamic RPC connection that stays open for hours after the
// answer that named its port (it is judged, as learned, when it ends).
func TestPruningLearnedChangesNothing(t *testing.T) {
	m, err := matrix.Load(matrix.LoadOptions{Server: []string{"10.20.0.10"}})
	if err != nil {
		t.Fatal(err)
	}
	// The mix spans about four hours (under -short a tenth of that); a
	// lifetime a twelfth of the span, shorter than the default hour,
	// leaves most answers prunable well before the end.
	m.Limits.EPMLifetime = time.Duration(testcaps.Scaled(20)) * time.Minute

	var mix bytes.Buffer
	if err := synth.WriteMix(&mix, testcaps.Scaled(600000), 11); err != nil {
		t.Fatal(err)
	}
	r, all, keptAll := analyzeTicking(t, m, mix.Bytes(), false)
	_, pruned, kept := analyzeTicking(t, m, mix.Bytes(), true)
	if !bytes.Equal(all, pruned) {
		t.Fatalf("mix: pruning changed the report")
	}
	if r.Summary.Flows < testcaps.Scaled(10000) || !bytes.Contains(all, []byte("learned from the endpoint mapper")) {
		t.Fatalf("mix: %d flows, learned endpoints in use: %v: the test shows nothing", r.Summary.Flows, bytes.Contains(all, []byte("learned from")))
	}
	if kept*2 > keptAll {
		t.Fatalf("mix: Tick kept %d of %d learned endpoints", kept, keptAll)
	}

	// An answer, then the connection it named: opened 15 minutes later and
	// kept alive every four minutes for three hours.
	m.Limits.EPMLifetime = 20 * time.Minute
	c := synth.New(5)
	const server, dc, port = "10.20.0.10", "10.20.0.21", 49671
	t0 := synth.Start()
	c.TCP(t0, synth.EP(server, 50000), synth.EP(dc, 135), []synth.Message{
		{FromClient: true, Data: synth.DCERPCBindEPM(1)}, {FromClient: false, Data: synth.DCERPCBindAck(1)},
		{FromClient: true, Data: synth.DCERPCEptMapRequest(2)},
		{FromClient: false, Data: synth.DCERPCEptMapResponse(2, port, [4]byte{10, 20, 0, 21})},
	}, synth.TCPOptions{})
	msgs := []synth.Message{{FromClient: true, Data: synth.DCERPCBindDRSUAPI(1)}, {FromClient: false, Data: synth.DCERPCBindAck(1)}}
	for i := 0; i < 45; i++ {
		msgs = append(msgs, synth.Message{FromClient: i%2 == 0, Data: []byte{0, 0, 0, 0}, Delay: 4 * time.Minute})
	}
	c.TCP(t0.Add(15*time.Minute), synth.EP(server, 50001), synth.EP(dc, port), msgs, synth.TCPOptions{})
	var long bytes.Buffer
	if err := c.Write(&long, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	r, all, _ = analyzeTicking(t, m, long.Bytes(), false)
	_, pruned, _ = analyzeTicking(t, m, long.Bytes(), true)
	if !bytes.Equal(all, pruned) {
		t.Fatalf("long-lived connection: pruning changed the report")
	}
	learned := false
	for _, f := range r.Flows.All() {
		for _, n := range f.Notes {
			learned = learned || strings.HasPrefix(n, "learned: port 49671")
		}
	}
	if !learned {
		t.Fatalf("the long-lived connection was not attributed through the learned endpoint: the test shows nothing")
	}
}
