package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

func testFlows(n int, seed uint64) []Flow {
	rng := rand.New(rand.NewPCG(seed, 1))
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	out := make([]Flow, n)
	for i := range out {
		// Few distinct times and ends, so that ties are common and the
		// order among them shows whether the sort is stable.
		at := t0.Add(time.Duration(rng.IntN(50)) * 100 * time.Microsecond)
		out[i] = Flow{Transport: "udp", Initiator: fmt.Sprintf("10.0.0.%d:1", rng.IntN(3)), Responder: "10.0.1.1:53",
			First: at.Format(time.RFC3339Nano), Reason: fmt.Sprint(i), ProtocolMeta: map[string]string{"n": fmt.Sprint(i)}}
	}
	return out
}

// TestFlowListSpillsInOrder: whether the flows stay in memory or go to
// sorted runs on disk, they come back as one stable sort by start time
// (numerically: "09:00:00.0001Z" is after "09:00:00Z" although it sorts
// before it as text), and they can be read more than once.
func TestFlowListSpillsInOrder(t *testing.T) {
	flows := testFlows(1000, 7)
	want := slices.Clone(flows)
	slices.SortStableFunc(want, func(a, b Flow) int { return flowCmp(FlowStart(&a), &a, FlowStart(&b), &b) })
	for _, run := range []int{0, 1, 7, 64, 999, 1000} {
		t.Run(fmt.Sprint("run", run), func(t *testing.T) {
			l := &FlowList{runLen: run}
			defer l.Close()
			for _, f := range flows {
				l.Add(f, FlowStart(&f))
			}
			if l.Len() != len(flows) {
				t.Fatalf("Len %d, want %d", l.Len(), len(flows))
			}
			for pass := 0; pass < 2; pass++ {
				if got := l.All(); !reflect.DeepEqual(got, want) {
					t.Fatalf("pass %d: order differs from a stable sort (first %v, want %v)", pass, got[0].Reason, want[0].Reason)
				}
			}
			if run > 0 && run < len(flows) && len(l.runs) == 0 {
				t.Errorf("no run was spilled with runs of %d", run)
			}
		})
	}
	a, b := Flow{First: "2026-03-02T09:00:00.0001Z"}, Flow{First: "2026-03-02T09:00:00Z"}
	if a.First > b.First || flowCmp(FlowStart(&a), &a, FlowStart(&b), &b) <= 0 {
		t.Errorf("%s ordered before %s", a.First, b.First)
	}
}

// TestFlowListJSON: a report's flows round-trip through JSON, and a
// flow with a start that is not a time is an error naming its index.
func TestFlowListJSON(t *testing.T) {
	flows := testFlows(50, 3)
	l := &FlowList{runLen: 8}
	defer l.Close()
	for _, f := range flows {
		l.Add(f, FlowStart(&f))
	}
	js, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var back FlowList
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.All(), l.All()) {
		t.Error("flows differ after a round trip")
	}
	err = json.Unmarshal([]byte(`[{"first":"2026-03-02T09:00:00Z"},{"first":"yesterday"}]`), &FlowList{})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("flows[1].first")) {
		t.Errorf("bad start: %v", err)
	}
}
