package main

import (
	stdhtml "html"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestGoldenNamedHostsHTML: the HTML names the lab's hosts beside their
// addresses where the other formats do (TestGoldenNamedHosts): in the
// blocked table, the unexpected table and the diagram's unexpected box.
func TestGoldenNamedHostsHTML(t *testing.T) {
	r := flowverify(t, nil, "analyze", "-q", "-c", labHosts, "-f", "html", labSite)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (findings): %s", r.code, r.stderr)
	}
	checkGoldenFile(t, filepath.Join(goldenDir, "hosts", "lab-site.html"), []byte(r.stdout))
	page := stdhtml.UnescapeString(r.stdout)
	for _, c := range []struct{ where, pattern string }{
		{"blocked", `<tr><td class="nw"><code>adws-out</code></td><td>tm \(10\.99\.0\.10:\d+\)</td><td>dc \(10\.99\.0\.21:9389\)</td>`},
		{"unexpected", `<td class="nw">3268</td><td>dc \(10\.99\.0\.21\)</td>`},
		{"diagram", `<text x="[0-9.]+" y="[0-9.]+">! outbound TCP 3268[^<]* dc \(10\.99\.0\.21\)`},
	} {
		if !regexp.MustCompile(c.pattern).MatchString(page) {
			t.Errorf("%s: no named host (%s)", c.where, c.pattern)
		}
	}
	if strings.Contains(page, "<td>10.99.0.21</td>") {
		t.Error("an unexpected row gives dc's address without its name")
	}
}
