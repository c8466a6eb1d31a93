package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
)

// TestGoldenHostsYAML keeps the site file people edit by hand as it reads
// today: header, hosts, roles and the narrowed rules with their comments.
func TestGoldenHostsYAML(t *testing.T) {
	r := flowverify(t, nil, "hosts", "-f", "yaml", sampleFile)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	checkGoldenFile(t, filepath.Join(goldenDir, "hosts", "sample-site.yaml"), []byte(strings.ReplaceAll(r.stdout, sampleFile, "threatmanager-day.pcap")))
}

// TestSiteYAMLRoundTripsHostileNames is the README's three steps (hosts -f
// yaml -o site.yaml; analyze -c site.yaml) on captures whose file and zip
// member names try to break out of the site file: the file loads as the
// profile's matrix plus exactly the hosts, roles, server and narrowed
// rules that 'hosts -f json' says it wrote (no ignore entry added, no
// rule removed), and the verdicts are those of the same capture under a
// benign name. The lab capture has one blocked rule, which an injected
// remove_rules or ignore would have turned into CONFORMS.
func TestSiteYAMLRoundTripsHostileNames(t *testing.T) {
	lab, err := os.ReadFile("../../testdata/real/lab-dual-stack.pcap")
	if err != nil {
		t.Fatal(err)
	}
	var day bytes.Buffer
	if err := synth.Day(1).Write(&day, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	base, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := synth.HostileNames()
	benignNames := make([]string, len(names))
	for i := range names {
		benignNames[i] = fmt.Sprintf("day%02d.pcap", i)
	}

	want := roundTrip(t, base, plainFiles(t, lab, "day.pcap"))
	if want.findings["blocked"] != 1 {
		t.Fatalf("the lab capture should show one blocked rule, shows %v", want.findings)
	}
	wantZip := roundTrip(t, base, zipOf(t, lab, "day.pcap"))
	for i, name := range names {
		t.Run(fmt.Sprintf("name%02d", i), func(t *testing.T) {
			if got := roundTrip(t, base, plainFiles(t, lab, name)); !got.equal(want) {
				t.Errorf("file %q: judged\n%s\nwith a benign name\n%s", name, got, want)
			}
			if got := roundTrip(t, base, zipOf(t, lab, name)); !got.equal(wantZip) {
				t.Errorf("zip member %q: judged\n%s\nwith a benign name\n%s", name, got, wantZip)
			}
		})
	}
	t.Run("another-profile", func(t *testing.T) {
		// A file written against another profile says so (extends), so
		// that analyze -c judges against the rows it was written for.
		p := "threatmanager-3.0"
		base30, err := matrix.Load(matrix.LoadOptions{Profile: p})
		if err != nil {
			t.Fatal(err)
		}
		got, w := roundTrip(t, base30, zipOf(t, lab, names[0]), "-p", p), roundTrip(t, base30, zipOf(t, lab, "day.pcap"), "-p", p)
		if !got.equal(w) {
			t.Errorf("judged\n%s\nwith a benign name\n%s", got, w)
		}
		var mi struct {
			Profile string `json:"profile"`
		}
		if json.Unmarshal([]byte(got.parts["matrix"]), &mi); mi.Profile != p {
			t.Errorf("judged against %s, want the profile %s", got.parts["matrix"], p)
		}
	})
	t.Run("all-at-once", func(t *testing.T) {
		// Every name in one site file: a directory of them, and a zip of
		// the synthetic day under each.
		if got, w := roundTrip(t, base, plainFiles(t, lab, names...)), roundTrip(t, base, plainFiles(t, lab, benignNames...)); !got.equal(w) {
			t.Errorf("directory: judged\n%s\nwith benign names\n%s", got, w)
		}
		if got, w := roundTrip(t, base, zipOf(t, day.Bytes(), names...)), roundTrip(t, base, zipOf(t, day.Bytes(), benignNames...)); !got.equal(w) {
			t.Errorf("zip: judged\n%s\nwith benign names\n%s", got, w)
		}
	})
}

// plainFiles writes data under each name into a directory of its own and
// returns the one argument that reads them: the file, or the directory.
func plainFiles(t *testing.T, data []byte, names ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "in")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), data, 0o600); err != nil {
			t.Fatalf("%q: %v", n, err)
		}
	}
	if len(names) == 1 {
		return filepath.Join(dir, names[0])
	}
	return dir
}

// zipOf writes an archive holding data once under each member name.
func zipOf(t *testing.T, data []byte, names ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "capture.zip")
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// judged is what analyze -c said, without what names the inputs.
type judged struct {
	code     int
	findings map[string]int
	parts    map[string]string // report key -> its JSON
}

func (j judged) equal(o judged) bool {
	return j.code == o.code && reflect.DeepEqual(j.parts, o.parts)
}

func (j judged) String() string {
	keys := make([]string, 0, len(j.parts))
	for k := range j.parts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "exit %d\n", j.code)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, j.parts[k])
	}
	return b.String()
}

// roundTrip runs hosts -f yaml -o site.yaml and analyze -c site.yaml on
// input, checks the site file's matrix against what hosts -f json says
// it describes, and returns the verdicts. hostsFlags are given to hosts
// only: analyze learns everything from the file, as the README's steps
// have it.
func roundTrip(t *testing.T, base *matrix.Matrix, input string, hostsFlags ...string) judged {
	t.Helper()
	site := filepath.Join(t.TempDir(), "site.yaml")
	if r := flowverify(t, nil, append(append([]string{"hosts"}, hostsFlags...), "-f", "yaml", "-o", site, input)...); r.code != 0 {
		t.Fatalf("hosts -f yaml: exit %d: %s", r.code, r.stderr)
	}
	js := flowverify(t, nil, append(append([]string{"hosts"}, hostsFlags...), "-f", "json", input)...)
	var inv struct {
		Config struct {
			Server []string            `json:"server"`
			Hosts  map[string][]string `json:"hosts"`
			Roles  map[string][]string `json:"roles"`
			Rules  []struct {
				ID   string   `json:"id"`
				Role []string `json:"role"`
			} `json:"rules"`
		} `json:"config"`
	}
	if err := json.Unmarshal([]byte(js.stdout), &inv); err != nil {
		t.Fatalf("hosts -f json: exit %d: %v", js.code, err)
	}
	m, err := matrix.Load(matrix.LoadOptions{ConfigFile: site})
	if err != nil {
		data, _ := os.ReadFile(site)
		t.Fatalf("the site file does not load: %v\n%s", err, data)
	}
	narrowed := map[string][]string{}
	for _, r := range inv.Config.Rules {
		narrowed[r.ID] = r.Role
	}
	checkSiteMatrix(t, base, m, inv.Config.Server, inv.Config.Hosts, inv.Config.Roles, narrowed)

	r := flowverify(t, nil, "analyze", "-q", "-f", "json", "-c", site, input)
	if r.code > 1 {
		t.Fatalf("analyze -c: exit %d: %s", r.code, r.stderr)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("analyze -c: %v", err)
	}
	j := judged{code: r.code, parts: map[string]string{}}
	for _, k := range []string{"matrix", "server", "hosts", "rules", "unexpected", "blocked", "summary"} {
		j.parts[k] = string(doc[k])
	}
	var sum struct {
		Findings map[string]int `json:"findings"`
	}
	json.Unmarshal(doc["summary"], &sum)
	j.findings = sum.Findings
	// The matrix's config names the site file, which lies in a fresh
	// directory on every run.
	j.parts["matrix"] = strings.ReplaceAll(j.parts["matrix"], site, "site.yaml")
	return j
}

// checkSiteMatrix compares the loaded site file with the profile, rule by
// rule: every rule of the profile is there, in its order, unchanged but
// for the role of a rule the file narrows; the ignore entries, limits and
// fail-on are the profile's; the hosts are exactly those written, the
// roles the profile's with the written ones replacing theirs, and the
// server the written host.
func checkSiteMatrix(t *testing.T, base, m *matrix.Matrix, server []string, hosts, roles, narrowed map[string][]string) {
	t.Helper()
	if m.Name != base.Name || m.Description != base.Description || m.Profile != base.Profile {
		t.Errorf("matrix %q %q %q, the profile's is %q %q %q", m.Name, m.Description, m.Profile, base.Name, base.Description, base.Profile)
	}
	if !reflect.DeepEqual(m.Limits, base.Limits) || !slices.Equal(m.FailOn, base.FailOn) {
		t.Errorf("limits %+v fail_on %v, the profile's are %+v %v", m.Limits, m.FailOn, base.Limits, base.FailOn)
	}
	if !reflect.DeepEqual(m.Ignore, base.Ignore) {
		t.Errorf("ignore entries %+v, the profile's are %+v", m.Ignore, base.Ignore)
	}
	var ids, baseIDs []string
	for _, r := range m.Rules {
		ids = append(ids, r.ID)
	}
	for _, w := range base.Rules {
		baseIDs = append(baseIDs, w.ID)
	}
	if !slices.Equal(ids, baseIDs) {
		t.Errorf("rules %v, the profile's are %v", ids, baseIDs)
	}
	for _, w := range base.Rules {
		if role, ok := narrowed[w.ID]; ok {
			w.Roles = role
		}
		i := slices.Index(ids, w.ID)
		if i >= 0 && !reflect.DeepEqual(m.Rules[i], w) {
			t.Errorf("rule %s is %+v, want %+v", w.ID, m.Rules[i], w)
		}
	}
	got := map[string][]netip.Addr{}
	for name, h := range m.Hosts {
		got[name] = h.Addrs
	}
	wantHosts := map[string][]netip.Addr{}
	for name, addrs := range hosts {
		for _, a := range addrs {
			wantHosts[name] = append(wantHosts[name], netip.MustParseAddr(a))
		}
	}
	if !reflect.DeepEqual(got, wantHosts) {
		t.Errorf("hosts %v, written %v", got, wantHosts)
	}
	wantRoles := map[string][]string{}
	for name, r := range base.Roles {
		wantRoles[name] = r.Members
	}
	for name, members := range roles {
		wantRoles[name] = members
	}
	gotRoles := map[string][]string{}
	for name, r := range m.Roles {
		gotRoles[name] = r.Members
	}
	if !reflect.DeepEqual(gotRoles, wantRoles) {
		t.Errorf("roles %v, want %v", gotRoles, wantRoles)
	}
	if len(server) != 1 || m.ServerHost != server[0] || !slices.Equal(m.Server, wantHosts[server[0]]) {
		t.Errorf("server %v (host %q), written %v", m.Server, m.ServerHost, server)
	}
}

// TestRulesEscapeTheMatrixText: a matrix file's own text (its
// description, a rule's, an ignore entry's, the file's name) reaches the
// rules command's text and Markdown escaped, as a report's would.
func TestRulesEscapeTheMatrixText(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "site\u2028x.yaml")
	data := "description: \"a\\u2028fail_on: []\\u0085b\"\n" +
		"rules:\n  - id: ldap-out\n    description: \"c\\u2029d|e\"\n" +
		"ignore:\n  - {id: dns, transport: udp, ports: \"53\", description: \"f\\u2028g\"}\n"
	if err := os.WriteFile(cfg, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "markdown"} {
		r := flowverify(t, nil, "rules", "-c", cfg, "-f", format)
		if r.code != 0 {
			t.Fatalf("rules -f %s: exit %d: %s", format, r.code, r.stderr)
		}
		if strings.ContainsAny(r.stdout, "\u2028\u2029\u0085") || !strings.Contains(r.stdout, `a\u2028fail_on`) {
			t.Errorf("rules -f %s:\n%s", format, r.stdout)
		}
	}
}
