package classifier_test

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
)

// The pipelined run must write the sequential run's report byte for byte
// on captures many batches long: a mix with endpoint-mapper conversations
// (learned endpoints, DC peers), a flood past the unexpected-group limit,
// and both merged, with and without the flow list. (The CLI's test does
// the same over every capture in testdata, which are all small.)
func TestPipelinedEqualsSequential(t *testing.T) {
	mix := testcaps.Bytes(t, func(w io.Writer) error { return synth.WriteMix(w, testcaps.Scaled(60000), 7) })
	// Past the 10000 unexpected groups, under -short too, by its UDP and
	// fragments alone: its SYNs fold into the server's scan.
	flood := testcaps.Bytes(t, func(w io.Writer) error { return synth.WriteFlood(w, max(testcaps.Scaled(40000), 18000), 7) })
	m, err := matrix.Load(matrix.LoadOptions{Server: []string{"10.20.0.10"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		files [][]byte
	}{{"mix", [][]byte{mix}}, {"flood", [][]byte{flood}}, {"mix+flood", [][]byte{mix, flood}}} {
		for _, withFlows := range []bool{false, true} {
			var out [2][]byte
			for i, pipeline := range []bool{false, true} {
				srcs := testcaps.Sources(t, c.name, c.files...)
				r, err := classifier.Analyze(m, srcs, nil, classifier.Options{Version: "test", WithFlows: withFlows, Pipeline: pipeline})
				if err != nil {
					t.Fatal(err)
				}
				if r.Summary.Flows < testcaps.Scaled(2000) {
					t.Fatalf("%s: only %d flows", c.name, r.Summary.Flows)
				}
				if out[i], err = json.Marshal(r); err != nil {
					t.Fatal(err)
				}
				if c.name != "mix" && !bytes.Contains(out[i], []byte(`"(others)"`)) {
					t.Fatalf("%s: no unexpected group folded into (others)", c.name)
				}
			}
			if !bytes.Equal(out[0], out[1]) {
				t.Errorf("%s (flows listed: %v): the pipelined report differs from the sequential one", c.name, withFlows)
			}
		}
	}
}
