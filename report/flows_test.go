package report

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/internal/spill"
)

// TestFlowOrder: a report lists its flows by start time as a time
// ("09:00:00.0001Z" after "09:00:00Z", which sorts before it as text),
// flows that start together by their ends, and flows equal in both in
// the order they were added, whether the list spilled to disk or not.
func TestFlowOrder(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339Nano) }
	in := []Flow{
		{First: at(100 * time.Microsecond), Initiator: "10.0.0.1:1", Reason: "late"},
		{First: at(0), Initiator: "10.0.0.2:1", Reason: "b"},
		{First: at(0), Initiator: "10.0.0.1:1", Reason: "a1"},
		{First: at(0), Initiator: "10.0.0.1:1", Reason: "a2"},
	}
	want := "a1 a2 b late"
	for _, run := range []int{0, 1, 3} {
		l := spill.New[Flow](run)
		for _, f := range in {
			k, err := f.SortKey()
			if err != nil {
				t.Fatal(err)
			}
			l.Add(f, k)
		}
		var got []string
		for _, f := range l.All() {
			got = append(got, f.Reason)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("runs of %d: %v, want %s", run, got, want)
		}
		l.Close()
	}
}

// TestFlowsBadStart: a report whose flow has a start that is not a time
// is an error that names the flow and its key.
func TestFlowsBadStart(t *testing.T) {
	doc := fmt.Sprintf(`{"schema":%q,"flows":[{"first":"2026-03-02T09:00:00Z"},{"first":"yesterday"}]}`, Schema)
	_, err := Parse("r.json", []byte(doc))
	if err == nil || !strings.Contains(err.Error(), `flows[1]: first: "yesterday"`) {
		t.Errorf("bad start: %v", err)
	}
}
