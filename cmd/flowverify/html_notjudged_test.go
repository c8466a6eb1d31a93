package main

import (
	"encoding/json"
	stdhtml "html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// twoServers is a real not-judged input: two sites' servers show the same
// kinds of evidence, so both are candidates and neither is chosen.
var twoServers = []string{filepath.Join(scenarioDir, "all-good.pcap"), "../../testdata/real/lab-site.pcap"}

// TestHTMLNotJudged: the HTML of a capture without a server says so in a
// neutral headline with the reason, lists every candidate with its score
// and evidence, gives the line to paste that the text report gives, and
// ticks nothing green but the inputs it read.
func TestHTMLNotJudged(t *testing.T) {
	for _, c := range []struct {
		name  string
		files []string
	}{
		{"two-servers", twoServers},
		{"scan, no candidate", []string{filepath.Join(shapesDir, "nmap-scan-tm.pcap")}},
		{"dns only", []string{filepath.Join(pcapDir, "arkime_dns_udp.pcap")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := notJudgedJSON(t, c.files)
			page := flowverify(t, nil, append([]string{"analyze", "-q", "-f", "html"}, c.files...)...).stdout
			text := flowverify(t, nil, append([]string{"analyze", "-q"}, c.files...)...).stdout
			checkNotJudgedPage(t, page, text, d)
		})
	}
}

// notJudgedDoc is what the page is checked against: the JSON's server.
type notJudgedDoc struct {
	Server struct {
		Source     string   `json:"source"`
		Evidence   []string `json:"evidence"`
		Candidates []struct {
			Address  string   `json:"address"`
			Score    int      `json:"score"`
			Evidence []string `json:"evidence"`
		} `json:"candidates"`
	} `json:"server"`
	Inputs []json.RawMessage `json:"inputs"`
}

func notJudgedJSON(t *testing.T, files []string) notJudgedDoc {
	t.Helper()
	r := flowverify(t, nil, append([]string{"analyze", "-q", "-f", "json"}, files...)...)
	var d notJudgedDoc
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || d.Server.Source != "none" {
		t.Fatalf("not a not-judged report (exit %d, %v): %.300s", r.code, err, r.stdout)
	}
	return d
}

var (
	verdictTag = regexp.MustCompile(`<p class="verdict ([a-z]+)">([^<]*)</p>`)
	whyTag     = regexp.MustCompile(`<p class="why" id="why">([^<]*)</p>`)
	adviceTag  = regexp.MustCompile(`<p class="advice" id="advice">([^<]*)</p>`)
)

func checkNotJudgedPage(t *testing.T, page, text string, d notJudgedDoc) {
	t.Helper()
	m := verdictTag.FindStringSubmatch(page)
	if m == nil || m[1] == "ok" || m[1] == "bad" || !strings.Contains(m[2], "Not judged") {
		t.Errorf("headline %q: want a neutral one saying it was not judged", m)
	}
	why := whyTag.FindStringSubmatch(page)
	if why == nil || !strings.Contains(stdhtml.UnescapeString(why[1]), strings.Join(d.Server.Evidence, "; ")) {
		t.Errorf("the headline's reason %q does not give the inference's %q", why, d.Server.Evidence)
	}
	for _, c := range d.Server.Candidates {
		row := regexp.MustCompile(`<tr data-candidate="` + regexp.QuoteMeta(c.Address) + `"><td[^>]*>\d+</td><td[^>]*><code>[^<]*</code></td><td[^>]*>(\d+)</td><td>(.*?)</td></tr>`).FindStringSubmatch(page)
		if row == nil || row[1] != itoa(c.Score) {
			t.Errorf("candidate %s (score %d) not listed with its score: %q", c.Address, c.Score, row)
			continue
		}
		for _, e := range c.Evidence {
			if !strings.Contains(stdhtml.UnescapeString(row[2]), "<li>"+e+"</li>") {
				t.Errorf("candidate %s: evidence %q missing", c.Address, e)
			}
		}
	}
	// The line to paste is the text report's, word for word.
	advice := adviceTag.FindStringSubmatch(page)
	if advice == nil || !strings.Contains(text, stdhtml.UnescapeString(advice[1])) || !strings.Contains(advice[1], "--server") {
		t.Errorf("advice %q: want the text report's --server line", advice)
	}
	// Only "✓ read" on each input may be green: nothing else was judged.
	if ok := strings.Count(page, `class="ok"`); ok != strings.Count(page, `<span class="ok">✓ read</span>`) || ok != len(d.Inputs) {
		t.Errorf("%d green marks for %d inputs read", ok, len(d.Inputs))
	}
	if strings.Contains(page, `class="verdict bad"`) || strings.Contains(page, "Findings</p>") {
		t.Error("a not-judged page calls itself findings")
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// longName is an evidence string no real capture has: one unbroken word
// far wider than any box, the worst a host name or an address list can do.
var longName = "host-" + strings.Repeat("verylongsitename", 24) + ".example.com"

// TestBrowserHTMLLayout renders, in headless Chromium at 1280 px, a
// not-judged report whose first candidate and reason carry a very long
// evidence string, and a judged one whose server and a domain controller
// have 64-character names: a script run in the page measures every box
// (scrollWidth against clientWidth for the HTML, each text's box against
// its frame in the diagram) and the test fails on any overflow. The DOM
// and the screenshot are kept under test-output/ (or $E2E_SCREENSHOTS).
func TestBrowserHTMLLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a browser takes seconds to start (TestHTMLNotJudged checks the page itself)")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed (make test-deps installs it)")
	}
	keep := os.Getenv("E2E_SCREENSHOTS")
	if keep == "" {
		keep = filepath.Join("..", "..", "test-output")
	}
	keep, _ = filepath.Abs(filepath.Join(keep, "html-layout"))
	if err := os.MkdirAll(keep, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		page func(t *testing.T, dir string) string
	}{
		{"not-judged", notJudgedLongPage},
		{"judged-long-names", judgedLongNamesPage},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			page := c.page(t, dir)
			dom := renderChecked(t, chromium, dir, page, filepath.Join(keep, c.name))
			if c.name == "not-judged" && !strings.Contains(dom, `data-candidate="10.20.0.10"`) {
				t.Error("the rendered page lists no candidate")
			}
		})
	}
}

// notJudgedLongPage writes the two-servers report with the long string
// added to its reason and to its first candidate's evidence, rendered by
// merge from the edited JSON.
func notJudgedLongPage(t *testing.T, dir string) string {
	r := flowverify(t, nil, append([]string{"analyze", "-q", "-f", "json"}, twoServers...)...)
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	server := doc["server"].(map[string]any)
	server["evidence"] = append(server["evidence"].([]any), "named "+longName)
	first := server["candidates"].([]any)[0].(map[string]any)
	first["evidence"] = append(first["evidence"].([]any), "opens tcp/8080 to "+longName)
	js := filepath.Join(dir, "long.json")
	b, _ := json.Marshal(doc)
	if err := os.WriteFile(js, b, 0o644); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "report.html")
	if m := flowverify(t, nil, "merge", "-o", page, js); m.code != 2 {
		t.Fatalf("merge: exit %d %s", m.code, m.stderr)
	}
	return page
}

// judgedLongNamesPage judges the lab capture with the lab's site file,
// its server and first domain controller renamed to 64 characters.
func judgedLongNamesPage(t *testing.T, dir string) string {
	site, err := os.ReadFile("../../testdata/real/lab-hosts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tm, dc := "tm-"+strings.Repeat("threatmanagerserver", 4)[:61], "dc-"+strings.Repeat("domaincontroller", 4)[:61]
	s := strings.NewReplacer("\n  tm: ", "\n  "+tm+": ", "server: [tm]", "server: ["+tm+"]",
		"\n  dc: ", "\n  "+dc+": ", "[dc, dc2]", "["+dc+", dc2]").Replace(string(site))
	if !strings.Contains(s, "server: ["+tm+"]") || !strings.Contains(s, "["+dc+", dc2]") {
		t.Fatal("the lab's site file no longer names tm and dc as the test expects")
	}
	yaml, page := filepath.Join(dir, "site.yaml"), filepath.Join(dir, "report.html")
	if err := os.WriteFile(yaml, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := flowverify(t, nil, "analyze", "-q", "-c", yaml, "-o", page, "../../testdata/real/lab-site.pcap"); r.code > 1 {
		t.Fatalf("analyze: exit %d %s", r.code, r.stderr)
	}
	return page
}

// layoutProbe is run in the page after its own script: it measures what
// the browser laid out and writes the result into the DOM as JSON.
const layoutProbe = `<script>
(function () {
  var bad = [], boxes = 0, texts = 0;
  var els = document.body.querySelectorAll("*");
  for (var i = 0; i < els.length; i++) {
    var e = els[i];
    if (e.closest("svg") || getComputedStyle(e).display === "inline") continue;
    boxes++;
    if (e.scrollWidth > e.clientWidth + 1)
      bad.push(e.tagName + (e.id ? "#" + e.id : "") + " " + e.scrollWidth + ">" + e.clientWidth + ": " + e.textContent.slice(0, 80));
  }
  if (document.documentElement.scrollWidth > window.innerWidth)
    bad.push("page " + document.documentElement.scrollWidth + ">" + window.innerWidth);
  var inside = function (b, r) { return b.x >= r.x - 0.5 && b.y >= r.y - 0.5 && b.x + b.width <= r.x + r.width + 0.5 && b.y + b.height <= r.y + r.height + 0.5; };
  var meet = function (a, b) { return a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5 && a.y < b.y + b.height - 0.5 && b.y < a.y + a.height - 0.5; };
  var groups = document.querySelectorAll("#diagram g.group, #diagram g.node");
  for (var g = 0; g < groups.length; g++) {
    var frame = groups[g].querySelector("rect").getBBox(), ts = groups[g].querySelectorAll("text"), bs = [];
    for (var j = 0; j < ts.length; j++) {
      texts++;
      bs.push(ts[j].getBBox());
      if (!inside(bs[j], frame)) bad.push("svg " + (groups[g].dataset.group || groups[g].dataset.node) + ": " + ts[j].textContent + " leaves its box");
      for (var k = 0; k < j; k++)
        if (meet(bs[j], bs[k])) bad.push("svg " + (groups[g].dataset.group || groups[g].dataset.node) + ": " + ts[j].textContent + " overlaps " + ts[k].textContent);
    }
  }
  var colour = function (c) { var s = document.createElement("span"); s.className = c; document.body.appendChild(s); var v = getComputedStyle(s).color; s.remove(); return v; };
  var v = document.querySelector("p.verdict");
  var out = document.createElement("pre");
  out.id = "layout-check";
  out.textContent = JSON.stringify({boxes: boxes, texts: texts, groups: groups.length, bad: bad,
    verdict: v.className, verdictColour: getComputedStyle(v).color, ok: colour("ok"), badColour: colour("bad")});
  document.body.appendChild(out);
})();
</script>
`

// layoutResult is what layoutProbe writes.
type layoutResult struct {
	Boxes, Texts, Groups int
	Bad                  []string
	Verdict              string
	VerdictColour        string
	OK, BadColour        string
}

var layoutTag = regexp.MustCompile(`(?s)<pre id="layout-check">(.*?)</pre>`)

// renderChecked adds the probe to the page, has Chromium take a
// screenshot and dump the DOM at 1280 px, keeps both as keep.png and
// keep.dom.html, and fails on what the probe found.
func renderChecked(t *testing.T, chromium, dir, page, keep string) string {
	t.Helper()
	data, err := os.ReadFile(page)
	if err != nil || !strings.Contains(string(data), "</body>") {
		t.Fatalf("page %s: %v", page, err)
	}
	probed := filepath.Join(dir, "probed.html")
	os.WriteFile(probed, []byte(strings.Replace(string(data), "</body>", layoutProbe+"</body>", 1)), 0o644)
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1280,2400",
		"--hide-scrollbars", "--screenshot=" + keep + ".png", "--dump-dom", "file://" + probed}
	cmd := exec.Command(chromium, args...)
	var console strings.Builder
	cmd.Stderr = &console
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, console.String())
	}
	os.WriteFile(keep+".dom.html", dom, 0o644)
	t.Logf("kept %s.png and %s.dom.html", keep, keep)
	if st, err := os.Stat(keep + ".png"); err != nil || st.Size() < 10000 {
		t.Errorf("screenshot %v (%v)", st, err)
	}
	m := layoutTag.FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the probe did not run:\n%s", console.String())
	}
	var res layoutResult
	if err := json.Unmarshal([]byte(stdhtml.UnescapeString(string(m[1]))), &res); err != nil {
		t.Fatalf("probe output %q: %v", m[1], err)
	}
	// A probe that measured nothing would pass anything.
	if res.Boxes < 50 || res.Texts < 20 || res.Groups < 3 {
		t.Fatalf("the probe measured only %d boxes, %d texts in %d diagram boxes", res.Boxes, res.Texts, res.Groups)
	}
	for _, b := range res.Bad {
		t.Errorf("overflow: %s", b)
	}
	if strings.Contains(string(data), "Not judged") &&
		(strings.Contains(res.Verdict, "ok") || strings.Contains(res.Verdict, "bad") || res.VerdictColour == res.OK || res.VerdictColour == res.BadColour) {
		t.Errorf("a not-judged headline drawn as a verdict: class %q, colour %s (ok %s, bad %s)", res.Verdict, res.VerdictColour, res.OK, res.BadColour)
	}
	return string(dom)
}
