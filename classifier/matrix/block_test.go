package matrix

import (
	"encoding/json"
	"testing"
)

// TestBlockReasonText: each reason reads back as itself, and a word that
// is no reason is an error.
func TestBlockReasonText(t *testing.T) {
	for _, c := range []struct {
		b    BlockReason
		text string
	}{{NoAnswer, `"no-answer"`}, {Refused, `"refused"`}, {Unreachable, `"unreachable"`}, {NoFailure, `""`}} {
		js, err := json.Marshal(c.b)
		if err != nil || string(js) != c.text {
			t.Errorf("%v written %s, %v; want %s", c.b, js, err, c.text)
		}
		var back BlockReason
		if err := json.Unmarshal(js, &back); err != nil || back != c.b {
			t.Errorf("%s read back %v, %v", js, back, err)
		}
	}
	var b BlockReason
	if err := json.Unmarshal([]byte(`"dropped"`), &b); err == nil {
		t.Error("dropped read back")
	}
}

func TestLearnModeText(t *testing.T) {
	var l LearnMode
	if err := l.UnmarshalText([]byte("epm")); err != nil || l != LearnEPM || l.String() != "epm" {
		t.Errorf("epm read as %v, %v", l, err)
	}
	if err := l.UnmarshalText(nil); err != nil || l != LearnNone {
		t.Errorf("no learn: read as %v, %v", l, err)
	}
	if err := l.UnmarshalText([]byte("dns")); err == nil {
		t.Error("dns read back")
	}
}
