package classifier

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/report"
)

// TestAutoHoldsABoundedNumberOfFlows: with --server auto and no sign of a
// server, the analyzer holds at most decideAfter finished flows, lets the
// rest go counted as not judged, and still reports every flow it read.
func TestAutoHoldsABoundedNumberOfFlows(t *testing.T) {
	if testing.Short() {
		t.Skip("a quarter-million flows")
	}
	const n = decideAfter*2 + 5000
	c := synth.New(1)
	t0 := synth.Start()
	for i := 0; i < n; i++ {
		src := netip.AddrFrom4([4]byte{198, 51, byte(i >> 16), byte(i >> 8)}).String()
		c.UDP(t0.Add(time.Duration(i)*time.Microsecond), synth.EP(src, uint16(1024+i%60000)), synth.EP("203.0.113.9", uint16(20000+i%1000)),
			[]synth.Message{{FromClient: true, Data: []byte{1}}}, 0)
	}
	var buf bytes.Buffer
	if err := c.Write(&buf, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	m, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := capture.NewSource("spray", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	peak := 0
	r, _, err := analyze(m, []*capture.FileSource{src}, nil, Options{Version: "test"}, func(a *analyzer, tb *flow.Table) {
		end := tb.OnEnd
		tb.OnEnd = func(f *flow.Flow) {
			end(f)
			peak = max(peak, len(a.records))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if peak >= decideAfter {
		t.Errorf("held %d flows at once, the bound is %d", peak, decideAfter)
	}
	if r.Summary.Flows != n || r.Summary.NotJudged != n || !r.NoServer() {
		t.Errorf("%d flows, %d not judged, server %s; want all %d not judged", r.Summary.Flows, r.Summary.NotJudged, r.Server.Source, n)
	}
	if !slices.ContainsFunc(r.Notices, func(no report.Notice) bool {
		return no.Kind == report.NoticeUnjudged && no.Held == decideAfter && no.Flows > 0 && no.Flows <= n
	}) {
		t.Errorf("no notice of flows let go unjudged: %v", r.Notices)
	}
}
