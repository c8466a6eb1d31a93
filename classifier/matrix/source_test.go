package matrix

import (
	"encoding/json"
	"testing"
)

// TestServerSourceText: every source reads back as itself; the zero one
// is the empty word, and a word that is no source is an error.
func TestServerSourceText(t *testing.T) {
	for k := range serverSourceNames {
		s := ServerSource(k)
		js, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back ServerSource
		if err := json.Unmarshal(js, &back); err != nil || back != s {
			t.Errorf("%s: read back %v, %v", js, back, err)
		}
	}
	if js, _ := json.Marshal(ServerInferred); string(js) != `"auto"` {
		t.Errorf("inferred written %s", js)
	}
	var s ServerSource
	if err := json.Unmarshal([]byte(`"guess"`), &s); err == nil {
		t.Error("guess read back")
	}
}
