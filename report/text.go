package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/words"
)

// writeText renders the report for a terminal: the rule table in the
// vendor's shape, blocked attempts, unexpected flows, then a summary line.
func writeText(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	t := textWriter{bw}
	t.header(r)
	t.rules(r)
	t.blocked(r)
	t.unexpected(r)
	t.scans(r)
	t.flows(r)
	t.suggestions(r)
	t.warnings(r)
	t.summary(r)
	return bw.Flush()
}

// textWriter writes the text report's sections.
type textWriter struct{ w *bufio.Writer }

// p writes with every string argument made printable: the format is
// ours, the strings may come from input.
func (t textWriter) p(format string, a ...any) {
	for i, v := range a {
		if s, ok := v.(string); ok {
			a[i] = printable(s)
		}
	}
	fmt.Fprintf(t.w, format, a...)
}

// para writes text after first, wrapped to textWidth, each further line
// after rest (spaces, usually, so the text stands in a column).
func (t textWriter) para(first, rest, text string) {
	lines := wrap(printable(text), textWidth-runeLen(first), textWidth-runeLen(rest))
	for i, l := range lines {
		lead := rest
		if i == 0 {
			lead = first
		}
		fmt.Fprintln(t.w, strings.TrimRight(lead+l, " "))
	}
}

// header names the matrix, the server with its evidence, the window and
// the inputs.
func (t textWriter) header(r *Report) {
	t.p("flowverify %s: matrix %q", r.Tool.Version, r.Matrix.Name)
	if r.Matrix.Profile != "" && r.Matrix.Profile != r.Matrix.Name {
		t.p(" (profile %s)", r.Matrix.Profile)
	}
	if r.Matrix.Config != "" {
		t.p(" (with %s)", r.Matrix.Config)
	}
	t.p("\n")
	server := serverLabel(r)
	if r.NoServer() {
		t.para("Server: not found: ", "  ", strings.Join(r.Server.Evidence, "; "))
		t.p("  Nothing is judged; every flow below is counted as not judged.\n")
		for i, c := range r.Server.Candidates {
			t.p("  candidate %d: %s, score %d\n", i+1, c.Address, c.Score)
			for _, e := range c.Evidence {
				t.para("    - ", "      ", e)
			}
		}
		switch {
		case r.Server.Advice == "":
		case len(r.Server.Candidates) > 0:
			t.p("  %s\n", r.Server.Advice)
		default:
			t.para("  ", "  ", r.Server.Advice)
		}
	} else {
		t.p("Server: %s (%s)\n", server, r.Server.Source)
	}
	for _, e := range r.Server.Evidence {
		if r.NoServer() {
			break
		}
		t.para("  - ", "    ", e)
	}
	for _, h := range r.Hosts {
		t.p("Host:   %s\n", hostLabel(h.Name, h.Addresses))
	}
	if r.Window.Start != "" {
		t.p("Window: %s .. %s\n", r.Window.Start, r.Window.End)
	}
	for _, in := range r.Inputs {
		state := ""
		if in.Damaged {
			state = "  DAMAGED"
		}
		format := in.Format
		if in.Compression != "" {
			format += ", " + in.Compression
		}
		t.p("Input:  %s (%s, %s) %s%s\n", in.Name, format, strings.Join(in.LinkTypes, "+"), words.Count(in.Packets, "packet"), state)
	}
	t.p("\n")
}

// rules writes the rules table, then each rule's reason and notes.
func (t textWriter) rules(r *Report) {
	// Narrow columns leave the description room to wrap in its own.
	tw := newTable("RULE", "DIR", "PORTS", "STATUS", "FLOWS", "PEERS", "SEEN", "DESCRIPTION")
	for _, rule := range r.Rules {
		// PEERS: reached of all the rule saw or expected ("1/2").
		reached := 0
		for _, p := range rule.Peers {
			if p.Status == matrix.StatusOK {
				reached++
			}
		}
		peers := fmt.Sprintf("%d/%d", reached, len(rule.Peers)+len(rule.Missing))
		tw.row(rule.ID, rule.Direction.Short(), rule.Transport+"/"+rule.Ports, statusMark(rule.Status), fmt.Sprint(rule.Flows), peers,
			protocolSummary(rule.Protocols), rule.Description)
	}
	tw.write(t.w)
	unconfirmed := 0
	for _, rule := range r.Rules {
		if rule.PortOnly() {
			unconfirmed++
		}
		var notes []string
		for _, e := range rule.Evidence {
			if e != EvidencePortOnly { // said once for all rules below
				notes = append(notes, e)
			}
		}
		peers := r.peerLine(rule, 5)
		if rule.Reason == "" && len(notes) == 0 && peers == "" || r.NoServer() {
			continue // without a server the header says it once for every rule
		}
		t.para("  "+printable(rule.ID)+": ", "      ", rule.Reason)
		if peers != "" {
			t.para("      peers: ", "        ", peers)
		}
		for _, e := range notes {
			t.para("      ", "        ", e)
		}
	}
	if unconfirmed > 0 {
		t.p("  (%s judged by port and direction alone: no application protocol confirmed)\n", words.Count(unconfirmed, "rule"))
	}
	for _, n := range r.Notes {
		t.para("  Note: ", "        ", n)
	}
}

func (t textWriter) blocked(r *Report) {
	t.p("\nBlocked attempts (%d)\n", len(r.Blocked))
	if len(r.Blocked) == 0 {
		return
	}
	bt := newTable("RULE", "INITIATOR", "RESPONDER", "ATTEMPTS", "FIRST", "REASON")
	for _, b := range r.Blocked {
		reason := b.Reason.String()
		if b.ICMP != "" {
			reason += ": " + b.ICMP
		} else if b.ICMPCode != nil {
			reason += fmt.Sprintf(" (code %d)", *b.ICMPCode)
		}
		bt.row(b.Rule, b.InitiatorLabel(), b.ResponderLabel(), fmt.Sprint(b.Attempts), b.First, reason)
	}
	bt.write(t.w)
}

func (t textWriter) unexpected(r *Report) {
	t.p("\nUnexpected traffic (%s)\n", words.Count(len(r.Unexpected), "group"))
	if len(r.Unexpected) == 0 {
		return
	}
	ut := newTable("DIRECTION", "PROTO", "PORT", "PEER", "PROTOCOL", "FLOWS", "FAILED", "HINT")
	for _, u := range r.Unexpected {
		port, proto := u.Service(), u.Protocol
		if u.ICMPType != nil { // no port: the message's name goes with the protocol
			port, proto = "-", u.Service()
		}
		ut.row(u.Direction.String(), strings.ToUpper(u.Transport), port, u.PeerLabel(), proto, fmt.Sprint(u.Flows), fmt.Sprint(u.Failed), u.Hint)
	}
	ut.write(t.w)
}

// scans gives each scanner its line, its unexpected flows folded in;
// nothing when there is none.
func (t textWriter) scans(r *Report) {
	if len(r.Scans) == 0 {
		return
	}
	t.p("\nScans (%d)\n", len(r.Scans))
	for _, s := range r.Scans {
		t.para("  ", "    ", s.Line())
		t.para("    ", "    ", s.Details())
	}
}

// flows lists every flow (--flows); reasons are in the blocked and
// unexpected sections above, and in the per-flow formats.
func (t textWriter) flows(r *Report) {
	if r.Flows.Len() == 0 {
		return
	}
	t.p("\nFlows (%d; times UTC)\n", r.Flows.Len())
	// Two passes over the list, which may be on disk: one measures the
	// columns, one writes the rows.
	ft := newTable("FIRST", "INITIATOR", "RESPONDER", "CONN", "PROTOCOL", "VERDICT", "RULE")
	names := r.hostNames()
	cells := func(f *Flow) []string {
		ini, resp := Named(endHost(names, f.Initiator), f.Initiator), Named(endHost(names, f.Responder), f.Responder)
		return []string{shortTime(f.First), ini, resp, f.Transport + " " + f.ConnState, f.Protocol, f.Verdict.String(), f.Rule}
	}
	r.Flows.Each(func(f *Flow) error { ft.measure(cells(f)); return nil })
	l := ft.layout()
	l.line(t.w, ft.rows[0])
	if err := r.Flows.Each(func(f *Flow) error { l.line(t.w, ft.clean(cells(f))); return nil }); err != nil {
		t.p("(the flow list could not be read back: %v)\n", err)
	}
}

// shortTime writes an RFC 3339 time as month-day and time to the
// millisecond: the year is the window's.
func shortTime(s string) string {
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return ts.UTC().Format("01-02 15:04:05.000")
}

func (t textWriter) suggestions(r *Report) {
	if len(r.Suggestions) == 0 {
		return
	}
	t.p("\nSuggested firewall changes (%s)\n", r.Suggestions[0].Syntax)
	for _, sg := range r.Suggestions {
		t.para("  # ", "  # ", sg.Note)
		for _, c := range sg.Commands {
			t.p("  %s\n", c)
		}
	}
}

// warnings lists the report's warnings, then each input's.
func (t textWriter) warnings(r *Report) {
	all := append([]string{}, r.Warnings...)
	for _, in := range r.Inputs {
		for _, wmsg := range in.Warnings {
			all = append(all, in.Name+": "+wmsg)
		}
	}
	if len(all) == 0 {
		return
	}
	t.p("\nWarnings\n")
	for _, wmsg := range all {
		t.para("  ! ", "    ", wmsg)
	}
}

// summary writes the verdict line, findings in the order reports list them.
func (t textWriter) summary(r *Report) {
	s := r.Summary
	t.p("\n%s\n", SummaryLine(r))
	judged := fmt.Sprintf("%d allowed, %d ignored, %d transit, %d local", s.Allowed, s.Ignored, s.Transit, s.Local)
	if s.Unconfirmed > 0 {
		judged = fmt.Sprintf("%d allowed, %d unconfirmed, %d ignored, %d transit, %d local", s.Allowed, s.Unconfirmed, s.Ignored, s.Transit, s.Local)
	}
	if r.NoServer() {
		judged = fmt.Sprintf("%d not judged: no server", s.NotJudged)
	}
	t.p("         %s, %s (%s), %d evicted, %d dropped\n", words.Count(s.Packets, "packet"), words.Count(s.Flows, "flow"), judged, s.Evicted, s.Dropped)
	if s.Infrastructure > 0 {
		t.p("         %s of IPv6 neighbour discovery and MLD (infrastructure, not judged)\n", words.Count(s.Infrastructure, "packet"))
	}
}

// SummaryLine is the verdict and the findings in one line, as the text
// report's summary starts and as analyze prints it on stderr when the
// report goes to files.
func SummaryLine(r *Report) string {
	s := r.Summary
	var parts []string
	for _, k := range r.shownFindings() {
		parts = append(parts, findingCount(k, s.Findings[k]))
	}
	if n := r.Facts().Unconfirmed; n > 0 {
		// Not a finding, but what keeps the verdict from conforms.
		parts = append(parts, words.Count(n, "unconfirmed rule"))
	}
	verdict := strings.ToUpper(string(s.Verdict))
	if p := r.Progress(); p != "" {
		verdict += " (" + p + ")"
	}
	return fmt.Sprintf("Summary: %s — %s", verdict, strings.Join(parts, ", "))
}

func statusMark(s matrix.Status) string {
	switch s {
	case matrix.StatusOK, matrix.StatusNotSeen:
		return string(s)
	}
	return strings.ToUpper(string(s))
}

// protocolSummary renders {"ldap": 3, "http": 1} as "ldap:3 http:1",
// most frequent first.
func protocolSummary(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, m[k])
	}
	return strings.Join(parts, " ")
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
