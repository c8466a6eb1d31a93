package report

import (
	"encoding/json"
	"testing"
)

// TestEventTypeText: an event's type is its name in the stream, and a
// stream read back gives the same type; a name that is no type is an
// error.
func TestEventTypeText(t *testing.T) {
	for k := range eventNames[1:] {
		typ := EventType(k + 1)
		js, err := json.Marshal(Event{Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		var back Event
		if err := json.Unmarshal(js, &back); err != nil || back.Type != typ {
			t.Errorf("%s: read back %v, %v", js, back.Type, err)
		}
	}
	if js, _ := json.Marshal(Event{Type: EventDropsRose}); string(js) != `{"time":"","type":"drops_increased"}` {
		t.Errorf("%s", js)
	}
	var e Event
	if err := json.Unmarshal([]byte(`{"type":"rule_exploded"}`), &e); err == nil {
		t.Error("an unknown type read back")
	}
}
