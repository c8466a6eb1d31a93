package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/flowverify/flowverify/internal/words"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/flowverify/flowverify/classifier/matrix"
)

// Formats that Write knows.
const (
	FormatText     = "text"
	FormatJSON     = "json"
	FormatJSONL    = "jsonl"
	FormatJUnit    = "junit"
	FormatHTML     = "html"
	FormatCSV      = "csv"
	FormatFlowsCSV = "flows-csv"
	FormatMarkdown = "markdown"
)

// KnownFormats lists the formats this build can write.
func KnownFormats() []string {
	return []string{FormatText, FormatJSON, FormatJSONL, FormatJUnit, FormatHTML, FormatCSV, FormatFlowsCSV, FormatMarkdown}
}

// FormatFromPath picks a format from a file extension.
func FormatFromPath(path string) (string, bool) {
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".flows.csv"):
		return FormatFlowsCSV, true
	case strings.HasSuffix(lower, ".junit.xml"):
		return FormatJUnit, true
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".html", ".htm":
		return FormatHTML, true
	case ".xml":
		return FormatJUnit, true
	case ".csv":
		return FormatCSV, true
	case ".md", ".markdown":
		return FormatMarkdown, true
	case ".json":
		return FormatJSON, true
	case ".jsonl", ".ndjson":
		return FormatJSONL, true
	case ".txt", ".text":
		return FormatText, true
	}
	return "", false
}

// Write renders r in the named format.
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatJSONL:
		return WriteJSONL(w, r)
	case FormatText, "":
		return WriteText(w, r)
	case FormatJUnit:
		return WriteJUnit(w, r)
	case FormatHTML:
		return WriteHTML(w, r)
	case FormatCSV:
		return WriteRulesCSV(w, r)
	case FormatFlowsCSV:
		return WriteFlowsCSV(w, r)
	case FormatMarkdown, "md":
		return WriteMarkdown(w, r)
	}
	return fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(KnownFormats(), ", "))
}

// WriteJSON writes the v1 JSON document.
func WriteJSON(w io.Writer, r *Report) error {
	if r.Flows.Len() == 0 {
		c := *r
		c.Flows = nil
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(&c)
	}
	// The flows are the report's last key: the rest is encoded whole and
	// the flows streamed into place, one at a time, as the encoder would
	// have indented them.
	c := *r
	c.Flows = nil
	var head bytes.Buffer
	enc := json.NewEncoder(&head)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&c); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(bytes.TrimSuffix(head.Bytes(), []byte("\n}\n")))
	bw.WriteString(",\n  \"flows\": [")
	first := true
	err := r.Flows.Each(func(f *Flow) error {
		js, err := json.MarshalIndent(f, "    ", "  ")
		if err != nil {
			return err
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.WriteString("\n    ")
		_, err = bw.Write(js)
		return err
	})
	if err != nil {
		return err
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}

// WriteJSONL writes one flow object per line (with --flows), else one
// line per rule and a closing summary line, so the stream is never empty.
func WriteJSONL(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	if r.Flows.Len() > 0 {
		if err := r.Flows.Each(func(f *Flow) error { return enc.Encode(f) }); err != nil {
			return err
		}
	} else {
		for i := range r.Rules {
			if err := enc.Encode(struct {
				Type string `json:"type"`
				*Rule
			}{"rule", &r.Rules[i]}); err != nil {
				return err
			}
		}
		if err := enc.Encode(struct {
			Type string `json:"type"`
			*Summary
		}{"summary", &r.Summary}); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteText renders the report for a terminal: the rule table in the
// vendor's shape, blocked attempts, unexpected flows, then a summary line.
func WriteText(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	t := textWriter{bw}
	t.header(r)
	t.rules(r)
	t.blocked(r)
	t.unexpected(r)
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

// textWidth is the width text reports fit: prose wraps, and a table's
// last column wraps under itself.
const textWidth = 120

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

func runeLen(s string) int { return len([]rune(s)) }

// wrap breaks s at spaces into lines of at most w1 runes (the first) and
// w2 (the others); a word longer than its line stands alone.
func wrap(s string, w1, w2 int) []string {
	var lines []string
	var cur strings.Builder
	width := w1
	for _, word := range strings.Fields(s) {
		n := runeLen(word)
		if cur.Len() > 0 && runeLen(cur.String())+1+n > width {
			lines = append(lines, cur.String())
			cur.Reset()
			width = w2
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(word)
	}
	if cur.Len() > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
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
			t.p("  candidate %d: %s, %s of evidence\n", i+1, c.Address, words.Count(c.Score, "kind"))
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
		tw.row(rule.ID, shortDirection(rule.Direction), rule.Transport+"/"+rule.Ports, statusMark(rule.Status), fmt.Sprint(rule.Flows), peers,
			protocolSummary(rule.Protocols), rule.Description)
	}
	tw.write(t.w)
	unconfirmed := 0
	for _, rule := range r.Rules {
		var notes []string
		for _, e := range rule.Evidence {
			if strings.HasPrefix(e, "protocol not confirmed") {
				unconfirmed++
				continue
			}
			notes = append(notes, e)
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
		reason := b.Reason
		if b.ICMP != "" {
			reason += ": " + b.ICMP
		} else if b.ICMPCode != nil {
			reason += fmt.Sprintf(" (code %d)", *b.ICMPCode)
		}
		bt.row(b.Rule, b.Initiator, b.Responder, fmt.Sprint(b.Attempts), b.First, reason)
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
		ut.row(u.Direction, strings.ToUpper(u.Transport), port, u.Peer, proto, fmt.Sprint(u.Flows), fmt.Sprint(u.Failed), u.Hint)
	}
	ut.write(t.w)
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
	cells := func(f *Flow) []string {
		return []string{shortTime(f.First), f.Initiator, f.Responder, f.Transport + " " + f.ConnState, f.Protocol, f.Verdict, f.Rule}
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
	for _, k := range matrix.FindingNames() {
		parts = append(parts, fmt.Sprintf("%d %s", s.Findings[k], k))
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

// shortDirection writes a rule's direction in the rules table.
func shortDirection(d string) string {
	switch d {
	case "inbound":
		return "in"
	case "outbound":
		return "out"
	case "bidirectional":
		return "both"
	}
	return d
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
