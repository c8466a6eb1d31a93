package report

import (
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"github.com/flowverify/flowverify/internal/words"
	"io"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"
)

// JUnit XML: one test suite per input set, one test case per rule (a
// failure for missing, blocked, mismatch and partial, with the reason), and
// one for "no unexpected traffic" listing the groups.

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Name    string       `xml:"name,attr"`
	Tests   int          `xml:"tests,attr"`
	Fails   int          `xml:"failures,attr"`
	Errors  int          `xml:"errors,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string          `xml:"name,attr"`
	Tests     int             `xml:"tests,attr"`
	Failures  int             `xml:"failures,attr"`
	Errors    int             `xml:"errors,attr"`
	Skipped   int             `xml:"skipped,attr"`
	Timestamp string          `xml:"timestamp,attr,omitempty"`
	Props     []junitProperty `xml:"properties>property"`
	Cases     []junitCase     `xml:"testcase"`
	// SystemOut holds the report's warnings: what makes the answer less
	// certain belongs beside the verdicts in CI too.
	SystemOut string `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit renders the report as JUnit XML.
func WriteJUnit(w io.Writer, r *Report) error {
	var names []string
	for _, in := range r.Inputs {
		names = append(names, in.Name)
	}
	// Input names are the user's: escaped as in text, so that a CI page
	// shows no bidi override or line separator from a file name.
	s := junitSuite{Name: Printable("flowverify " + r.Matrix.Name + ": " + strings.Join(names, ", ")), Timestamp: r.Window.Start}
	s.Props = []junitProperty{{"profile", r.Matrix.Profile}, {"server", strings.Join(r.Server.Addresses, ",")}, {"verdict", string(r.Summary.Verdict)}}
	for _, rule := range r.Rules {
		c := junitCase{Name: rule.ID, Classname: "flowverify.rules"}
		switch {
		case rule.Status.Failing():
			reason := rule.Reason
			if reason == "" {
				reason = string(rule.Status)
			}
			c.Failure = &junitFailure{Message: string(rule.Status) + ": " + reason, Type: string(rule.Status),
				Text: fmt.Sprintf("%s %s %s %s: %s\npeers: %s\n%s", rule.Direction, strings.ToUpper(rule.Transport), rule.Ports, rule.Description, reason, r.peerLine(rule, 20), strings.Join(rule.Evidence, "\n"))}
			s.Failures++
		case rule.Status == matrix.StatusUnconfirmed:
			// Not a finding, and not a pass either: the evidence to
			// decide is missing, which is what JUnit's error means.
			c.Error = &junitFailure{Message: "unconfirmed: " + rule.Reason, Type: string(rule.Status),
				Text: fmt.Sprintf("%s %s %s %s: %s\npeers: %s\n%s", rule.Direction, strings.ToUpper(rule.Transport), rule.Ports, rule.Description, rule.Reason, r.peerLine(rule, 20), strings.Join(rule.Evidence, "\n"))}
			s.Errors++
		case rule.Status == matrix.StatusNotSeen:
			msg := "optional connection not seen"
			if r.NoServer() || rule.Required {
				// Not judged, or a monitor short of its window: the
				// reason says which.
				msg = rule.Reason
			}
			c.Skipped = &junitSkipped{Message: msg}
			s.Skipped++
		default:
			c.SystemOut = fmt.Sprintf("%s, %s: %s", words.Count(rule.Flows, "flow"), words.Count(len(rule.Peers), "peer"), r.peerLine(rule, 20))
		}
		s.Cases = append(s.Cases, c)
	}
	u := junitCase{Name: "no unexpected traffic", Classname: "flowverify.unexpected"}
	if len(r.Unexpected) > 0 {
		var b strings.Builder
		for _, g := range r.Unexpected {
			fmt.Fprintf(&b, "%s %s %d %s (%s, %d flows) %s\n", g.Direction, strings.ToUpper(g.Transport), g.Port, g.Peer, g.Protocol, g.Flows, g.Hint)
		}
		u.Failure = &junitFailure{Message: words.Count(len(r.Unexpected), "unexpected traffic group"), Type: "unexpected", Text: b.String()}
		s.Failures++
	}
	s.Cases = append(s.Cases, u)
	s.Tests = len(s.Cases)
	if len(r.Warnings) > 0 {
		s.SystemOut = "warnings:\n" + strings.Join(r.Warnings, "\n")
	}
	doc := junitSuites{Name: "flowverify", Tests: s.Tests, Fails: s.Failures, Errors: s.Errors, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteRulesCSV writes one row per rule.
func WriteRulesCSV(w io.Writer, r *Report) error {
	c := csv.NewWriter(w)
	c.Write(csvRow([]string{"rule", "direction", "transport", "ports", "role", "required", "status", "reason", "flows", "allowed", "blocked", "mismatch", "peers", "missing_peers", "packets", "bytes", "protocols"}))
	for _, rule := range r.Rules {
		var peers []string
		for _, p := range rule.Peers {
			peers = append(peers, csvPeer(p.Key(), p.Addresses)+"="+string(p.Status))
		}
		var protos []string
		for p, n := range rule.Protocols {
			protos = append(protos, p+"="+strconv.Itoa(n))
		}
		sortStrings(protos)
		c.Write(csvRow([]string{rule.ID, rule.Direction, rule.Transport, rule.Ports, rule.Role, strconv.FormatBool(rule.Required), string(rule.Status), rule.Reason,
			strconv.Itoa(rule.Flows), strconv.Itoa(rule.Allowed), strconv.Itoa(rule.BlockedN), strconv.Itoa(rule.Mismatch),
			strings.Join(peers, " "), r.csvMissing(rule), strconv.FormatUint(rule.Packets, 10), strconv.FormatUint(rule.Bytes, 10), strings.Join(protos, " ")}))
	}
	c.Flush()
	return c.Error()
}

// WriteFlowsCSV writes one row per flow (analyze --flows).
func WriteFlowsCSV(w io.Writer, r *Report) error {
	c := csv.NewWriter(w)
	c.Write(csvRow([]string{"transport", "initiator", "responder", "guessed", "direction", "state", "conn_state", "history", "protocol", "confidence",
		"verdict", "reason", "rule", "packets_initiator", "packets_responder", "bytes_initiator", "bytes_responder", "first", "last", "input"}))
	err := r.Flows.Each(func(f *Flow) error {
		return c.Write(csvRow([]string{f.Transport, f.Initiator, f.Responder, strconv.FormatBool(f.Guessed), f.Direction, f.State, f.ConnState, f.History,
			f.Protocol, f.Confidence, f.Verdict, f.Reason, f.Rule, strconv.FormatUint(f.Packets.Initiator, 10), strconv.FormatUint(f.Packets.Responder, 10),
			strconv.FormatUint(f.Bytes.Initiator, 10), strconv.FormatUint(f.Bytes.Responder, 10), f.First, f.Last, f.Input}))
	})
	c.Flush()
	if err != nil {
		return err
	}
	return c.Error()
}

// mdEscape makes one string from input safe in Markdown: printable (no
// control, format character or line separator can start a line of its
// own), and '|' escaped so that it cannot split a table cell.
func mdEscape(s string) string { return strings.ReplaceAll(printable(s), "|", "\\|") }

// mdWriter writes Markdown with every string argument escaped, as
// textWriter.p does for text: the format is ours, the strings may come
// from input, and escaping them all at one place leaves none forgotten.
type mdWriter struct{ b *strings.Builder }

func (m mdWriter) p(format string, a ...any) {
	for i, v := range a {
		if s, ok := v.(string); ok {
			a[i] = mdEscape(s)
		}
	}
	fmt.Fprintf(m.b, format, a...)
}

// WriteMarkdown writes a summary for pasting into a ticket.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	md := mdWriter{&b}
	verdict := map[matrix.Outcome]string{matrix.OutcomeConforms: "✅ conforms", matrix.OutcomeFindings: "❌ findings",
		matrix.OutcomeInconclusive: "❔ inconclusive", matrix.OutcomeObserving: "⏳ observing", matrix.OutcomeNotJudged: "❔ not judged"}[r.Summary.Verdict]
	if verdict == "" {
		verdict = "❔ " + string(r.Summary.Verdict)
	}
	if p := r.Progress(); p != "" {
		verdict += " (" + p + ")"
	}
	md.p("### flowverify: %s\n\n", verdict)
	server := serverLabel(r)
	md.p("Matrix `%s` (profile `%s`), server %s (%s), %s – %s.\n\n", r.Matrix.Name, r.Matrix.Profile,
		server, r.Server.Source, r.Window.Start, r.Window.End)
	var parts []string
	for _, k := range matrix.FindingNames() {
		parts = append(parts, fmt.Sprintf("%d %s", r.Summary.Findings[k], k))
	}
	md.p("**Findings:** %s. %d packets, %d flows.\n\n", strings.Join(parts, ", "), r.Summary.Packets, r.Summary.Flows)
	b.WriteString("| Rule | Direction | Protocol | Ports | Status | Flows | Peers | Why |\n|---|---|---|---|---|---|---|---|\n")
	for _, rule := range r.Rules {
		_, mark := statusClass(rule.Status)
		md.p("| `%s` | %s | %s | %s | %s %s | %d | %s | %s |\n", rule.ID, rule.Direction, strings.ToUpper(rule.Transport), rule.Ports, mark, string(rule.Status), rule.Flows, r.peerLine(rule, 5), rule.Reason)
	}
	if len(r.Blocked) > 0 {
		b.WriteString("\n**Blocked attempts**\n\n")
		for i, x := range r.Blocked {
			if i == 20 {
				md.p("- … and %d more\n", len(r.Blocked)-20)
				break
			}
			why := x.Reason
			if x.ICMP != "" {
				why += ": " + x.ICMP
			}
			md.p("- `%s` %s → %s: %s (%s)\n", x.Rule, x.Initiator, x.Responder, why, words.Count(x.Attempts, "attempt"))
		}
	}
	if len(r.Unexpected) > 0 {
		b.WriteString("\n**Unexpected traffic**\n\n")
		for i, u := range r.Unexpected {
			if i == 20 {
				md.p("- … and %d more groups\n", len(r.Unexpected)-20)
				break
			}
			md.p("- %s %s %s with %s (%s, %d flows)%s\n", u.Direction, strings.ToUpper(u.Transport), u.Service(), u.Peer, u.Protocol, u.Flows, hintSuffix(u.Hint))
		}
	}
	for _, wmsg := range r.Warnings {
		md.p("\n> ⚠ %s\n", wmsg)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func hintSuffix(h string) string {
	if h == "" {
		return ""
	}
	return ": " + h
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// serverLabel names the server for one line: its host with addresses, its
// addresses, or why there is none.
func serverLabel(r *Report) string {
	switch {
	case r.NoServer():
		return "not found (" + strings.Join(r.Server.Evidence, "; ") + ")"
	case r.Server.Host != "":
		return hostLabel(r.Server.Host, r.Server.Addresses)
	}
	return strings.Join(r.Server.Addresses, ", ")
}
