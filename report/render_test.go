package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"reflect"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/classifier/matrix"
)

// smallReport is a judged report built by hand: a rule of each status,
// a blocked attempt, an unexpected group and a warning, so that each
// renderer's sections all have something to show.
func smallReport() *Report {
	return &Report{
		Schema: Schema,
		Tool:   Tool{Name: "flowverify", Version: "test"},
		Matrix: MatrixInfo{Name: "tm", Profile: "tm-4"},
		Inputs: []Input{{Name: "day.pcap", Format: "pcap", LinkTypes: []string{"ethernet"}, Packets: 40}},
		Server: Server{Addresses: []string{"10.0.0.10"}, Source: matrix.ServerFromFlag},
		Hosts:  []Host{{Name: "dc1", Addresses: []string{"10.0.0.21", "2001:db8::21"}}},
		Window: Window{Start: "2025-01-01T00:00:00Z", End: "2025-01-01T01:00:00Z"},
		Rules: []Rule{
			{ID: "ldap-out", Description: "LDAP to the domain controllers", Direction: matrix.Outbound, Transport: "tcp", Ports: "389",
				Required: true, Status: matrix.StatusOK, Flows: 3, Allowed: 3, Protocols: map[string]int{"ldap": 2, "tls": 1},
				Peers: []Peer{{Host: "dc1", Addresses: []string{"10.0.0.21", "2001:db8::21"}, Status: matrix.StatusOK, Flows: 3, Allowed: 3}}},
			{ID: "adws-out", Description: "AD web services", Direction: matrix.Outbound, Transport: "tcp", Ports: "9389",
				Required: true, Status: matrix.StatusBlocked, Reason: "no answer to all 2 attempts", Flows: 2, BlockedN: 2,
				Peers: []Peer{{Address: "10.0.0.22", Status: matrix.StatusBlocked, Flows: 2, Blocked: 2}}},
			{ID: "kerberos-out", Description: "Kerberos", Direction: matrix.Outbound, Transport: "udp", Ports: "88",
				Required: true, Status: matrix.StatusMissing, Reason: "never tried", Missing: []string{"dc1"}},
			{ID: "syslog-in", Description: "Syslog from the agents", Direction: matrix.Inbound, Transport: "udp", Ports: "514",
				Required: true, Status: matrix.StatusUnconfirmed, Reason: "no reply from the server", Flows: 1, Unconfirmed: 1,
				Peers: []Peer{{Address: "10.0.1.5", Status: matrix.StatusUnconfirmed, Flows: 1, Unconfirmed: 1}}},
			{ID: "console-8080", Description: "The web console", Direction: matrix.Inbound, Transport: "tcp", Ports: "8080",
				Status: matrix.StatusNotSeen},
		},
		Blocked: []Blocked{{Rule: "adws-out", Initiator: "10.0.0.10:50000", Responder: "10.0.0.22:9389", Reason: matrix.NoAnswer,
			Attempts: 2, First: "2025-01-01T00:10:00Z", Last: "2025-01-01T00:10:03Z"}},
		Unexpected: []Unexpected{{Transport: "tcp", Direction: matrix.Inbound, Port: 3389, Peer: "10.0.5.9", Protocol: "rdp", Flows: 4,
			Failed: 1, First: "2025-01-01T00:20:00Z", Last: "2025-01-01T00:30:00Z", Hint: "remote desktop"}},
		Summary: Summary{Verdict: matrix.OutcomeFindings, Findings: map[matrix.Finding]int{matrix.FindingMissing: 1, matrix.FindingBlocked: 1, matrix.FindingUnexpected: 1},
			Packets: 40, Flows: 10, Allowed: 3, Unconfirmed: 1},
		Warnings: []string{"12 packets could not be decoded"},
	}
}

// render writes r in format, failing the test on an error.
func render(t *testing.T, r *Report, format string) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r, format); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.String()
}

// junitDoc is what the tests read back of a JUnit report.
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Props    []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
		SystemOut string `xml:"system-out"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, out string) junitDoc {
	t.Helper()
	var d junitDoc
	if err := xml.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("JUnit is not XML: %v\n%s", err, out)
	}
	if len(d.Suites) != 1 {
		t.Fatalf("%d test suites, want 1", len(d.Suites))
	}
	return d
}

func parseCSV(t *testing.T, out string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, out)
	}
	return rows
}

// TestJUnitCases: each rule is a test case, failing for a finding, an
// error for unconfirmed, skipped for not-seen (with the reason when the
// rule is required), passing otherwise with its peers; unexpected traffic
// is one more case; the counts in the attributes add up.
func TestJUnitCases(t *testing.T) {
	r := smallReport()
	r.Rules = append(r.Rules, Rule{ID: "amqp-in", Direction: matrix.Inbound, Transport: "tcp", Ports: "5672", Required: true,
		Status: matrix.StatusNotSeen, Reason: "not tried yet, 2s of a 1m0s window"})
	d := parseJUnit(t, render(t, r, FormatJUnit))
	s := d.Suites[0]
	type want struct{ kind, message string }
	wants := map[string]want{
		"ldap-out":              {"pass", "3 flows, 1 peer: reached: dc1 (10.0.0.21, 2001:db8::21)"},
		"adws-out":              {"failure", "blocked: no answer to all 2 attempts"},
		"kerberos-out":          {"failure", "missing: never tried"},
		"syslog-in":             {"error", "unconfirmed: no reply from the server"},
		"console-8080":          {"skipped", "optional connection not seen"},
		"amqp-in":               {"skipped", "not tried yet, 2s of a 1m0s window"},
		"no unexpected traffic": {"failure", "1 unexpected traffic group"},
	}
	if len(s.Cases) != len(wants) {
		t.Fatalf("%d test cases, want %d", len(s.Cases), len(wants))
	}
	for _, c := range s.Cases {
		w, ok := wants[c.Name]
		kind, msg := "pass", c.SystemOut
		switch {
		case c.Failure != nil:
			kind, msg = "failure", c.Failure.Message
		case c.Error != nil:
			kind, msg = "error", c.Error.Message
		case c.Skipped != nil:
			kind, msg = "skipped", c.Skipped.Message
		}
		if !ok || kind != w.kind || msg != w.message {
			t.Errorf("case %q: %s %q, want %s %q", c.Name, kind, msg, w.kind, w.message)
		}
	}
	if c := s.Cases[1]; c.Failure == nil || !strings.Contains(c.Failure.Text, "outbound TCP 9389 AD web services") ||
		!strings.Contains(c.Failure.Text, "peers: blocked: 10.0.0.22") {
		t.Errorf("the blocked rule's failure text does not say which connection and peer: %+v", c.Failure)
	}
	if s.Tests != 7 || s.Failures != 3 || s.Errors != 1 || s.Skipped != 2 || d.Tests != 7 || d.Failures != 3 || d.Errors != 1 {
		t.Errorf("counts: suite %d tests %d failures %d errors %d skipped, document %d/%d/%d; want 7/3/1/2 and 7/3/1",
			s.Tests, s.Failures, s.Errors, s.Skipped, d.Tests, d.Failures, d.Errors)
	}
	props := map[string]string{}
	for _, p := range s.Props {
		props[p.Name] = p.Value
	}
	if props["verdict"] != "findings" || props["server"] != "10.0.0.10" || props["profile"] != "tm-4" {
		t.Errorf("properties %v", props)
	}
	if s.SystemOut != "warnings:\n12 packets could not be decoded" {
		t.Errorf("suite system-out %q, want the warnings", s.SystemOut)
	}
}

// TestRulesCSV: a header and one row per rule, peers as name[addresses]=
// status, the missing peers with the addresses the report knows, and the
// protocols in a stable order.
func TestRulesCSV(t *testing.T) {
	rows := parseCSV(t, render(t, smallReport(), FormatCSV))
	if len(rows) != 6 || strings.Join(rows[0], ",") !=
		"rule,direction,transport,ports,role,required,status,reason,flows,allowed,blocked,mismatch,peers,missing_peers,packets,bytes,protocols" {
		t.Fatalf("%d rows, header %q", len(rows), rows[0])
	}
	byID := map[string][]string{}
	for _, row := range rows[1:] {
		byID[row[0]] = row
	}
	for id, want := range map[string]map[int]string{
		"ldap-out":     {6: "ok", 8: "3", 9: "3", 12: "dc1[10.0.0.21,2001:db8::21]=ok", 16: "ldap=2 tls=1"},
		"adws-out":     {6: "blocked", 7: "no answer to all 2 attempts", 10: "2", 12: "10.0.0.22=blocked"},
		"kerberos-out": {6: "missing", 12: "", 13: "dc1[10.0.0.21,2001:db8::21]"},
		"console-8080": {5: "false", 6: "not-seen", 16: ""},
	} {
		for col, v := range want {
			if got := byID[id]; len(got) != 17 || got[col] != v {
				t.Errorf("%s column %s: %q, want %q (row %q)", id, rows[0][col], got[col], v, got)
			}
		}
	}
}

// twoFlows is a flow list of two flows added out of time order.
func twoFlows(t *testing.T) *FlowList {
	l := NewFlowList()
	for _, f := range []Flow{
		{Transport: "tcp", Initiator: "10.0.0.10:50001", Responder: "10.0.0.22:9389", Verdict: matrix.Blocked, Rule: "adws-out",
			First: "2025-01-01T00:10:00Z", Last: "2025-01-01T00:10:03Z", Packets: Counts{Initiator: 2}},
		{Transport: "udp", Initiator: "10.0.1.5:40000", Responder: "10.0.0.10:514", Verdict: matrix.Allowed, Rule: "syslog-in",
			First: "2025-01-01T00:05:00Z", Last: "2025-01-01T00:05:00Z", Packets: Counts{Initiator: 1}, Bytes: Counts{Initiator: 80}},
	} {
		key, err := f.SortKey()
		if err != nil {
			t.Fatal(err)
		}
		l.Add(f, key)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestFlowFormats: with --flows, flows CSV and JSONL list each flow once,
// in time order; JSON streams them into the document as the encoder
// would have written the whole; text lists them in a table.
func TestFlowFormats(t *testing.T) {
	r := smallReport()
	r.Flows = twoFlows(t)

	rows := parseCSV(t, render(t, r, FormatFlowsCSV))
	if len(rows) != 3 || rows[0][0] != "transport" || rows[1][1] != "10.0.1.5:40000" || rows[2][1] != "10.0.0.10:50001" ||
		rows[1][15] != "80" || rows[2][13] != "2" {
		t.Errorf("flows CSV:\n%q", rows)
	}

	lines := strings.Split(strings.TrimSuffix(render(t, r, FormatJSONL), "\n"), "\n")
	var firsts []string
	for _, l := range lines {
		var f Flow
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatalf("JSONL line %q: %v", l, err)
		}
		firsts = append(firsts, f.First)
	}
	if strings.Join(firsts, " ") != "2025-01-01T00:05:00Z 2025-01-01T00:10:00Z" {
		t.Errorf("JSONL flows %q, want both in time order", firsts)
	}

	var streamed, whole any
	if err := json.Unmarshal([]byte(render(t, r, FormatJSON)), &streamed); err != nil {
		t.Fatalf("JSON with flows: %v", err)
	}
	all, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(all, &whole)
	if !reflect.DeepEqual(streamed, whole) {
		t.Errorf("the streamed JSON differs from the report marshalled whole")
	}

	text := render(t, r, FormatText)
	if !strings.Contains(text, "Flows (2; times UTC)") || strings.Index(text, "10.0.1.5:40000") > strings.Index(text, "10.0.0.10:50001") {
		t.Errorf("text flow list:\n%s", text)
	}
}

// TestJSONLWithoutFlows: one line per rule and a closing summary line.
func TestJSONLWithoutFlows(t *testing.T) {
	for _, c := range []struct {
		name  string
		rules []Rule
	}{{"rules", smallReport().Rules}, {"no rules", nil}} {
		r := smallReport()
		r.Rules = c.rules
		var types []string
		for _, l := range strings.Split(strings.TrimSuffix(render(t, r, FormatJSONL), "\n"), "\n") {
			var v struct {
				Type, ID string
				Verdict  matrix.Outcome
			}
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatalf("%s: line %q: %v", c.name, l, err)
			}
			types = append(types, v.Type+":"+v.ID+string(v.Verdict))
		}
		want := []string{}
		for _, rule := range c.rules {
			want = append(want, "rule:"+rule.ID)
		}
		want = append(want, "summary:findings")
		if !reflect.DeepEqual(types, want) {
			t.Errorf("%s: lines %q, want %q", c.name, types, want)
		}
	}
}

// TestEmptySections: with nothing blocked, unexpected or warned about,
// every format says so (or leaves the section out), rather than print an
// empty table.
func TestEmptySections(t *testing.T) {
	r := smallReport()
	r.Rules = r.Rules[:1]
	r.Blocked, r.Unexpected, r.Warnings = nil, nil, nil
	r.Summary.Verdict, r.Summary.Findings = matrix.OutcomeConforms, map[matrix.Finding]int{}
	for _, c := range []struct {
		format        string
		want, notWant []string
	}{
		{FormatText, []string{"\nBlocked attempts (0)\n\nUnexpected traffic (0 groups)\n\nSummary: CONFORMS — 0 missing, 0 blocked, 0 mismatch, 0 partial, 0 unexpected\n"},
			[]string{"Warnings", "INITIATOR", "DIRECTION", "Flows ("}},
		{FormatMarkdown, []string{"### flowverify: ✅ conforms", "**Findings:** 0 missing, 0 blocked, 0 mismatch, 0 partial, 0 unexpected."},
			[]string{"**Blocked attempts**", "**Unexpected traffic**", "> ⚠"}},
		{FormatHTML, []string{"<h2>Blocked attempts (0)</h2>\n<p class=\"ok\">✓ none</p>", "<h2>Unexpected traffic (0 groups)</h2>\n<p class=\"ok\">✓ none</p>",
			"Unexpected traffic (0 groups)</text>", "class=\"ok\">✓ none</text>"},
			[]string{`<p class="warn">`, "<h2>Timeline</h2>"}},
		{FormatJUnit, []string{`<testcase name="no unexpected traffic" classname="flowverify.unexpected"></testcase>`}, []string{"<failure", "system-out>warnings"}},
	} {
		out := render(t, r, c.format)
		for _, s := range c.want {
			if !strings.Contains(out, s) {
				t.Errorf("%s lacks %q:\n%s", c.format, s, out)
			}
		}
		for _, s := range c.notWant {
			if strings.Contains(out, s) {
				t.Errorf("%s holds %q:\n%s", c.format, s, out)
			}
		}
	}
	if rows := parseCSV(t, render(t, &Report{}, FormatCSV)); len(rows) != 1 {
		t.Errorf("rules CSV of a report without rules: %d rows, want the header alone", len(rows))
	}
	if rows := parseCSV(t, render(t, r, FormatFlowsCSV)); len(rows) != 1 {
		t.Errorf("flows CSV without --flows: %d rows, want the header alone", len(rows))
	}
}

// TestOutcomesInEveryFormat: each verdict reads as itself in every
// format, a monitor's progress goes with observing, and a report without
// a server says why and lists its candidates.
func TestOutcomesInEveryFormat(t *testing.T) {
	noServer := func(r *Report) {
		r.Server = Server{Source: matrix.ServerNone, Evidence: []string{"no address answered on the matrix's ports"},
			Candidates: []Candidate{{Address: "10.0.0.99", Score: 2, Evidence: []string{"answered tcp/5432", "sent syslog"}}},
			Advice:     "pass the server with --server ADDRESS"}
		r.Summary = Summary{Verdict: matrix.OutcomeNotJudged, Findings: map[matrix.Finding]int{}, Flows: 7, NotJudged: 7}
	}
	verdict := func(o matrix.Outcome) func(*Report) {
		return func(r *Report) { r.Summary.Verdict = o }
	}
	cases := []struct {
		name     string
		edit     func(*Report)
		text     []string
		markdown string
		html     string
	}{
		{"conforms", verdict(matrix.OutcomeConforms), []string{"Summary: CONFORMS — "}, "### flowverify: ✅ conforms",
			`<p class="verdict ok">✓ The traffic conforms to the matrix</p>`},
		{"findings", verdict(matrix.OutcomeFindings), []string{"Summary: FINDINGS — 1 missing, 1 blocked, 0 mismatch, 0 partial, 1 unexpected, 1 unconfirmed rule"},
			"### flowverify: ❌ findings", `<p class="verdict bad">✗ Findings</p>`},
		{"inconclusive", verdict(matrix.OutcomeInconclusive), []string{"Summary: INCONCLUSIVE — "}, "### flowverify: ❔ inconclusive",
			`<p class="verdict warn">? Inconclusive: some rules were tried but never answered</p>`},
		{"observing", func(r *Report) {
			r.Summary.Verdict = matrix.OutcomeObserving
			r.Window.Length, r.Window.Observed = 60, 2.9
		}, []string{"Summary: OBSERVING (2s of 1m0s observed) — "}, "### flowverify: ⏳ observing (2s of 1m0s observed)",
			`<p class="verdict idle">… Observing: less than one full window seen, no finding yet (2s of 1m0s observed)</p>`},
		{"not judged", noServer, []string{
			"Server: not found: no address answered on the matrix's ports\n  Nothing is judged; every flow below is counted as not judged.\n" +
				"  candidate 1: 10.0.0.99, score 2\n    - answered tcp/5432\n    - sent syslog\n  pass the server with --server ADDRESS\n",
			"Summary: NOT-JUDGED — ", "7 flows (7 not judged: no server)"},
			"### flowverify: ❔ not judged", `<p class="verdict idle">– Not judged: no server was known</p>`},
		{"unknown", verdict("sideways"), []string{"Summary: SIDEWAYS — "}, "### flowverify: ❔ sideways", `<p class="verdict idle">sideways</p>`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := smallReport()
			c.edit(r)
			text := render(t, r, FormatText)
			for _, w := range c.text {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
			if r.NoServer() && strings.Contains(text, "  adws-out: ") {
				t.Errorf("text gives rule reasons without a server:\n%s", text)
			}
			if md := render(t, r, FormatMarkdown); !strings.HasPrefix(md, c.markdown+"\n") {
				t.Errorf("markdown starts %.80q, want %q", md, c.markdown)
			}
			if html := render(t, r, FormatHTML); !strings.Contains(html, c.html) {
				t.Errorf("HTML lacks %q", c.html)
			}
			props := map[string]string{}
			for _, p := range parseJUnit(t, render(t, r, FormatJUnit)).Suites[0].Props {
				props[p.Name] = p.Value
			}
			if props["verdict"] != string(r.Summary.Verdict) {
				t.Errorf("JUnit verdict property %q, want %q", props["verdict"], r.Summary.Verdict)
			}
		})
	}
}

// TestLongTextsWrap: a long reason, evidence and warning wrap to the
// text report's width with every word kept in order; a row whose columns
// leave no room (long IPv6 ends) becomes wrapped lines of its own; in
// Markdown a long reason stays in its one table row.
func TestLongTextsWrap(t *testing.T) {
	long := strings.Repeat("the peer never answered the handshake ", 12) + "end."
	r := smallReport()
	r.Rules[1].Reason, r.Rules[1].Evidence = long, []string{long}
	r.Warnings = []string{long}
	r.Blocked[0].Initiator = "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:50000"
	r.Blocked[0].Responder = "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:9389"
	r.Blocked[0].First = "2025-01-01T00:10:00.123456789Z"
	text := render(t, r, FormatText)
	for _, l := range strings.Split(text, "\n") {
		if n := len([]rune(l)); n > textWidth {
			t.Errorf("a line of %d runes, over %d: %q", n, textWidth, l)
		}
	}
	flat := strings.Join(strings.Fields(text), " ")
	if n := strings.Count(flat, long); n != 3 {
		t.Errorf("the long text appears whole %d times in the text report, want 3 (reason, evidence, warning):\n%s", n, text)
	}
	if !strings.Contains(text, "\n  adws-out: the peer never") || !strings.Contains(text, "\n  ! the peer never") {
		t.Errorf("the reason and the warning do not start their paragraphs:\n%s", text)
	}
	md := render(t, r, FormatMarkdown)
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "| `adws-out`") && !strings.HasSuffix(l, long+" |") {
			t.Errorf("markdown row of adws-out does not end with its whole reason: %q", l)
		}
	}
}

// TestMarkdownCutsLongLists: at most 20 blocked attempts and 20
// unexpected groups, then how many more.
func TestMarkdownCutsLongLists(t *testing.T) {
	r := smallReport()
	for len(r.Blocked) < 23 {
		r.Blocked = append(r.Blocked, r.Blocked[0])
	}
	for len(r.Unexpected) < 21 {
		r.Unexpected = append(r.Unexpected, r.Unexpected[0])
	}
	md := render(t, r, FormatMarkdown)
	if n := strings.Count(md, "\n- `adws-out` 10.0.0.10:50000 → 10.0.0.22:9389: no-answer (2 attempts)"); n != 20 {
		t.Errorf("%d blocked attempts listed, want 20", n)
	}
	if n := strings.Count(md, "\n- inbound TCP 3389 with 10.0.5.9 (rdp, 4 flows): remote desktop"); n != 20 {
		t.Errorf("%d unexpected groups listed, want 20", n)
	}
	if !strings.Contains(md, "\n- … and 3 more\n") || !strings.Contains(md, "\n- … and 1 more group\n") {
		t.Errorf("markdown does not say how many more:\n%s", md)
	}
}

// TestMachineFormatsCarryInputExactly: CSV, JUnit, HTML and JSONL stay
// well-formed with hostile text in every string: CSV parses, with no cell
// a formula; JUnit parses as XML, its suite name escaped as in text;
// HTML escapes markup; JSON gives every string back as it was.
func TestMachineFormatsCarryInputExactly(t *testing.T) {
	r := hostileReport(t)
	for _, row := range parseCSV(t, render(t, r, FormatCSV)) {
		if row[7] != "reason" && row[7] != hostileText {
			t.Errorf("rules CSV reason %q, want the hostile text as it was", row[7])
		}
	}
	d := parseJUnit(t, render(t, r, FormatJUnit))
	for _, c := range rawBreaks {
		if strings.Contains(d.Suites[0].Name, c) {
			t.Errorf("raw %q in the JUnit suite name", c)
		}
	}

	formula := smallReport()
	formula.Rules[1].Reason = "=HYPERLINK(\"http://x\")"
	formula.Rules[1].Peers[0].Address = "@SUM(A1)"
	formula.Rules[0].Description = "-2+3"
	formula.Flows = twoFlows(t)
	for _, format := range []string{FormatCSV, FormatFlowsCSV} {
		for _, row := range parseCSV(t, render(t, formula, format)) {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s: a cell a spreadsheet reads as a formula: %q", format, cell)
				}
			}
		}
	}
	if rows := parseCSV(t, render(t, formula, FormatCSV)); rows[2][7] != `'=HYPERLINK("http://x")` || rows[2][12] != "'@SUM(A1)=blocked" {
		t.Errorf("neutralised cells %q and %q, want a leading apostrophe and the rest as it was", rows[2][7], rows[2][12])
	}

	markup := smallReport()
	markup.Rules[0].Description = `<script>alert(1)</script>`
	markup.Inputs[0].Name = `"><img src=x onerror=alert(1)>.pcap`
	html := render(t, markup, FormatHTML)
	if strings.Count(html, "<script>") != 1 || strings.Contains(html, "<img") || !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the HTML report does not escape markup from input")
	}

	r.Flows = nil
	for _, l := range strings.Split(strings.TrimSuffix(render(t, r, FormatJSONL), "\n"), "\n") {
		var v struct {
			Type, Reason string
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("JSONL line %q: %v", l, err)
		}
		if v.Type == "rule" && v.Reason != strings.ToValidUTF8(hostileText, "\ufffd") {
			t.Errorf("JSONL rule reason %q, want the hostile text (invalid UTF-8 replaced)", v.Reason)
		}
	}
}

// TestFormatNames: every known format is written by Write; file
// extensions pick formats; an unknown format is refused, naming them.
func TestFormatNames(t *testing.T) {
	for _, f := range KnownFormats() {
		render(t, smallReport(), f)
	}
	for path, want := range map[string]string{
		"r.html": FormatHTML, "R.HTM": FormatHTML, "r.xml": FormatJUnit, "r.junit.xml": FormatJUnit, "r.csv": FormatCSV,
		"r.flows.csv": FormatFlowsCSV, "r.md": FormatMarkdown, "r.markdown": FormatMarkdown, "r.json": FormatJSON,
		"r.jsonl": FormatJSONL, "r.ndjson": FormatJSONL, "r.txt": FormatText, "r.text": FormatText, "r.pdf": "", "r": "",
	} {
		if got, ok := FormatFromPath(path); got != want || ok != (want != "") {
			t.Errorf("FormatFromPath(%q) = %q, %v; want %q", path, got, ok, want)
		}
	}
	if err := Write(&bytes.Buffer{}, smallReport(), "pdf"); err == nil || !strings.Contains(err.Error(), strings.Join(KnownFormats(), ", ")) {
		t.Errorf("unknown format: %v", err)
	}
	if render(t, smallReport(), "md") != render(t, smallReport(), FormatMarkdown) || render(t, smallReport(), "") != render(t, smallReport(), FormatText) {
		t.Errorf("md and the empty format are not Markdown and text")
	}
}

// TestHTMLTimeline: a row per rule and one for unexpected traffic, a bar
// per non-empty slice, scaled to the fullest slice (18 px), never
// thinner than 2 px, each titled with its count.
func TestHTMLTimeline(t *testing.T) {
	r := smallReport()
	r.Timeline = &Timeline{Buckets: 4, Start: r.Window.Start, End: r.Window.End,
		Rules: map[string][]int{"ldap-out": {9, 0, 1, 0}}, Unexpected: []int{0, 3, 0, 0}}
	html := render(t, r, FormatHTML)
	tl := html[strings.Index(html, "<h2>Timeline</h2>"):]
	tl = tl[:strings.Index(tl, "</section>")]
	for _, want := range []string{
		"(2025-01-01T00:00:00Z – 2025-01-01T01:00:00Z, 4 slices)",
		`<tr><td><code>ldap-out</code></td><td><svg width="480" height="20" role="img" aria-label="flows of ldap-out over time"><g class="ok">` +
			`<rect x="0.0" y="2.0" width="8" height="18.0"><title>9 flows</title></rect>` +
			`<rect x="20.0" y="18.0" width="8" height="2.0"><title>1 flow</title></rect></g>`,
		`aria-label="flows of unexpected over time"><g class="unexpected"><rect x="10.0" y="14.0" width="8" height="6.0"><title>3 flows</title></rect></g>`,
	} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}
	if n := strings.Count(tl, "<tr>"); n != len(r.Rules)+1 {
		t.Errorf("%d timeline rows, want one per rule and one for unexpected traffic", n)
	}
}
