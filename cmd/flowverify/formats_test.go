package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	stdhtml "html"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/report"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/html"
)

// TestFormatGolden walks report.KnownFormats, so a new format without a
// golden fails here instead of being left out of a hand-kept list. JSON's
// golden of the same capture is testdata/golden/failures.golden.json
// (TestGoldenScenarios), the schema every other format is drawn from.
func TestFormatGolden(t *testing.T) {
	for _, format := range report.KnownFormats() {
		if format == report.FormatJSON {
			continue
		}
		t.Run(format, func(t *testing.T) {
			r := flowverify(t, nil, "analyze", "-f", format, "--flows", filepath.Join(scenarioDir, "failures.pcap"))
			if r.code != 1 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := strings.ReplaceAll(r.stdout, scenarioDir+"/", "")
			checkGoldenFile(t, filepath.Join(goldenDir, "formats", "failures."+format), []byte(got))
		})
	}
}

// TestHTMLReport parses the HTML, checks it fetches nothing, names every
// rule, and that the statuses drawn in the SVG are the JSON's.
func TestHTMLReport(t *testing.T) {
	dir := t.TempDir()
	page, js := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.json")
	r := flowverify(t, nil, "analyze", "-o", page, "-o", js, sampleFile)
	if r.code != 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	data, _ := os.ReadFile(page)
	// Well-formed: every non-void element closes, in order.
	z := html.NewTokenizer(bytes.NewReader(data))
	var stack []string
	void := map[string]bool{"meta": true, "br": true, "img": true, "link": true, "input": true, "hr": true}
	svgStatus := map[string][]string{}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		if tt == html.StartTagToken || tt == html.SelfClosingTagToken {
			for _, a := range tok.Attr {
				if (a.Key == "src" || a.Key == "href") && a.Val != "" {
					t.Errorf("<%s %s=%q>: the report must not fetch anything", tok.Data, a.Key, a.Val)
				}
			}
			if tok.Data == "link" {
				t.Error("<link> in a self-contained report")
			}
			if tok.Data == "line" || tok.Data == "text" {
				var rule, status string
				for _, a := range tok.Attr {
					switch a.Key {
					case "data-rule":
						rule = a.Val
					case "data-status":
						status = a.Val
					}
				}
				if rule != "" {
					svgStatus[rule] = append(svgStatus[rule], status)
				}
			}
		}
		switch tt {
		case html.StartTagToken:
			if !void[tok.Data] {
				stack = append(stack, tok.Data)
			}
		case html.EndTagToken:
			if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
				t.Fatalf("</%s> closes %v", tok.Data, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed elements %v", stack)
	}
	var doc reportDoc
	b, _ := os.ReadFile(js)
	json.Unmarshal(b, &doc)
	for _, rule := range doc.Rules {
		st := svgStatus[rule.ID]
		if len(st) != 2 { // the edge and the written status
			t.Errorf("%s drawn %d times in the diagram", rule.ID, len(st))
		}
		for _, s := range st {
			if s != rule.Status {
				t.Errorf("%s: diagram says %s, JSON %s", rule.ID, s, rule.Status)
			}
		}
		if !bytes.Contains(data, []byte(`<code>`+rule.ID+`</code>`)) {
			t.Errorf("%s missing from the rule table", rule.ID)
		}
	}
	for _, want := range []string{"prefers-color-scheme: dark", "@media print", "Unexpected traffic", "Timeline", "Blocked attempts"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestJUnitStructure holds the XML to the JUnit schema's shape that
// Jenkins and GitLab read.
func TestJUnitStructure(t *testing.T) {
	r := flowverify(t, nil, "analyze", "-f", "junit", filepath.Join(scenarioDir, "failures.pcap"))
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Cases    []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("%d suites", len(doc.Suites))
	}
	s := doc.Suites[0]
	fails, skips := 0, 0
	names := map[string]bool{}
	for _, c := range s.Cases {
		if c.Name == "" || c.Classname == "" {
			t.Errorf("test case without name or classname: %+v", c)
		}
		names[c.Name] = true
		if c.Failure != nil {
			fails++
			if c.Failure.Message == "" || c.Failure.Type == "" {
				t.Errorf("failure without message or type in %s", c.Name)
			}
		}
		if c.Skipped != nil {
			skips++
		}
	}
	if s.Tests != len(s.Cases) || s.Failures != fails || s.Skipped != skips || doc.Tests != s.Tests || doc.Failures != fails {
		t.Errorf("counts: suite %d/%d/%d, cases %d/%d/%d", s.Tests, s.Failures, s.Skipped, len(s.Cases), fails, skips)
	}
	if !names["no unexpected traffic"] || !names["ldap-out"] || len(s.Cases) != 12 {
		t.Errorf("cases %v", names)
	}
	if fails != 1 { // failures.pcap: only the unexpected traffic fails
		t.Errorf("%d failures, want 1 (unexpected traffic)", fails)
	}
}

// splitCapture writes a capture's packets into n files by time.
func splitCapture(t *testing.T, src string, dir string, n int) []string {
	t.Helper()
	type pkt struct {
		data []byte
		ts   int64
	}
	s, err := capture.OpenFile(src)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var all []pkt
	for {
		data, ts, _, _, err := s.Next()
		if err != nil {
			break
		}
		all = append(all, pkt{append([]byte(nil), data...), ts})
	}
	var files []string
	per := (len(all) + n - 1) / n
	for i := 0; i < n; i++ {
		name := filepath.Join(dir, "part"+string(rune('1'+i))+".pcap")
		f, _ := os.Create(name)
		w := pcapgo.NewWriterNanos(f)
		w.WriteFileHeader(65536, layers.LinkTypeEthernet)
		for _, p := range all[i*per : min((i+1)*per, len(all))] {
			w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(0, p.ts), CaptureLength: len(p.data), Length: len(p.data)}, p.data)
		}
		f.Close()
		files = append(files, name)
	}
	return files
}

func statuses(d reportDoc) map[string]string {
	out := map[string]string{}
	for _, r := range d.Rules {
		out[r.ID] = r.Status
	}
	return out
}

// TestMergeOfSplitCaptureMatchesWhole splits the sample day in three,
// analyzes each part, merges the reports, and expects the rule statuses of
// the unsplit capture; analyze -j 3 over the folder does the same.
func TestMergeOfSplitCaptureMatchesWhole(t *testing.T) {
	dir := t.TempDir()
	parts := splitCapture(t, sampleFile, dir, 3)
	whole, _ := analyzeJSON(t, "--server", "10.20.0.10", sampleFile)
	var reports []string
	for i, p := range parts {
		out := filepath.Join(dir, "r"+string(rune('1'+i))+".json")
		if r := flowverify(t, nil, "analyze", "--server", "10.20.0.10", "-o", out, p); r.code > 1 {
			t.Fatalf("part %d: %d %s", i, r.code, r.stderr)
		}
		reports = append(reports, out)
	}
	m := flowverify(t, nil, append([]string{"merge", "-f", "json"}, reports...)...)
	var merged reportDoc
	if err := json.Unmarshal([]byte(m.stdout), &merged); err != nil {
		t.Fatalf("merge: %v %s", err, m.stderr)
	}
	want := statuses(whole)
	for id, st := range statuses(merged) {
		if want[id] != st {
			t.Errorf("merged %s = %s, whole capture %s", id, st, want[id])
		}
	}
	if len(merged.Unexpected) != len(whole.Unexpected) {
		t.Errorf("%d unexpected groups merged, %d whole", len(merged.Unexpected), len(whole.Unexpected))
	}
	par, r := analyzeJSON(t, "--server", "10.20.0.10", "-j", "3", dir)
	if r.code != 1 {
		t.Fatalf("-j 3: exit %d %s", r.code, r.stderr)
	}
	for id, st := range statuses(par) {
		if want[id] != st {
			t.Errorf("-j 3: %s = %s, whole %s", id, st, want[id])
		}
	}
}

// TestDiffFlagsRemovedDomainControllerFlow removes the LDAP flow to one
// domain controller from a capture: diff calls it a regression, and passes
// identical inputs.
func TestDiffFlagsRemovedDomainControllerFlow(t *testing.T) {
	dir := t.TempDir()
	src, err := capture.OpenFile(filepath.Join(scenarioDir, "all-good.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pcap")
	f, _ := os.Create(cut)
	w := pcapgo.NewWriter(f)
	w.WriteFileHeader(65536, layers.LinkTypeEthernet)
	dec := capture.NewDecoder()
	dc2 := capture.AddrFromNetip(mustAddr("10.20.0.22"))
	removed := 0
	for {
		data, ts, _, lt, err := src.Next()
		if err != nil {
			break
		}
		var p capture.Packet
		dec.Decode(lt, data, &p)
		if p.Proto == capture.ProtoTCP && ((p.Dst == dc2 && p.DstPort == 389) || (p.Src == dc2 && p.SrcPort == 389)) {
			removed++
			continue
		}
		w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(0, ts), CaptureLength: len(data), Length: len(data)}, data)
	}
	f.Close()
	if removed == 0 {
		t.Fatal("no LDAP packets to 10.20.0.22 in the scenario")
	}
	base, cur := filepath.Join(dir, "base.json"), filepath.Join(dir, "cur.json")
	flowverify(t, nil, "analyze", "-o", base, filepath.Join(scenarioDir, "all-good.pcap"))
	flowverify(t, nil, "analyze", "-o", cur, cut)
	if r := flowverify(t, nil, "diff", base, cur); r.code != 1 || !strings.Contains(r.stdout, "10.20.0.22 no longer seen on ldap-out") {
		t.Fatalf("diff: %d\n%s", r.code, r.stdout)
	}
	if r := flowverify(t, nil, "diff", base, base); r.code != 0 {
		t.Fatalf("identical: %d %s", r.code, r.stdout)
	}
	// analyze --baseline does it in one step.
	if r := flowverify(t, nil, "analyze", "--baseline", base, cut); r.code != 1 || !strings.Contains(r.stderr, "REGRESSION") {
		t.Fatalf("--baseline: %d %s", r.code, r.stderr)
	}
	if r := flowverify(t, nil, "analyze", "--baseline", base, filepath.Join(scenarioDir, "all-good.pcap")); r.code != 0 {
		t.Fatalf("--baseline on the same capture: %d %s", r.code, r.stderr)
	}
}

func TestNoProgressWhenNotATerminal(t *testing.T) {
	r := flowverify(t, nil, "analyze", "--fail-on", "none", sampleFile)
	if r.code != 0 || strings.Contains(r.stderr, "reading") {
		t.Fatalf("stderr %q", r.stderr)
	}
}

// TestBrowserRendersHTML opens the HTML report in headless Chromium (Debian's
// package, installed by make test-deps): the diagram must have a size, the
// screenshot must not be empty, and the console must stay clean.
func TestBrowserRendersHTML(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a browser takes seconds to start (TestHTMLReport checks the page itself)")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed (make test-deps installs it)")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	flowverify(t, nil, "analyze", "-o", page, sampleFile)
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1200,1800",
		"--enable-logging=stderr", "--v=0"}
	// One run takes the screenshot and prints the DOM after the scripts
	// ran; the console goes to stderr.
	shot := filepath.Join(dir, "shot.png")
	cmd := exec.Command(chromium, append(args, "--screenshot="+shot, "--dump-dom", "file://"+page)...)
	var console strings.Builder
	cmd.Stderr = &console
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, console.String())
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
		t.Fatalf("screenshot %v (%v)", st, err)
	}
	for _, l := range strings.Split(console.String(), "\n") {
		if strings.Contains(l, "CONSOLE") && (strings.Contains(l, "rror") || strings.Contains(l, "Uncaught")) {
			t.Errorf("console: %s", l)
		}
	}
	m := regexp.MustCompile(`data-rendered="(\d+)x(\d+)"`).FindSubmatch(dom)
	if m == nil || string(m[1]) == "0" || string(m[2]) == "0" {
		t.Fatalf("the diagram did not render: %q", m)
	}
	if os.Getenv("SCREENSHOT_TO") != "" {
		data, _ := os.ReadFile(shot)
		os.WriteFile(os.Getenv("SCREENSHOT_TO"), data, 0o644)
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// TestParallelEqualsSequential: the pipelined run (-j 2) writes the same
// JSON as the sequential one on every capture in testdata.
func TestParallelEqualsSequential(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/*/*.pcap*")
	if len(files) < 30 {
		t.Fatalf("only %d captures found", len(files))
	}
	for _, f := range files {
		seq := flowverify(t, nil, "analyze", "--server", "10.20.0.10", "--flows", "-f", "json", "-j", "1", f)
		par := flowverify(t, nil, "analyze", "--server", "10.20.0.10", "--flows", "-f", "json", "-j", "2", f)
		if seq.code != par.code || seq.stdout != par.stdout {
			t.Errorf("%s: -j 2 differs from the sequential run (exit %d vs %d):\n%s", f, par.code, seq.code, firstDiff([]byte(seq.stdout), []byte(par.stdout)))
		}
	}
	if r := flowverify(t, nil, "analyze", "-j", "-1", files[0]); r.code != exitUsage || !strings.Contains(r.stderr, "--jobs -1") {
		t.Errorf("-j -1: exit %d, stderr %q; want a usage error naming the flag", r.code, r.stderr)
	}
}

// TestFailureWording: how a rule failed is said the same way in every
// format: refused by RST (a real refusal through NFLOG), no answer (a
// firewall dropping 9389) and an ICMPv6 "administratively prohibited"
// from the router (LDAPS under the 3.0 profile).
func TestFailureWording(t *testing.T) {
	cases := []struct {
		args []string
		rule string
		want string
	}{
		{[]string{"-s", "10.99.1.1", "../../testdata/real/nflog-lab.pcap"}, "adws-out", "refused by RST on the 1 attempt"},
		{[]string{filepath.Join(scenarioDir, "firewall-9389.pcap")}, "adws-out", "no answer to all 2 attempts"},
		{[]string{"-p", "threatmanager-3.0", filepath.Join(scenarioDir, "ipv6.pcap")}, "ldaps-out",
			"unreachable: administratively prohibited (ICMPv6 1/1) from 2001:db8:20::1 on the 1 attempt"},
	}
	for _, c := range cases {
		d, r := analyzeJSON(t, c.args...)
		if st, reason := d.ruleReason(t, c.rule); st != "blocked" || reason != c.want {
			t.Errorf("%v: %s %s %q; want blocked %q (%s)", c.args, c.rule, st, reason, c.want, r.stderr)
		}
		for _, f := range []string{"text", "csv", "markdown", "html", "junit"} {
			out := flowverify(t, nil, append([]string{"analyze", "-q", "-f", f}, c.args...)...)
			if !strings.Contains(stdhtml.UnescapeString(out.stdout), c.want) {
				t.Errorf("%v -f %s does not say %q", c.args, f, c.want)
			}
		}
	}
}
