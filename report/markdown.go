package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/words"
)

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

// writeMarkdown writes a summary for pasting into a ticket.
func writeMarkdown(w io.Writer, r *Report) error {
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
	for _, k := range r.shownFindings() {
		parts = append(parts, findingCount(k, r.Summary.Findings[k]))
	}
	md.p("**Findings:** %s. %s, %s.\n\n", strings.Join(parts, ", "), words.Count(r.Summary.Packets, "packet"), words.Count(r.Summary.Flows, "flow"))
	b.WriteString("| Rule | Direction | Protocol | Ports | Status | Flows | Peers | Why |\n|---|---|---|---|---|---|---|---|\n")
	for _, rule := range r.Rules {
		_, mark := statusClass(rule.Status)
		why := rule.Reason
		if f := rule.FailedBeside(); f != "" && why == "" {
			why = f
		}
		md.p("| `%s` | %s | %s | %s | %s %s | %d | %s | %s |\n", rule.ID, rule.Direction, strings.ToUpper(rule.Transport), rule.Ports, mark, string(rule.Status), rule.Flows, r.peerLine(rule, 5), why)
	}
	if len(r.Blocked) > 0 {
		b.WriteString("\n**Blocked attempts**\n\n")
		for i, x := range r.Blocked {
			if i == 20 {
				md.p("- … and %d more\n", len(r.Blocked)-20)
				break
			}
			why := x.Reason.String()
			if x.ICMP != "" {
				why += ": " + x.ICMP
			}
			md.p("- `%s` %s → %s: %s (%s)\n", x.Rule, x.InitiatorLabel(), x.ResponderLabel(), why, words.Count(x.Attempts, "attempt"))
		}
	}
	if len(r.Unexpected) > 0 {
		b.WriteString("\n**Unexpected traffic**\n\n")
		for i, u := range r.Unexpected {
			if i == 20 {
				md.p("- … and %s\n", words.Count(len(r.Unexpected)-20, "more group"))
				break
			}
			md.p("- %s %s %s with %s (%s, %s)%s\n", u.Direction, strings.ToUpper(u.Transport), u.Service(), u.PeerLabel(), u.Protocol, words.Count(u.Flows, "flow"), hintSuffix(u.Hint))
		}
	}
	if len(r.Scans) > 0 {
		b.WriteString("\n**Scans**\n\n")
		for _, sc := range r.Scans {
			md.p("- %s (%s)\n", sc.Line(), sc.Details())
		}
	}
	for _, wmsg := range r.Warnings {
		md.p("\n> ⚠ %s\n", wmsg)
	}
	for _, in := range r.Inputs {
		for _, wmsg := range in.Warnings {
			md.p("\n> ⚠ %s: %s\n", in.Name, wmsg)
		}
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
