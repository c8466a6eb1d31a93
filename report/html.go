package report

import (
	"fmt"
	"github.com/flowverify/flowverify/internal/words"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"
)

// The HTML report is one self-contained file: inline CSS and SVG, no
// fetches, no fonts, no external scripts (it is opened on air-gapped
// servers). Colour is never the only signal: every status is also written.

type svgRule struct {
	ID, Status, Mark, Class string
	// Label is the rule's text broken to fit its box, beside the status.
	Label  []string
	Y      float64 // first line's centre inside the group box
	AX, AY float64 // anchor where the edge ends
}

type svgGroup struct {
	Title      string
	X, Y, W, H float64
	Rules      []svgRule
	right      bool
}

type svgUnexpected struct {
	Lines []string
	Y     float64
}

type htmlView struct {
	R          *Report
	Groups     []svgGroup
	Unexpected []svgUnexpected
	UnexpBox   [4]float64
	UnexpMore  int
	ServerX    float64
	ServerY    float64
	Width      float64
	Height     float64
	Server     string
	// ServerBox is the server's box (x, y, width, height) and ServerLines
	// its title and label, broken to fit it, with the title's count.
	ServerBox   [4]float64
	ServerLines []string
	TitleLines  int
	// LabelDX is where a rule's label starts in its box, past the widest
	// status shown.
	LabelDX float64
	// NotJudged: no server was known; Why says why (the inference's own
	// words), for the headline.
	NotJudged bool
	Why       string
	// The matrix's name for the server ("Threat Manager server"), as a
	// title and in a sentence, and the page's heading.
	ServerTitle, ServerName, Heading string
	Timeline                         []timelineRow
	maxBucket                        int
	Findings                         []kv
}

type kv struct {
	K string
	V int
}

type timelineRow struct {
	ID     string
	Status string
	Bars   []timelineBar
}

type timelineBar struct {
	X, H, Y float64
	N       int
}

func statusClass(s matrix.Status) (class, mark string) {
	switch s {
	case matrix.StatusOK:
		return "ok", "✓"
	case matrix.StatusMissing, matrix.StatusBlocked:
		return "bad", "✗"
	case matrix.StatusPartial, matrix.StatusMismatch:
		return "warn", "!"
	case matrix.StatusUnconfirmed:
		return "warn", "?"
	}
	return "idle", "–"
}

// headline is the page's one-line answer for each outcome.
func headline(o matrix.Outcome) (class, text string) {
	switch o {
	case matrix.OutcomeConforms:
		return "ok", "✓ The traffic conforms to the matrix"
	case matrix.OutcomeFindings:
		return "bad", "✗ Findings"
	case matrix.OutcomeInconclusive:
		return "warn", "? Inconclusive: some rules were tried but never answered"
	case matrix.OutcomeObserving:
		return "idle", "… Observing: less than one full window seen, no finding yet"
	case matrix.OutcomeNotJudged:
		return "idle", "– Not judged: no server was known"
	}
	return "idle", string(o)
}

func layout(r *Report) htmlView {
	v := htmlView{R: r, Width: 1120, ServerX: 560, Server: serverLabel(r), ServerName: r.Matrix.Site.serverLabel(), NotJudged: r.NoServer()}
	if v.NotJudged {
		// The why goes in the headline; the box and the header say only
		// that there is none.
		v.Server, v.Why = "not found", strings.Join(r.Server.Evidence, "; ")
	}
	v.ServerTitle = strings.ToUpper(v.ServerName[:1]) + v.ServerName[1:]
	v.Heading = "Traffic against the documented firewall matrix"
	if s := r.Matrix.Site; s != nil && s.Product != "" {
		v.Heading = s.Product + " traffic against the documented firewall matrix"
	}
	v.LabelDX = v.statusWidth(r) + 12
	v.layoutServer()
	v.layoutGroups(r)
	v.layoutUnexpected(r)
	if r.Timeline != nil {
		v.layoutTimeline(r)
	}
	for _, k := range r.shownFindings() {
		if v.NotJudged && r.Summary.Findings[k] == 0 {
			// Zeros of what was never judged would read as a clean bill.
			continue
		}
		v.Findings = append(v.Findings, kv{k.String(), r.Summary.Findings[k]})
	}
	return v
}

// Diagram geometry: a rule's row, a wrapped line, a box's title, a box's
// width, the server's box width.
const rowH, lineH, boxHead, boxW, serverW = 22.0, 15.0, 28.0, 390.0, 220.0

// statusText is how the diagram writes a rule's status: nothing is
// judged without a server, whatever status the rule was left in.
func (v *htmlView) statusText(s matrix.Status) (class, text string) {
	if v.NotJudged {
		return "idle", "– NOT JUDGED"
	}
	class, mark := statusClass(s)
	return class, mark + " " + strings.ToUpper(string(s))
}

// statusWidth is the width of the widest status the diagram shows.
func (v *htmlView) statusWidth(r *Report) float64 {
	w := 0.0
	for _, rule := range r.Rules {
		_, text := v.statusText(rule.Status)
		w = math.Max(w, textPx(text, false))
	}
	return w
}

// layoutServer sizes the server's box to its title and label, broken to
// fit its width; the box is centred on ServerY, set later.
func (v *htmlView) layoutServer() {
	title := fitLines(v.ServerTitle, serverW-16, true)
	v.TitleLines = len(title)
	v.ServerLines = append(title, fitLines(v.Server, serverW-16, false)...)
	v.ServerBox[2] = serverW
	v.ServerBox[3] = math.Max(64, 34+lineH*float64(len(v.ServerLines)-1))
}

// ruleHeight is a rule row's height for its label's lines.
func ruleHeight(lines int) float64 { return rowH + lineH*float64(lines-1) }

// layoutGroups places the rules' boxes in two columns beside the server,
// which sits at the middle of the taller column.
func (v *htmlView) layoutGroups(r *Report) {
	byGroup := map[string][]Rule{}
	labels := map[string][]string{}
	for _, rule := range r.Rules {
		g := r.Matrix.Site.boxOf(rule.Role, rule.Direction)
		byGroup[g] = append(byGroup[g], rule)
		labels[rule.ID] = fitLines(fmt.Sprintf("%s %s %s · %s", strings.ToUpper(rule.Transport), rule.Ports, rule.ID, words.Count(len(rule.Peers), "peer")),
			boxW-v.LabelDX-10, false)
	}
	var left, right []string
	for _, g := range r.Matrix.Site.boxes() {
		if len(byGroup[g.Name]) == 0 {
			continue
		}
		if g.Side == SideLeft {
			left = append(left, g.Name)
		} else {
			right = append(right, g.Name)
		}
	}
	c := columns{byGroup: byGroup, labels: labels}
	v.ServerY = math.Max(math.Max(c.height(left), c.height(right))/2+20, v.ServerBox[3]/2+20)
	v.ServerBox[0], v.ServerBox[1] = v.ServerX-serverW/2, v.ServerY-v.ServerBox[3]/2
	v.placeColumn(c, left, 20, false)
	v.placeColumn(c, right, v.Width-20-boxW, true)
}

// columns is what the diagram's two columns are laid out from: each
// box's rules and each rule's label lines.
type columns struct {
	byGroup map[string][]Rule
	labels  map[string][]string
}

// boxHeight is one box's height, its title and its rows.
func (c columns) boxHeight(g string) float64 {
	h := boxHead + 6
	for _, rule := range c.byGroup[g] {
		h += ruleHeight(len(c.labels[rule.ID]))
	}
	return h
}

// height is a column's height, its boxes and the gaps after them.
func (c columns) height(names []string) float64 {
	total := 0.0
	for _, g := range names {
		total += c.boxHeight(g) + 18
	}
	return total
}

// placeColumn stacks one column's boxes, centred on the server.
func (v *htmlView) placeColumn(c columns, names []string, x float64, isRight bool) {
	y := math.Max(20, v.ServerY-c.height(names)/2)
	for _, g := range names {
		sg := svgGroup{Title: g, X: x, Y: y, W: boxW, H: c.boxHeight(g), right: isRight}
		ry := y + boxHead + rowH/2
		for _, rule := range c.byGroup[g] {
			class, text := v.statusText(rule.Status)
			ax := x + boxW
			if isRight {
				ax = x
			}
			sg.Rules = append(sg.Rules, svgRule{ID: rule.ID, Status: string(rule.Status), Mark: text, Class: class,
				Label: c.labels[rule.ID], Y: ry, AX: ax, AY: ry})
			ry += ruleHeight(len(c.labels[rule.ID]))
		}
		v.Groups = append(v.Groups, sg)
		y += sg.H + 24
	}
	if y > v.Height {
		v.Height = y
	}
}

// Unexpected traffic's box under the server: its width, its rows.
const unexpW, unexpRows = 500.0, 8

// layoutUnexpected puts the unexpected traffic in a box of its own under
// the server, eight groups at most, each broken to fit the box.
func (v *htmlView) layoutUnexpected(r *Report) {
	uy := math.Max(v.Height, v.ServerBox[1]+v.ServerBox[3]+108)
	y := uy + 30
	for i, u := range r.Unexpected {
		if i == unexpRows {
			v.UnexpMore = len(r.Unexpected) - i
			break
		}
		text := fmt.Sprintf("! %s %s %s %s — %s, %s", u.Direction, strings.ToUpper(u.Transport), u.Service(), u.PeerLabel(), u.Protocol, words.Count(u.Flows, "flow"))
		lines := fitLines(text, unexpW-30, false)
		v.Unexpected = append(v.Unexpected, svgUnexpected{Y: y, Lines: lines})
		y += 20 + lineH*float64(len(lines)-1)
	}
	if v.UnexpMore > 0 || len(v.Unexpected) == 0 {
		y += 20
	}
	v.UnexpBox = [4]float64{v.ServerX - unexpW/2, uy, unexpW, y - uy + 6}
	v.Height = uy + v.UnexpBox[3] + 20
}

// layoutTimeline scales every rule's and the unexpected traffic's buckets
// to the fullest one.
func (v *htmlView) layoutTimeline(r *Report) {
	tl := r.Timeline
	for _, rule := range r.Rules {
		for _, c := range tl.Rules[rule.ID] {
			v.maxBucket = max(v.maxBucket, c)
		}
	}
	for _, c := range tl.Unexpected {
		v.maxBucket = max(v.maxBucket, c)
	}
	bars := func(counts []int) []timelineBar {
		var out []timelineBar
		for i, c := range counts {
			h := 0.0
			if v.maxBucket > 0 && c > 0 {
				h = math.Max(2, 18*float64(c)/float64(v.maxBucket))
			}
			out = append(out, timelineBar{X: float64(i) * 10, H: h, Y: 20 - h, N: c})
		}
		return out
	}
	for _, rule := range r.Rules {
		v.Timeline = append(v.Timeline, timelineRow{ID: rule.ID, Status: string(rule.Status), Bars: bars(tl.Rules[rule.ID])})
	}
	v.Timeline = append(v.Timeline, timelineRow{ID: "unexpected", Status: "unexpected", Bars: bars(tl.Unexpected)})
}

// WriteHTML renders the self-contained HTML report.
func WriteHTML(w io.Writer, r *Report) error {
	return htmlTemplate().Execute(w, layout(r))
}

func htmlTemplate() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"f": func(x float64) string { return fmt.Sprintf("%.1f", x) },
		"add": func(a, b float64) float64 {
			return a + b
		},
		"sub": func(a, b float64) float64 { return a - b },
		"mul": func(i int, k float64) float64 { return float64(i) * k },
		// min1 is 0 for a text's first line and 1 for the others, which
		// are indented under it.
		"min1":  func(i int) int { return min(i, 1) },
		"upper": strings.ToUpper,
		"count": func(n int, word string) string { return words.Count(n, word) },
		"inc":   func(i int) int { return i + 1 },
		// The template hands statuses over both as matrix.Status and as
		// plain strings.
		"class":     func(s any) string { c, _ := statusClass(matrix.Status(fmt.Sprint(s))); return c },
		"mark":      func(s any) string { _, m := statusClass(matrix.Status(fmt.Sprint(s))); return m },
		"headclass": func(o matrix.Outcome) string { c, _ := headline(o); return c },
		"headtext":  func(o matrix.Outcome) string { _, t := headline(o); return t },
		"progress":  func(r *Report) string { return r.Progress() },
	}).Parse(htmlSource))
}

// htmlSource is the page. Long texts from the input (evidence, names,
// addresses) may break anywhere (overflow-wrap on body); short cells
// (numbers, statuses, one address: class nw) keep to one line, so the
// long texts beside them take the table's width instead of squeezing
// every column to a letter. html/template drops CSS comments, hence here.
const htmlSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flowverify report: {{.R.Matrix.Name}} — {{.R.Summary.Verdict}}</title>
<style>
:root { --bg:#ffffff; --fg:#1b1f23; --muted:#5b636b; --line:#d0d7de; --box:#f6f8fa;
  --ok:#1a7f37; --bad:#cf222e; --warn:#9a6700; --idle:#8c959f; --unexp:#bc4c00; }
@media (prefers-color-scheme: dark) {
  :root { --bg:#0d1117; --fg:#e6edf3; --muted:#9198a1; --line:#30363d; --box:#161b22;
    --ok:#3fb950; --bad:#f85149; --warn:#d29922; --idle:#6e7681; --unexp:#db6d28; }
}
@media print {
  :root { --bg:#ffffff; --fg:#000000; --muted:#333333; --line:#999999; --box:#ffffff; }
  section, table, svg { break-inside: avoid; }
}
body { background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px;
  overflow-wrap: anywhere; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; white-space: nowrap; }
.nw, .st { white-space: nowrap; }
.st { font-weight: 600; }
td ul { margin: 0; padding-left: 18px; }
.why { max-width: 72em; }
.advice { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--box); border: 1px solid var(--line); padding: 6px 10px; }
.ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); } .idle { color: var(--idle); } .unexpected { color: var(--unexp); }
svg text { fill: var(--fg); font: 12px system-ui, sans-serif; }
svg .box { fill: var(--box); stroke: var(--line); }
svg .title { font-weight: 600; }
svg .edge.ok { stroke: var(--ok); } svg .edge.bad { stroke: var(--bad); } svg .edge.warn { stroke: var(--warn); }
svg .edge.idle { stroke: var(--idle); stroke-dasharray: 4 4; } svg .edge.unexp { stroke: var(--unexp); stroke-dasharray: 6 3; }
svg text.ok { fill: var(--ok); } svg text.bad { fill: var(--bad); } svg text.warn { fill: var(--warn); } svg text.idle { fill: var(--idle); }
svg .server { fill: var(--box); stroke: var(--fg); stroke-width: 2; }
.verdict { font-size: 16px; font-weight: 700; }
.findings span { margin-right: 14px; }
.tl rect { fill: var(--muted); } .tl .ok rect { fill: var(--ok); } .tl .bad rect { fill: var(--bad); } .tl .warn rect { fill: var(--warn); } .tl .unexpected rect { fill: var(--unexp); }
</style>
</head>
<body>
<header>
<h1>{{.Heading}}</h1>
<div class="muted">matrix <b>{{.R.Matrix.Name}}</b> (profile {{.R.Matrix.Profile}}{{if .R.Matrix.Config}}, with {{.R.Matrix.Config}}{{end}}) · server {{.Server}} ({{.R.Server.Source}}) · {{.R.Window.Start}} – {{.R.Window.End}} · {{.R.Tool.Name}} {{.R.Tool.Version}}</div>
<p class="verdict {{headclass .R.Summary.Verdict}}">{{headtext .R.Summary.Verdict}}{{with progress .R}} ({{.}}){{end}}</p>
{{- if .NotJudged}}
<p class="why" id="why">{{with .Why}}Why: {{.}}. {{end}}Every flow read is counted as not judged: no rule is judged and none conforms.</p>
{{- end}}
<p class="findings">{{range .Findings}}<span><b>{{.V}}</b> {{.K}}</span>{{end}}<span class="muted">{{.R.Summary.Packets}} packets, {{count .R.Summary.Flows "flow"}}{{if .NotJudged}}, {{.R.Summary.NotJudged}} not judged{{end}}</span></p>
</header>
{{if .NotJudged}}
<section id="candidates" aria-label="Candidates for the server">
<h2>Candidates for the {{.ServerName}} ({{len .R.Server.Candidates}})</h2>
{{- if .R.Server.Candidates}}
<table>
<thead><tr><th>#</th><th>Address</th><th>Score</th><th>Evidence</th></tr></thead>
<tbody>{{range $i, $c := .R.Server.Candidates}}<tr data-candidate="{{.Address}}"><td class="nw">{{inc $i}}</td><td class="nw"><code>{{.Address}}</code></td><td class="nw">{{.Score}}</td><td><ul>{{range .Evidence}}<li>{{.}}</li>{{end}}</ul></td></tr>{{end}}</tbody>
</table>
{{- else}}
<p class="muted">No address shows the matrix's evidence of being the server.</p>
{{- end}}
{{- with .R.Server.Advice}}
<p class="advice" id="advice">{{.}}</p>
{{- end}}
</section>
{{end}}
<section aria-label="Diagram">
<h2>Connections</h2>
<svg id="diagram" role="img" aria-label="The {{.ServerName}} and its documented connections, coloured and labelled by status" viewBox="0 0 {{f .Width}} {{f .Height}}" width="100%" style="max-width:{{f .Width}}px">
{{- range .Groups}}{{$g := .}}
  {{- range .Rules}}
  <line class="edge {{.Class}}" data-rule="{{.ID}}" data-status="{{.Status}}" x1="{{f $.ServerX}}" y1="{{f $.ServerY}}" x2="{{f .AX}}" y2="{{f .AY}}" stroke-width="2"/>
  {{- end}}
{{- end}}
{{- range .Unexpected}}
  <line class="edge unexp" x1="{{f $.ServerX}}" y1="{{f $.ServerY}}" x2="{{f $.ServerX}}" y2="{{f (index $.UnexpBox 1)}}" stroke-width="2"/>
{{- end}}
  <g class="node" data-node="server">
  <rect class="server box" x="{{f (index .ServerBox 0)}}" y="{{f (index .ServerBox 1)}}" width="{{f (index .ServerBox 2)}}" height="{{f (index .ServerBox 3)}}" rx="8"/>
  {{- range $i, $l := .ServerLines}}
  <text{{if lt $i $.TitleLines}} class="title"{{end}} x="{{f $.ServerX}}" y="{{f (add (index $.ServerBox 1) (add 22 (mul $i 15)))}}" text-anchor="middle">{{$l}}</text>
  {{- end}}
  </g>
{{- range .Groups}}{{$g := .}}
  <g class="group" data-group="{{.Title}}">
  <rect class="box" x="{{f .X}}" y="{{f .Y}}" width="{{f .W}}" height="{{f .H}}" rx="6"/>
  <text class="title" x="{{f (add .X 10)}}" y="{{f (add .Y 18)}}">{{.Title}}</text>
  {{- range .Rules}}
  <text x="{{f (add $g.X 10)}}" y="{{f (add .Y 4)}}" class="{{.Class}}" data-rule="{{.ID}}" data-status="{{.Status}}">{{.Mark}}</text>
  {{- $r := .}}{{range $i, $l := .Label}}
  <text x="{{f (add $g.X $.LabelDX)}}" y="{{f (add $r.Y (add 4 (mul $i 15)))}}">{{$l}}</text>
  {{- end}}
  {{- end}}
  </g>
{{- end}}
  <g class="group" data-group="unexpected">
  <rect class="box" x="{{f (index .UnexpBox 0)}}" y="{{f (index .UnexpBox 1)}}" width="{{f (index .UnexpBox 2)}}" height="{{f (index .UnexpBox 3)}}" rx="6"/>
  <text class="title unexpected" x="{{f (add (index .UnexpBox 0) 10)}}" y="{{f (add (index .UnexpBox 1) 18)}}">Unexpected traffic ({{count (len .R.Unexpected) "group"}})</text>
  {{- range .Unexpected}}{{$u := .}}
  {{- range $i, $l := .Lines}}
  <text x="{{f (add (index $.UnexpBox 0) (add 10 (mul (min1 $i) 10)))}}" y="{{f (add $u.Y (add 4 (mul $i 15)))}}">{{$l}}</text>
  {{- end}}
  {{- else}}
  {{- if .NotJudged}}
  <text x="{{f (add (index $.UnexpBox 0) 10)}}" y="{{f (add (index $.UnexpBox 1) 40)}}" class="idle">– not judged</text>
  {{- else}}
  <text x="{{f (add (index $.UnexpBox 0) 10)}}" y="{{f (add (index $.UnexpBox 1) 40)}}" class="ok">✓ none</text>
  {{- end}}
  {{- end}}
  {{- if .UnexpMore}}<text x="{{f (add (index $.UnexpBox 0) 10)}}" y="{{f (add (index $.UnexpBox 1) (sub (index $.UnexpBox 3) 10))}}" class="muted">… and {{.UnexpMore}} more</text>{{end}}
  </g>
</svg>
</section>

<section>
<h2>Rules</h2>
<table>
<thead><tr><th>Rule</th><th>Direction</th><th>Protocol</th><th>Ports</th><th>Status</th><th>Flows</th><th>Peers</th><th>Seen</th><th>Description</th></tr></thead>
<tbody>
{{- range .R.Rules}}
<tr data-rule="{{.ID}}"><td class="nw"><code>{{.ID}}</code></td><td class="nw">{{.Direction}}</td><td class="nw">{{upper .Transport}}</td><td class="nw">{{.Ports}}</td>
{{if $.NotJudged}}<td class="st idle">– not judged</td>{{else}}<td class="st {{class .Status}}">{{mark .Status}} {{.Status}}</td>{{end}}<td class="nw">{{.Flows}}</td>
<td class="peers">{{range .Peers}}<div><span class="{{class .Status}}">{{mark .Status}}</span> {{.Label}} ({{.Flows}})</div>{{end}}{{range .Missing}}<div class="bad">✗ {{$.R.PeerLabel .}} (never tried)</div>{{end}}</td>
<td>{{range $p, $n := .Protocols}}{{$p}}: {{$n}} {{end}}</td>
<td>{{.Description}}{{if .Reason}}<div class="muted">{{.Reason}}</div>{{end}}{{range .Evidence}}<div class="muted">{{.}}</div>{{end}}</td></tr>
{{- end}}
</tbody>
</table>
</section>

<section>
<h2>Blocked attempts ({{len .R.Blocked}})</h2>
{{if .R.Blocked}}<table>
<thead><tr><th>Rule</th><th>Initiator</th><th>Responder</th><th>Reason</th><th>Attempts</th><th>First</th></tr></thead>
<tbody>{{range .R.Blocked}}<tr><td class="nw"><code>{{.Rule}}</code></td><td>{{.InitiatorLabel}}</td><td>{{.ResponderLabel}}</td><td class="bad">{{.Reason}}{{if .ICMP}}: {{.ICMP}}{{else if .ICMPCode}} (ICMP code {{.ICMPCode}}){{end}}</td><td class="nw">{{.Attempts}}</td><td class="nw">{{.First}}</td></tr>{{end}}</tbody>
</table>{{else if .NotJudged}}<p class="idle">– not judged</p>{{else}}<p class="ok">✓ none</p>{{end}}
</section>

<section>
<h2>Unexpected traffic ({{len .R.Unexpected}} groups)</h2>
{{if .R.Unexpected}}<table>
<thead><tr><th>Direction</th><th>Protocol</th><th>Port</th><th>Peer</th><th>Recognised</th><th>Flows</th><th>Failed</th><th>First</th><th>Hint</th></tr></thead>
<tbody>{{range .R.Unexpected}}<tr><td class="nw">{{.Direction}}</td><td class="nw">{{upper .Transport}}</td><td class="nw">{{.Port}}</td><td>{{.PeerLabel}}</td><td>{{.Protocol}}</td><td class="nw">{{.Flows}}</td><td class="nw">{{.Failed}}</td><td class="nw">{{.First}}</td><td>{{.Hint}}</td></tr>{{end}}</tbody>
</table>{{else if .NotJudged}}<p class="idle">– not judged</p>{{else}}<p class="ok">✓ none</p>{{end}}
</section>
{{if .R.Scans}}
<section>
<h2>Scans ({{len .R.Scans}})</h2>
<table>
<thead><tr><th>Scan</th><th>Protocol</th><th>Ports</th><th>Answered</th><th>Folded flows</th><th>First</th><th>Last</th></tr></thead>
<tbody>{{range .R.Scans}}<tr><td class="bad">{{.Line}}</td><td class="nw">{{upper .Transport}}</td><td>{{.PortList}}</td><td class="nw">{{.Answered}} of {{.Tried}}</td><td class="nw">{{.Folded}}</td><td class="nw">{{.First}}</td><td class="nw">{{.Last}}</td></tr>{{end}}</tbody>
</table>
</section>
{{end}}
{{if .Timeline}}<section>
<h2>Timeline</h2>
<p class="muted">Flows per rule over the capture, by start time ({{.R.Timeline.Start}} – {{.R.Timeline.End}}, {{.R.Timeline.Buckets}} slices).</p>
<table class="tl">
{{- range .Timeline}}
<tr><td><code>{{.ID}}</code></td><td><svg width="480" height="20" role="img" aria-label="flows of {{.ID}} over time"><g class="{{if eq .Status "unexpected"}}unexpected{{else}}{{class .Status}}{{end}}">{{range .Bars}}{{if .N}}<rect x="{{f .X}}" y="{{f .Y}}" width="8" height="{{f .H}}"><title>{{count .N "flow"}}</title></rect>{{end}}{{end}}</g><line x1="0" y1="19.5" x2="480" y2="19.5" stroke="currentColor" stroke-opacity="0.2"/></svg></td></tr>
{{- end}}
</table>
</section>{{end}}

<section>
<h2>Inputs and warnings</h2>
<table>
<thead><tr><th>Input</th><th>Format</th><th>Link types</th><th>Packets</th><th>Drops</th><th>State</th></tr></thead>
<tbody>{{range .R.Inputs}}<tr><td>{{.Name}}</td><td class="nw">{{.Format}}</td><td>{{range .LinkTypes}}{{.}} {{end}}</td><td class="nw">{{.Packets}}</td><td class="nw">{{.Drops}}</td><td>{{if .Damaged}}<span class="bad">✗ damaged at byte {{.DamageAt}}</span>{{else}}<span class="ok">✓ read</span>{{end}}{{range .Warnings}}<div class="muted">{{.}}</div>{{end}}</td></tr>{{end}}</tbody>
</table>
{{range .R.Warnings}}<p class="warn">! {{.}}</p>{{end}}
<p class="muted">Summary: {{.R.Summary.Flows}} flows ({{.R.Summary.Allowed}} allowed, {{if .R.Summary.Unconfirmed}}{{.R.Summary.Unconfirmed}} unconfirmed, {{end}}{{.R.Summary.Ignored}} ignored, {{.R.Summary.Transit}} transit, {{.R.Summary.Local}} local), {{.R.Summary.Evicted}} evicted, {{.R.Summary.Dropped}} dropped, {{.R.Summary.Guessed}} seen mid-stream.</p>
</section>
<script>
// Records the drawn size of the diagram, so a headless browser test can
// tell that it rendered. Nothing is fetched.
(function () {
  var s = document.getElementById("diagram");
  if (s) { var b = s.getBoundingClientRect(); s.setAttribute("data-rendered", Math.round(b.width) + "x" + Math.round(b.height)); }
})();
</script>
</body>
</html>
`
