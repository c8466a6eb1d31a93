package classifier_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/configs"
	"github.com/flowverify/flowverify/internal/testcaps"
	"github.com/flowverify/flowverify/report"
)

// siteFileOf is the site file the inventory of the sample day writes
// when the site is described with the matrix file custom (-c), and the
// matrix the file loads as.
func siteFileOf(t *testing.T, custom []byte) ([]byte, *matrix.Matrix) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "custom.yaml")
	if err := os.WriteFile(file, custom, 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := matrix.Load(matrix.LoadOptions{ConfigFile: file})
	if err != nil {
		t.Fatal(err)
	}
	day, err := os.ReadFile(filepath.Join("..", "testdata", "sample", "threatmanager-day.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := classifier.Inventory(m, testcaps.Sources(t, "day", day), nil, classifier.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.WriteInventory(&b, inv, report.FormatYAML); err != nil {
		t.Fatalf("writing the site file: %v", err)
	}
	site := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(site, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	sm, err := matrix.Load(matrix.LoadOptions{ConfigFile: site})
	if err != nil {
		t.Fatalf("the site file does not load: %v\n%s", err, b.Bytes())
	}
	return b.Bytes(), sm
}

// A matrix file that replaces the profile's rules with rules and roles of
// other names: once the rules that reached only some agents have roles of
// their own, the file's agent roles are used by no rule, and a role no
// rule uses that the profile does not declare does not load. The site
// file leaves them out (and out of the diagram) and loads, every rule of
// the file judged with the roles the site gives it.
func TestSiteFileUnderRenamedMatrix(t *testing.T) {
	profile, err := configs.Lookup(configs.Default)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range orig.Rules {
		ids = append(ids, r.ID)
	}
	custom := "remove_rules: [" + strings.Join(ids, ", ") + "]\n" + string(renameProfile(t, profile))
	data, m := siteFileOf(t, []byte(custom))
	for _, name := range m.RoleOrder {
		if strings.HasPrefix(name, rolePrefix) && !slices.ContainsFunc(m.Rules, func(r matrix.Rule) bool { return slices.Contains(r.Roles, name) }) {
			t.Errorf("role %s is written and no rule uses it:\n%s", name, data)
		}
	}
	for _, r := range m.Rules {
		if !strings.HasPrefix(r.ID, rulePrefix) {
			t.Errorf("rule %s, which the file removes, is judged", r.ID)
		}
	}
	for _, g := range m.Site.Groups {
		for _, role := range g.Roles {
			if m.Roles[role] == nil {
				t.Errorf("box %s draws role %s, which the file does not define", g.Name, role)
			}
		}
	}
}
