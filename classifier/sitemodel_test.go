package classifier_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/configs"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
	"github.com/flowverify/flowverify/report"
	"gopkg.in/yaml.v3"
)

// The prefixes the renamed profile puts on every role name and rule id:
// one for both, so that names keep their order among each other (roles
// named after rules, JSON's sorted keys), and found nowhere in a report
// otherwise, so that taking it out again gives the names back.
const rolePrefix, rulePrefix = "x7-", "x7-"

// renameProfile renames every role (its key under roles and every
// reference: rules, ignore entries, diagram groups) and every rule id of
// a profile's YAML.
func renameProfile(t *testing.T, data []byte) []byte {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	top := doc.Content[0]
	renameList := func(entry *yaml.Node, key string) {
		if seq := mapValue(entry, key); seq != nil {
			for _, n := range seq.Content {
				n.Value = rolePrefix + n.Value
			}
		}
	}
	roles := mapValue(top, "roles")
	for i := 0; i < len(roles.Content); i += 2 {
		roles.Content[i].Value = rolePrefix + roles.Content[i].Value
	}
	for _, r := range mapValue(top, "rules").Content {
		mapValue(r, "id").Value = rulePrefix + mapValue(r, "id").Value
		renameList(r, "role")
	}
	for _, g := range mapValue(top, "ignore").Content {
		renameList(g, "role")
	}
	for _, g := range mapValue(mapValue(top, "site"), "groups").Content {
		renameList(g, "roles")
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// siteOutputs are what a matrix's names reach: the JSON report (server
// inference, hints, notes), the HTML diagram and the hosts inventory.
type siteOutputs struct{ report, html, inventory string }

// lineFree is a page without the diagram's geometry and line breaks,
// which follow the names' lengths (the renamed ones are longer).
func lineFree(html string) string {
	return svgBreak.ReplaceAllString(svgGeometry.ReplaceAllString(html, ""), " ")
}

var (
	svgGeometry = regexp.MustCompile(` (x|y|x1|y1|x2|y2|width|height|viewBox)="[^"]*"`)
	svgBreak    = regexp.MustCompile(`</text>\s*<text>`)
)

func siteRun(t *testing.T, m *matrix.Matrix, name string, files [][]byte) (siteOutputs, *report.Report, *report.Inventory) {
	t.Helper()
	r, err := classifier.Analyze(m, testcaps.Sources(t, name, files...), nil, classifier.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	if err := report.WriteHTML(&html, r); err != nil {
		t.Fatal(err)
	}
	inv, err := classifier.Inventory(m, testcaps.Sources(t, name, files...), nil, classifier.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ij, err := json.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	return siteOutputs{string(js), html.String(), string(ij)}, r, inv
}

// The site model is the matrix's: with every role and rule renamed, the
// shipped profiles give the same reports up to the names, diagram boxes,
// inventory parts, server inference and hints included.
func TestRenamedMatrixSameReports(t *testing.T) {
	root := filepath.Join("..", "testdata")
	captures := map[string][]string{
		"day":         {"sample/threatmanager-day.pcap"},
		"all-good":    {"scenarios/all-good.pcap"},
		"failures":    {"scenarios/failures.pcap"},
		"missing-dc":  {"scenarios/missing-dc.pcap"},
		"postgres":    {"scenarios/postgres-5432.pcap"},
		"dual-stack":  {"scenarios/dual-stack.pcap"},
		"midstream":   {"scenarios/midstream.pcap"},
		"lab":         {"real/lab-site.pcap"},
		"no-server":   {"pcaps/arkime_dns_udp.pcap"},
		"two-servers": {"scenarios/all-good.pcap", "real/lab-site.pcap"},
		"hints":       {"scenarios/all-good.pcap"}, // and hintsCapture
	}
	for _, profile := range []string{configs.Default, "threatmanager-3.0"} {
		base, err := configs.Lookup(profile)
		if err != nil {
			t.Fatal(err)
		}
		orig, err := matrix.Load(matrix.LoadOptions{Profile: profile})
		if err != nil {
			t.Fatal(err)
		}
		renamed, err := matrix.Load(matrix.LoadOptions{Profile: profile, ProfileData: renameProfile(t, base)})
		if err != nil {
			t.Fatal(err)
		}
		if renamed.Rules[0].ID != rulePrefix+orig.Rules[0].ID || renamed.Roles[rolePrefix+"domain-controllers"] == nil {
			t.Fatalf("%s: the profile was not renamed: %s", profile, renamed.Rules[0].ID)
		}
		var seen struct{ hints, parts, evidence, boxes, noServer int }
		for name, paths := range captures {
			var files [][]byte
			if name == "hints" {
				files = append(files, hintsCapture(t))
			}
			for _, p := range paths {
				data, err := os.ReadFile(filepath.Join(root, p))
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, data)
			}
			want, r, inv := siteRun(t, orig, name, files)
			got, _, _ := siteRun(t, renamed, name, files)
			if r.Server.Source != matrix.ServerNone && (!strings.Contains(got.report, rulePrefix) || !strings.Contains(got.inventory, rolePrefix)) {
				t.Fatalf("%s/%s: the renamed names reach no report", profile, name)
			}
			if n := leftoverName(orig, got); n != "" {
				t.Errorf("%s/%s: %q, a name of the shipped profile, is written where the renamed matrix has another", profile, name, n)
			}
			undo := strings.NewReplacer(rolePrefix, "")
			for _, c := range []struct{ what, want, got string }{
				{"report", want.report, got.report}, {"html", lineFree(want.html), lineFree(got.html)}, {"inventory", want.inventory, got.inventory},
			} {
				if g := undo.Replace(c.got); g != c.want {
					t.Errorf("%s/%s: the %s differs with the names renamed:\n%s", profile, name, c.what, firstDifference(c.want, g))
				}
			}
			// What the comparison covers is there to compare.
			for _, u := range r.Unexpected {
				if u.Hint != "" {
					seen.hints++
				}
			}
			for _, h := range inv.Hosts {
				if h.LooksLike != "" && h.Name != "" {
					seen.parts++
				}
			}
			seen.evidence += len(r.Server.Evidence)
			seen.boxes += strings.Count(want.html, `data-group="Domain controllers"`)
			if r.Server.Source == matrix.ServerNone {
				seen.noServer++
			}
		}
		if seen.hints == 0 || seen.parts == 0 || seen.evidence == 0 || seen.boxes == 0 || seen.noServer == 0 {
			t.Errorf("%s: the captures show too little of the site model to compare: %+v", profile, seen)
		}
	}
}

// hintsCapture holds the unexpected connections each kind of hint is
// about, next to all-good's server 10.20.0.10: a documented port used the
// other way round, a port a profile's hint names, one the other profile
// lists, and a high port no endpoint mapper named.
func hintsCapture(t *testing.T) []byte {
	c := synth.New(3)
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	server, peer := "10.20.0.10", "10.20.7.7"
	for _, x := range []struct {
		from, to string
		port     uint16
	}{
		{peer, server, 88}, {peer, server, 636}, {server, peer, 5432}, {server, peer, 5435},
		{peer, server, 55555}, {peer, server, 55557}, {server, peer, 50123}, {peer, server, 5672},
	} {
		at = c.TCP(at, synth.EP(x.from, 50001), synth.EP(x.to, x.port), nil, synth.TCPOptions{}).Add(time.Second)
	}
	var buf bytes.Buffer
	if err := c.Write(&buf, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// leftoverName finds a role name or rule id of m in the outputs of the
// renamed matrix other than as part of its renamed self: Go code that
// words a name of its own.
func leftoverName(m *matrix.Matrix, out siteOutputs) string {
	var names []string
	for _, r := range m.Rules {
		names = append(names, r.ID)
	}
	names = append(names, m.RoleOrder...)
	for _, n := range names {
		re := regexp.MustCompile(`(^|[^A-Za-z0-9._-])` + regexp.QuoteMeta(n) + `($|[^A-Za-z0-9._-])`)
		for _, text := range []string{out.report, out.html, out.inventory} {
			if re.MatchString(text) {
				return n
			}
		}
	}
	return ""
}

func firstDifference(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-120)
	return "want …" + a[lo:min(len(a), i+120)] + "…\ngot  …" + b[lo:min(len(b), i+120)] + "…"
}
