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
	ID, Label, Status, Mark, Class string
	Peers                          int
	Y                              float64 // row centre inside the group box
	AX, AY                         float64 // anchor where the edge ends
}

type svgGroup struct {
	Title      string
	X, Y, W, H float64
	Rules      []svgRule
	right      bool
}

type svgUnexpected struct {
	Text string
	Y    float64
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
	v := htmlView{R: r, Width: 1120, ServerX: 560, Server: serverLabel(r), ServerName: r.Matrix.Site.serverLabel()}
	v.ServerTitle = strings.ToUpper(v.ServerName[:1]) + v.ServerName[1:]
	v.Heading = "Traffic against the documented firewall matrix"
	if s := r.Matrix.Site; s != nil && s.Product != "" {
		v.Heading = s.Product + " traffic against the documented firewall matrix"
	}
	v.layoutGroups(r)
	v.layoutUnexpected(r)
	if r.Timeline != nil {
		v.layoutTimeline(r)
	}
	for _, k := range r.shownFindings() {
		v.Findings = append(v.Findings, kv{k.String(), r.Summary.Findings[k]})
	}
	return v
}

// Diagram geometry: a rule's row, a box's title, a box's width.
const rowH, boxHead, boxW = 22.0, 28.0, 370.0

// layoutGroups places the rules' boxes in two columns beside the server,
// which sits at the middle of the taller column.
func (v *htmlView) layoutGroups(r *Report) {
	byGroup := map[string][]Rule{}
	for _, rule := range r.Rules {
		g := r.Matrix.Site.boxOf(rule.Role, rule.Direction)
		byGroup[g] = append(byGroup[g], rule)
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
	column := func(names []string) float64 {
		total := 0.0
		for _, g := range names {
			total += boxHead + rowH*float64(len(byGroup[g])) + 24
		}
		return total
	}
	v.ServerY = math.Max(column(left), column(right))/2 + 20
	v.placeColumn(left, byGroup, 20, false, column(left))
	v.placeColumn(right, byGroup, v.Width-20-boxW, true, column(right))
}

// placeColumn stacks one column's boxes, centred on the server.
func (v *htmlView) placeColumn(names []string, byGroup map[string][]Rule, x float64, isRight bool, total float64) {
	y := math.Max(20, v.ServerY-total/2)
	for _, g := range names {
		rules := byGroup[g]
		h := boxHead + rowH*float64(len(rules)) + 6
		sg := svgGroup{Title: g, X: x, Y: y, W: boxW, H: h, right: isRight}
		for i, rule := range rules {
			class, mark := statusClass(rule.Status)
			ry := y + boxHead + rowH*float64(i) + rowH/2
			ax := x + boxW
			if isRight {
				ax = x
			}
			sg.Rules = append(sg.Rules, svgRule{ID: rule.ID, Status: string(rule.Status), Mark: mark, Class: class, Peers: len(rule.Peers),
				Label: fmt.Sprintf("%s %s %s", strings.ToUpper(rule.Transport), rule.Ports, rule.ID), Y: ry, AX: ax, AY: ry})
		}
		v.Groups = append(v.Groups, sg)
		y += h + 24
	}
	if y > v.Height {
		v.Height = y
	}
}

// layoutUnexpected puts the unexpected traffic in a box of its own under
// the server, eight groups at most.
func (v *htmlView) layoutUnexpected(r *Report) {
	uy := math.Max(v.Height, v.ServerY+140)
	n := 0
	for _, u := range r.Unexpected {
		if n == 8 {
			v.UnexpMore = len(r.Unexpected) - n
			break
		}
		v.Unexpected = append(v.Unexpected, svgUnexpected{Y: uy + 30 + 20*float64(n),
			Text: fmt.Sprintf("%s %s %s %s — %s, %s", u.Direction, strings.ToUpper(u.Transport), u.Service(), u.Peer, u.Protocol, words.Count(u.Flows, "flow"))})
		n++
	}
	rows := len(v.Unexpected)
	if v.UnexpMore > 0 {
		rows++
	}
	if rows == 0 {
		rows = 1
	}
	v.UnexpBox = [4]float64{v.ServerX - 250, uy, 500, 36 + 20*float64(rows)}
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
		"sub":   func(a, b float64) float64 { return a - b },
		"upper": strings.ToUpper,
		"count": func(n int, word string) string { return words.Count(n, word) },
		// The template hands statuses over both as matrix.Status and as
		// plain strings.
		"class":     func(s any) string { c, _ := statusClass(matrix.Status(fmt.Sprint(s))); return c },
		"mark":      func(s any) string { _, m := statusClass(matrix.Status(fmt.Sprint(s))); return m },
		"headclass": func(o matrix.Outcome) string { c, _ := headline(o); return c },
		"headtext":  func(o matrix.Outcome) string { _, t := headline(o); return t },
		"progress":  func(r *Report) string { return r.Progress() },
	}).Parse(htmlSource))
}

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
body { background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
.st, .peers { font-weight: 600; white-space: nowrap; }
.peers { font-weight: 400; }
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
<p class="findings">{{range .Findings}}<span><b>{{.V}}</b> {{.K}}</span>{{end}}<span class="muted">{{.R.Summary.Packets}} packets, {{.R.Summary.Flows}} flows</span></p>
</header>

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
  <rect class="server" x="{{f (sub .ServerX 95)}}" y="{{f (sub .ServerY 32)}}" width="190" height="64" rx="8"/>
  <text class="title" x="{{f .ServerX}}" y="{{f (sub .ServerY 6)}}" text-anchor="middle">{{.ServerTitle}}</text>
  <text x="{{f .ServerX}}" y="{{f (add .ServerY 14)}}" text-anchor="middle">{{.Server}}</text>
{{- range .Groups}}{{$g := .}}
  <g class="group" data-group="{{.Title}}">
  <rect class="box" x="{{f .X}}" y="{{f .Y}}" width="{{f .W}}" height="{{f .H}}" rx="6"/>
  <text class="title" x="{{f (add .X 10)}}" y="{{f (add .Y 18)}}">{{.Title}}</text>
  {{- range .Rules}}
  <text x="{{f (add $g.X 10)}}" y="{{f (add .Y 4)}}" class="{{.Class}}" data-rule="{{.ID}}" data-status="{{.Status}}">{{.Mark}} {{upper .Status}}</text>
  <text x="{{f (add $g.X 92)}}" y="{{f (add .Y 4)}}">{{.Label}} · {{count .Peers "peer"}}</text>
  {{- end}}
  </g>
{{- end}}
  <g class="group" data-group="unexpected">
  <rect class="box" x="{{f (index .UnexpBox 0)}}" y="{{f (index .UnexpBox 1)}}" width="{{f (index .UnexpBox 2)}}" height="{{f (index .UnexpBox 3)}}" rx="6"/>
  <text class="title unexpected" x="{{f (add (index .UnexpBox 0) 10)}}" y="{{f (add (index .UnexpBox 1) 18)}}">Unexpected traffic ({{count (len .R.Unexpected) "group"}})</text>
  {{- range .Unexpected}}
  <text x="{{f (add (index $.UnexpBox 0) 10)}}" y="{{f (add .Y 4)}}">! {{.Text}}</text>
  {{- else}}
  <text x="{{f (add (index $.UnexpBox 0) 10)}}" y="{{f (add (index $.UnexpBox 1) 40)}}" class="ok">✓ none</text>
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
<tr data-rule="{{.ID}}"><td><code>{{.ID}}</code></td><td>{{.Direction}}</td><td>{{upper .Transport}}</td><td>{{.Ports}}</td>
<td class="st {{class .Status}}">{{mark .Status}} {{.Status}}</td><td>{{.Flows}}</td>
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
<tbody>{{range .R.Blocked}}<tr><td><code>{{.Rule}}</code></td><td>{{.Initiator}}</td><td>{{.Responder}}</td><td class="bad">{{.Reason}}{{if .ICMP}}: {{.ICMP}}{{else if .ICMPCode}} (ICMP code {{.ICMPCode}}){{end}}</td><td>{{.Attempts}}</td><td>{{.First}}</td></tr>{{end}}</tbody>
</table>{{else}}<p class="ok">✓ none</p>{{end}}
</section>

<section>
<h2>Unexpected traffic ({{len .R.Unexpected}} groups)</h2>
{{if .R.Unexpected}}<table>
<thead><tr><th>Direction</th><th>Protocol</th><th>Port</th><th>Peer</th><th>Recognised</th><th>Flows</th><th>Failed</th><th>First</th><th>Hint</th></tr></thead>
<tbody>{{range .R.Unexpected}}<tr><td>{{.Direction}}</td><td>{{upper .Transport}}</td><td>{{.Port}}</td><td>{{.Peer}}</td><td>{{.Protocol}}</td><td>{{.Flows}}</td><td>{{.Failed}}</td><td>{{.First}}</td><td>{{.Hint}}</td></tr>{{end}}</tbody>
</table>{{else}}<p class="ok">✓ none</p>{{end}}
</section>
{{if .R.Scans}}
<section>
<h2>Scans ({{len .R.Scans}})</h2>
<table>
<thead><tr><th>Scan</th><th>Protocol</th><th>Ports</th><th>Answered</th><th>Folded flows</th><th>First</th><th>Last</th></tr></thead>
<tbody>{{range .R.Scans}}<tr><td class="bad">{{.Line}}</td><td>{{upper .Transport}}</td><td>{{.PortList}}</td><td>{{.Answered}} of {{.Tried}}</td><td>{{.Folded}}</td><td>{{.First}}</td><td>{{.Last}}</td></tr>{{end}}</tbody>
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
<tbody>{{range .R.Inputs}}<tr><td>{{.Name}}</td><td>{{.Format}}</td><td>{{range .LinkTypes}}{{.}} {{end}}</td><td>{{.Packets}}</td><td>{{.Drops}}</td><td>{{if .Damaged}}<span class="bad">✗ damaged at byte {{.DamageAt}}</span>{{else}}<span class="ok">✓ read</span>{{end}}{{range .Warnings}}<div class="muted">{{.}}</div>{{end}}</td></tr>{{end}}</tbody>
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
