package report

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
)

// golden is a real report: the all-good scenario's, as analyze writes it.
func golden(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("../testdata/golden/all-good.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// edit changes a decoded report and encodes it again.
func edit(t *testing.T, data []byte, fn func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func firstRule(m map[string]any) map[string]any { return rule(m, 0) }

func rule(m map[string]any, i int) map[string]any { return m["rules"].([]any)[i].(map[string]any) }

func TestParseChecksTheSchema(t *testing.T) {
	data := golden(t)
	if _, err := Parse("good.json", data); err != nil {
		t.Fatalf("a real report is refused: %v", err)
	}
	for _, c := range []struct {
		name, want string
		fn         func(m map[string]any)
	}{
		{"unknown status", "rules[0].status", func(m map[string]any) { firstRule(m)["status"] = "bogus-status" }},
		{"negative flows", "rules[0].flows", func(m map[string]any) { firstRule(m)["flows"] = -3 }},
		{"missing id", "rules[0].id", func(m map[string]any) { firstRule(m)["id"] = "" }},
		{"duplicate id", "rules[1].id", func(m map[string]any) {
			rs := m["rules"].([]any)
			rs[1].(map[string]any)["id"] = rs[0].(map[string]any)["id"]
		}},
		{"negative summary", "summary.flows", func(m map[string]any) { m["summary"].(map[string]any)["flows"] = -1 }},
		{"other schema", "schema", func(m map[string]any) { m["schema"] = "flowverify/report/v0" }},
		{"counter past int64", "not a flowverify JSON report: rules[0].allowed: number 100000000000000000000 given; want a whole number",
			func(m map[string]any) { firstRule(m)["allowed"] = 1e20 }},
		// A value of the wrong type names its whole path, not the top key.
		{"status of the wrong type", "rules[3].status: number given; want a string", func(m map[string]any) { rule(m, 3)["status"] = 5 }},
		{"count as text", "rules[2].flows: string given; want a whole number", func(m map[string]any) { rule(m, 2)["flows"] = "many" }},
		{"peer's count as text", "rules[1].peers[0].flows: string given; want a whole number",
			func(m map[string]any) { rule(m, 1)["peers"] = []any{map[string]any{"host": "dc1", "flows": "x"}} }},
		{"summary count as text", "summary.flows: string given; want a whole number", func(m map[string]any) { m["summary"].(map[string]any)["flows"] = "x" }},
		{"rules not a list", "rules: string given; want a list", func(m map[string]any) { m["rules"] = "x" }},
		{"blocked entry not an object", "blocked[0]: string given; want an object", func(m map[string]any) { m["blocked"] = []any{"x"} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("edited.json", edit(t, data, c.fn))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "edited.json") {
				t.Errorf("error %v: want one naming %q and the file", err, c.want)
			}
		})
	}
}

func TestRuleThatDisappearsIsARegression(t *testing.T) {
	data := golden(t)
	base, err := Parse("base.json", data)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := Parse("cur.json", edit(t, data, func(m map[string]any) { m["rules"] = m["rules"].([]any)[1:] }))
	if err != nil {
		t.Fatal(err)
	}
	d := Compare(base, cur)
	if !d.Regression || !strings.Contains(strings.Join(d.Reasons, "\n"), "to absent") {
		t.Errorf("a removed rule: regression %v, reasons %v", d.Regression, d.Reasons)
	}
	if d := Compare(base, base); d.Regression {
		t.Errorf("a report against itself regresses: %v", d.Reasons)
	}
}

func TestMergeSaturates(t *testing.T) {
	data := edit(t, golden(t), func(m map[string]any) {
		r := firstRule(m)
		r["allowed"], r["flows"] = math.MaxInt64, math.MaxInt64
	})
	r, err := Parse("big.json", data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Merge([]*Report{r, r}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Rules[0]; got.Allowed != math.MaxInt64 || got.Flows != math.MaxInt64 || got.Status != r.Rules[0].Status {
		t.Errorf("merged allowed %d flows %d status %s, want the maximum and %s", got.Allowed, got.Flows, got.Status, r.Rules[0].Status)
	}
}

// FuzzParseReport feeds diff's and merge's reader whatever JSON it is
// given: a report it accepts must diff against itself without a
// regression, and merge with itself into a report that passes the check.
func FuzzParseReport(f *testing.F) {
	f.Add(golden(f))
	f.Add([]byte(`{"schema":"flowverify/report/v1","rules":[{"id":"x","status":"ok","allowed":9223372036854775807}]}`))
	f.Add([]byte(`{"schema":"flowverify/report/v1","flows":[{"first":"2026-03-02T09:00:01Z","initiator":"a"},{"first":"2026-03-02T09:00:00.5Z"}],"rules":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse("fuzz.json", data)
		if err != nil {
			return
		}
		defer r.Flows.Close()
		if d := Compare(r, r); d.Regression {
			t.Fatalf("regression against itself: %v", d.Reasons)
		}
		m, err := Merge([]*Report{r, r}, true)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Flows.Close()
		if m.Flows.Len() != 2*r.Flows.Len() {
			t.Fatalf("merged %d flows of twice %d", m.Flows.Len(), r.Flows.Len())
		}
		var buf bytes.Buffer
		if err := writeJSON(&buf, m); err != nil {
			t.Fatal(err)
		}
		if _, err := Parse("merged.json", buf.Bytes()); err != nil {
			t.Fatalf("the merge of an accepted report is refused: %v", err)
		}
		readsBackAsWritten(t, r)
	})
}

// readsBackAsWritten checks that an accepted report, written again, reads
// back into the same report (a value the check lets through but the
// writer cannot say shows here), and that the same text with a key given
// twice is refused, at the top and inside.
func readsBackAsWritten(t *testing.T, r *Report) {
	t.Helper()
	var once, twice bytes.Buffer
	if err := writeJSON(&once, r); err != nil {
		t.Fatal(err)
	}
	r2, err := Parse("again.json", once.Bytes())
	if err != nil {
		t.Fatalf("an accepted report, written again, is refused: %v", err)
	}
	defer r2.Flows.Close()
	if err := writeJSON(&twice, r2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(once.Bytes(), twice.Bytes()) {
		t.Fatalf("read back differently:\n%s\n%s", once.Bytes(), twice.Bytes())
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, once.Bytes()); err != nil {
		t.Fatal(err)
	}
	text := compact.String()
	dups := []string{`{"schema":"x",` + text[1:]}
	if i := strings.Index(text, `"summary":{`); i >= 0 {
		at := i + len(`"summary":{`)
		dups = append(dups, text[:at]+`"flows":0,`+text[at:])
	}
	for _, d := range dups {
		if _, err := Parse("dup.json", []byte(d)); err == nil || !strings.Contains(err.Error(), "given twice") {
			t.Fatalf("a key given twice: %v", err)
		}
	}
}
