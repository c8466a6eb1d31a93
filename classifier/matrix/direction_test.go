package matrix

import (
	"encoding/json"
	"testing"
)

// TestDirectionText: a direction is its name in a report, the unknown
// one (a flow judged without a server) included, and reads back; a name
// that is no direction is an error.
func TestDirectionText(t *testing.T) {
	for _, d := range directions {
		js, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back Direction
		if err := json.Unmarshal(js, &back); err != nil || back != d {
			t.Errorf("%s: read back %v, %v", js, back, err)
		}
	}
	if js, _ := json.Marshal(struct{ D Direction }{Bidirectional}); string(js) != `{"D":"bidirectional"}` {
		t.Errorf("%s", js)
	}
	var d Direction
	if err := json.Unmarshal([]byte(`"sideways"`), &d); err == nil {
		t.Error("sideways read back")
	}
	if Inbound.Short() != "in" || Bidirectional.Short() != "both" || Transit.Short() != "transit" {
		t.Error("Short")
	}
}
