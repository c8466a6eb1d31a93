package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/words"
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

// writeJUnit renders the report as JUnit XML.
func writeJUnit(w io.Writer, r *Report) error {
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
			c.SystemOut = r.passOut(rule)
		}
		s.Cases = append(s.Cases, c)
	}
	u := junitCase{Name: "no unexpected traffic", Classname: "flowverify.unexpected"}
	if len(r.Unexpected) > 0 {
		var b strings.Builder
		for _, g := range r.Unexpected {
			fmt.Fprintf(&b, "%s %s %s %s (%s, %s) %s\n", g.Direction, strings.ToUpper(g.Transport), g.Service(), g.PeerLabel(), g.Protocol, words.Count(g.Flows, "flow"), g.Hint)
		}
		u.Failure = &junitFailure{Message: words.Count(len(r.Unexpected), "unexpected traffic group"), Type: "unexpected", Text: b.String()}
		s.Failures++
	}
	s.Cases = append(s.Cases, u)
	// A scan is a finding of its own: a failing case per scanner, only
	// when there is one (a case for "no scans" in every suite would say
	// nothing most of the time).
	for _, sc := range r.Scans {
		s.Cases = append(s.Cases, junitCase{Name: "scan by " + sc.ScannerLabel(), Classname: "flowverify.scans",
			Failure: &junitFailure{Message: sc.Line(), Type: "scan", Text: sc.Details()}})
		s.Failures++
	}
	s.Tests = len(s.Cases)
	warns := append([]string{}, r.Warnings...)
	for _, in := range r.Inputs {
		for _, wmsg := range in.Warnings {
			warns = append(warns, Printable(in.Name)+": "+wmsg)
		}
	}
	if len(warns) > 0 {
		s.SystemOut = "warnings:\n" + strings.Join(warns, "\n")
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

// passOut is a passing case's output. Every peer answered, yet some
// attempts may have failed (a firewall's 3/13 now and then): a pass, but
// CI must see it, as the text report says it.
func (r *Report) passOut(rule Rule) string {
	out := fmt.Sprintf("%s, %s: %s", words.Count(rule.Flows, "flow"), words.Count(len(rule.Peers), "peer"), r.peerLine(rule, 20))
	if f := rule.FailedBeside(); f != "" {
		out += "\n" + f
	}
	return out
}
