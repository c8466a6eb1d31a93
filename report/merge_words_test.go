package report

import "testing"

func TestFlowsAre(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 flows are"}, {1, "1 flow is"}, {2, "2 flows are"}} {
		if got := flowsAre(tc.n); got != tc.want {
			t.Errorf("flowsAre(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
