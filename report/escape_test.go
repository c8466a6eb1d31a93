package report

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/flowverify/flowverify/classifier/matrix"
)

// hostileText holds every kind of character that a viewer, a terminal or
// a YAML parser acts on, each followed by "INJ" so that a test can tell a
// forged line: NEL, the line and paragraph separators, LF, CR, VT, FF, an
// escape sequence, a bidirectional override, zero-width and invisible
// characters, NUL, DEL, a C1 control, a tag character, invalid UTF-8 and
// Markdown's cell separator.
const hostileText = "day\u0085INJ\u2028INJ\u2029INJ\nINJ\rINJ\vINJ\fINJ\x1b[2JINJ\u202eINJ\u200bINJ\u2060INJ\ufeffINJ\x00INJ\x7fINJ\u009bINJ\U000e0041INJ\xffINJ|INJ"

// rawBreaks are what must never reach a text or Markdown report from
// input: each would start a line of its own or hide what follows.
var rawBreaks = []string{"\u0085", "\u2028", "\u2029", "\r", "\v", "\f", "\x1b", "\u202e", "\u200b", "\u2060", "\ufeff", "\x00", "\x7f", "\u009b", "\U000e0041"}

func TestPrintableEscapesEverySeparator(t *testing.T) {
	for in, want := range map[string]string{
		"a\u2028b":       `a\u2028b`,
		"a\u2029b":       `a\u2029b`,
		"a\u0085b":       `a\x85b`,
		"a\nb\rc\td":     `a\x0ab\x0dc\x09d`,
		"\x1b[31m":       `\x1b[31m`,
		"a\u202eb":       `a\u202eb`,
		"a\u00adb":       `a\xadb`,
		"\U000e0041":     `\U000e0041`,
		"a\xffb":         `a\xffb`,
		"dc1 → 10.0.0.1": "dc1 → 10.0.0.1",
		"✅ conforms":     "✅ conforms",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// fillStrings sets every plain string field, and every element of a
// []string, reachable from v to s: whatever field a report takes from
// input, the test has put hostile text in it.
func fillStrings(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			fillStrings(v.Elem(), s)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillStrings(v.Field(i), s)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			fillStrings(v.Index(i), s)
		}
	case reflect.String:
		if v.Type() == reflect.TypeFor[string]() {
			v.SetString(s)
		}
	}
}

func hostileReport(t *testing.T) *Report {
	t.Helper()
	one := 1
	r := &Report{
		Inputs:      []Input{{Warnings: []string{""}}},
		Server:      Server{Source: "flag", Addresses: []string{""}, Evidence: []string{""}},
		Hosts:       []Host{{Addresses: []string{""}}},
		Rules:       []Rule{{Status: matrix.StatusBlocked, Flows: 1, Peers: []Peer{{Addresses: []string{""}, Status: matrix.StatusBlocked}}, Missing: []string{""}, Evidence: []string{""}}, {Status: matrix.StatusOK, Peers: []Peer{{Status: matrix.StatusOK}}}},
		Unexpected:  []Unexpected{{Flows: 1}, {Flows: 1, ICMPType: &one, ICMPCode: &one}},
		Blocked:     []Blocked{{Attempts: 1}},
		Warnings:    []string{""},
		Notes:       []string{""},
		Suggestions: []Suggestion{{Commands: []string{""}}},
		Summary:     Summary{Verdict: matrix.OutcomeFindings, Findings: map[matrix.Finding]int{matrix.FindingBlocked: 1}},
	}
	fillStrings(reflect.ValueOf(r), hostileText)
	r.Rules[0].Protocols = map[string]int{hostileText: 1}
	r.Flows = &FlowList{}
	f := Flow{ProtocolMeta: map[string]string{hostileText: hostileText}, Notes: []string{""}}
	fillStrings(reflect.ValueOf(&f), hostileText)
	r.Flows.Add(f, 0)
	t.Cleanup(func() { r.Flows.Close() })
	return r
}

// TestTextAndMarkdownEscapeInput: with hostile text in every string a
// report holds, neither the text nor the Markdown report carries a raw
// line or paragraph separator, control or format character, and no line
// starts with what followed one.
func TestTextAndMarkdownEscapeInput(t *testing.T) {
	for _, format := range []string{"text", "markdown"} {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, hostileReport(t), format); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if !strings.Contains(out, "INJ") {
				t.Fatalf("the hostile text did not reach the report:\n%s", out)
			}
			if !utf8.ValidString(out) {
				t.Errorf("invalid UTF-8 in the %s report", format)
			}
			for _, c := range rawBreaks {
				if strings.Contains(out, c) {
					t.Errorf("raw %q in the %s report", c, format)
				}
			}
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(strings.TrimLeft(line, " "), "INJ") {
					t.Errorf("a line forged by input: %q", line)
				}
			}
			if format == "markdown" && strings.Contains(strings.ReplaceAll(out, `\|`, ""), "|INJ") {
				t.Errorf("an unescaped '|' from input splits a table cell")
			}
		})
	}
}
