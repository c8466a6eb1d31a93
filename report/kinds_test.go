package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/classifier/matrix"
)

// TestReadBackFlowVerdictAndSuggestionKind: a flow's verdict and a
// suggestion's kind are words of the schema; a report read back with
// another word is refused at its key, and every word the writer uses
// reads back as itself.
func TestReadBackFlowVerdictAndSuggestionKind(t *testing.T) {
	const flow = `"flows":[{"transport":"tcp","first":"2026-01-02T03:04:05Z","verdict":%q}]}`
	const sugg = `"suggestions":[{"kind":%q,"syntax":"nft","note":""}]}`
	cases := []struct {
		doc  string
		word string
		path string // "" when the word is one of the schema's
	}{
		{flow, "allowed", ""},
		{flow, "not-judged", ""},
		{flow, "unconfirmed", ""},
		{flow, "bogus", "flows[0].verdict"},
		{flow, "Allowed", "flows[0].verdict"},
		{flow, "unknown", "flows[0].verdict"}, // String's word for no verdict, never written
		{sugg, "blocked", ""},
		{sugg, "mismatch", ""},
		{sugg, "unexpected", ""},
		{sugg, "missing", "suggestions[0].kind"}, // a finding kind, but no suggestion is made for it
		{sugg, "", "suggestions[0].kind"},
	}
	for _, c := range cases {
		in := readbackHead + strings.Replace(c.doc, "%q", `"`+c.word+`"`, 1)
		r, err := Parse("r.json", []byte(in))
		if c.path != "" {
			if err == nil || !strings.Contains(err.Error(), c.path+": ") || !strings.Contains(err.Error(), `"`+c.word+`"`) {
				t.Errorf("%s: %v, want %q refused at %s", in, err, c.word, c.path)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		var got string
		if r.Flows != nil {
			got = r.Flows.All()[0].Verdict.String()
			r.Flows.Close()
		} else {
			got = r.Suggestions[0].Kind.String()
		}
		if got != c.word {
			t.Errorf("%s: read as %q", in, got)
		}
	}
}

// TestKindWordsRoundTrip: each constant writes the word the report has
// always carried, and reads back as itself.
func TestKindWordsRoundTrip(t *testing.T) {
	verdicts := map[matrix.Verdict]string{matrix.Allowed: "allowed", matrix.Blocked: "blocked", matrix.Mismatch: "mismatch",
		matrix.Unexpected: "unexpected", matrix.Ignored: "ignored", matrix.NotJudged: "not-judged", matrix.Unconfirmed: "unconfirmed"}
	for v, word := range verdicts {
		js, err := json.Marshal(Flow{Verdict: v})
		if err != nil || !strings.Contains(string(js), `"verdict":"`+word+`"`) {
			t.Errorf("%d: %s %v, want verdict %q", v, js, err, word)
		}
		var back Flow
		if err := json.Unmarshal(js, &back); err != nil || back.Verdict != v {
			t.Errorf("%s read back as %d (%v)", js, back.Verdict, err)
		}
	}
	kinds := map[SuggestionKind]string{SuggestBlocked: "blocked", SuggestMismatch: "mismatch", SuggestUnexpected: "unexpected"}
	for k, word := range kinds {
		js, err := json.Marshal(Suggestion{Kind: k})
		if err != nil || !strings.HasPrefix(string(js), `{"kind":"`+word+`"`) {
			t.Errorf("%d: %s %v, want kind %q", k, js, err, word)
		}
		var back Suggestion
		if err := json.Unmarshal(js, &back); err != nil || back.Kind != k {
			t.Errorf("%s read back as %d (%v)", js, back.Kind, err)
		}
	}
	// No kind is no suggestion: writing one is a bug, not a report.
	if js, err := json.Marshal(Suggestion{}); err == nil {
		t.Errorf("a suggestion of no kind was written: %s", js)
	}
	if _, err := json.Marshal(Flow{Verdict: matrix.Unconfirmed + 1}); err == nil {
		t.Error("a verdict past the last was written")
	}
}
