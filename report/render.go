package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

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
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteJSONL writes one flow object per line (with --flows), else one
// line per rule and a closing summary line, so the stream is never empty.
func WriteJSONL(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	if r.Flows != nil {
		for i := range r.Flows {
			if err := enc.Encode(&r.Flows[i]); err != nil {
				return err
			}
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
		t.p("Server: not found: %s\n", strings.Join(r.Server.Evidence, "; "))
		t.p("  Nothing is judged; every flow below is counted as not judged.\n")
		for i, c := range r.Server.Candidates {
			t.p("  candidate %d: %s, %s of evidence\n", i+1, c.Address, plural(c.Score, "kind"))
			for _, e := range c.Evidence {
				t.p("    - %s\n", e)
			}
		}
		if len(r.Server.Candidates) > 0 {
			t.p("  To judge against the strongest: --server %s\n", r.Server.Candidates[0].Address)
		} else {
			t.p("  No address shows matrix evidence; 'flowverify hosts FILE' lists every host seen, then pass --server ADDR\n")
		}
	} else {
		t.p("Server: %s (%s)\n", server, r.Server.Source)
	}
	for _, e := range r.Server.Evidence {
		if r.NoServer() {
			break
		}
		t.p("  - %s\n", e)
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
		t.p("Input:  %s (%s, %s) %d packets%s\n", in.Name, in.Format, strings.Join(in.LinkTypes, "+"), in.Packets, state)
	}
	t.p("\n")
}

// rules writes the rules table, then each rule's reason and notes.
func (t textWriter) rules(r *Report) {
	tw := newTable("RULE", "DIRECTION", "PROTO", "PORTS", "STATUS", "FLOWS", "PEERS", "SEEN", "DESCRIPTION")
	for _, rule := range r.Rules {
		peers := fmt.Sprint(len(rule.Peers))
		if len(rule.Missing) > 0 {
			peers += fmt.Sprintf(" (+%d missing)", len(rule.Missing))
		}
		tw.row(rule.ID, rule.Direction, strings.ToUpper(rule.Transport), rule.Ports, statusMark(rule.Status), fmt.Sprint(rule.Flows), peers,
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
		t.p("  %s:", rule.ID)
		if rule.Reason != "" {
			t.p(" %s", rule.Reason)
		}
		t.p("\n")
		if peers != "" {
			t.p("      peers: %s\n", peers)
		}
		for _, e := range notes {
			t.p("      %s\n", e)
		}
	}
	if unconfirmed > 0 {
		t.p("  (%d rule(s) judged by port and direction alone: no application protocol confirmed)\n", unconfirmed)
	}
}

func (t textWriter) blocked(r *Report) {
	t.p("\nBlocked attempts (%d)\n", len(r.Blocked))
	if len(r.Blocked) == 0 {
		return
	}
	bt := newTable("RULE", "INITIATOR", "RESPONDER", "REASON", "ATTEMPTS", "FIRST")
	for _, b := range r.Blocked {
		reason := b.Reason
		if b.ICMP != "" {
			reason += ": " + b.ICMP
		} else if b.ICMPCode != nil {
			reason += fmt.Sprintf(" (code %d)", *b.ICMPCode)
		}
		bt.row(b.Rule, b.Initiator, b.Responder, reason, fmt.Sprint(b.Attempts), b.First)
	}
	bt.write(t.w)
}

func (t textWriter) unexpected(r *Report) {
	t.p("\nUnexpected traffic (%d groups)\n", len(r.Unexpected))
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

func (t textWriter) suggestions(r *Report) {
	if len(r.Suggestions) == 0 {
		return
	}
	t.p("\nSuggested firewall changes (%s)\n", r.Suggestions[0].Syntax)
	for _, sg := range r.Suggestions {
		t.p("  # %s\n", sg.Note)
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
		t.p("  ! %s\n", wmsg)
	}
}

// summary writes the verdict line, findings in the order reports list them.
func (t textWriter) summary(r *Report) {
	s := r.Summary
	t.p("\n%s\n", SummaryLine(r))
	judged := fmt.Sprintf("%d allowed, %d ignored, %d transit, %d local", s.Allowed, s.Ignored, s.Transit, s.Local)
	if r.NoServer() {
		judged = fmt.Sprintf("%d not judged: no server", s.NotJudged)
	}
	t.p("         %s, %s (%s), %d evicted, %d dropped\n", plural64(s.Packets, "packet"), plural(s.Flows, "flow"), judged, s.Evicted, s.Dropped)
	if s.Infrastructure > 0 {
		t.p("         %s of IPv6 neighbour discovery and MLD (infrastructure, not judged)\n", plural64(s.Infrastructure, "packet"))
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
	return fmt.Sprintf("Summary: %s — %s", strings.ToUpper(s.Verdict), strings.Join(parts, ", "))
}

func plural64(n uint64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func statusMark(s matrix.Status) string {
	switch s {
	case matrix.StatusOK, matrix.StatusNotSeen:
		return string(s)
	}
	return strings.ToUpper(string(s))
}

// table is a minimal column aligner; the last column is never padded.
type table struct {
	rows [][]string
}

func newTable(head ...string) *table { return &table{rows: [][]string{head}} }

func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = printable(c)
	}
	t.rows = append(t.rows, cells)
}

func (t *table) write(w io.Writer) {
	widths := make([]int, len(t.rows[0]))
	for _, r := range t.rows {
		for i, c := range r {
			if n := len([]rune(c)); n > widths[i] {
				widths[i] = n
			}
		}
	}
	for _, r := range t.rows {
		var b strings.Builder
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(c)
				break
			}
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", widths[i]-len([]rune(c))+2))
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
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

// plural writes "1 flow", "2 flows".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
