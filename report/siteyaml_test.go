package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"gopkg.in/yaml.v3"
)

// siteInventory is a small site as 'hosts' describes it: the server, a DC
// and a rule narrowed to a role of its own, read from one input whose
// name, and the DC's description, are the fuzzer's.
func siteInventory(input, looksLike string) *Inventory {
	return &Inventory{
		Inputs: []Input{{Name: input}},
		Hosts: []InventoryHost{
			{Name: "tm", Addresses: []string{"10.20.0.10"}, LooksLike: "the Threat Manager server"},
			{Name: "dc1", Addresses: []string{"10.20.0.21", "fd00::21"}, LooksLike: looksLike},
		},
		Config: SiteConfig{
			Server: []string{"tm"},
			Hosts:  map[string][]string{"tm": {"10.20.0.10"}, "dc1": {"10.20.0.21", "fd00::21"}},
			Roles:  map[string][]string{"domain-controllers": {"dc1"}, "adws-out-peers": {"dc1"}},
			Rules:  []SiteRule{{ID: "adws-out", Role: []string{"adws-out-peers"}}},
		},
	}
}

// matrixView is everything a loaded matrix judges by, as text: two
// matrices judge alike when their views are equal, and a difference
// reads as the rule, role or host that changed.
func matrixView(m *matrix.Matrix) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name %q description %q profile %q\nserver %v host %q auto %v\nlimits %+v\nfail_on %v\n",
		m.Name, m.Description, m.Profile, m.Server, m.ServerHost, m.ServerAuto, m.Limits, m.FailOn)
	for _, r := range m.Rules {
		fmt.Fprintf(&b, "rule %+v\n", r)
	}
	for _, g := range m.Ignore {
		fmt.Fprintf(&b, "ignore %+v\n", g)
	}
	for _, n := range m.HostOrder {
		fmt.Fprintf(&b, "host %s %v\n", n, m.Hosts[n].Addrs)
	}
	for _, n := range m.RoleOrder {
		fmt.Fprintf(&b, "role %s %v %v\n", n, m.Roles[n].Members, m.Roles[n].Prefixes)
	}
	return b.String()
}

func loadSite(t *testing.T, data []byte) *matrix.Matrix {
	t.Helper()
	path := filepath.Join(t.TempDir(), "site.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := matrix.Load(matrix.LoadOptions{ConfigFile: path})
	if err != nil {
		t.Fatalf("the written site does not load: %v\n%s", err, data)
	}
	return m
}

func siteYAML(t *testing.T, inv *Inventory) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteInventory(&b, inv, "yaml"); err != nil {
		t.Fatalf("writing the site: %v", err)
	}
	return b.Bytes()
}

// FuzzSiteYAML feeds arbitrary input names and host descriptions into the
// site file's writer: the output always parses, has exactly the keys
// server, hosts, roles and rules with the values meant, still names the
// input, and loads as the very matrix a benign name gives.
func FuzzSiteYAML(f *testing.F) {
	for _, n := range synth.HostileNames() {
		f.Add(n, "a domain controller")
		f.Add("day.pcap", n)
	}
	benign := siteInventory("day.pcap", "a domain controller")
	var want string
	f.Fuzz(func(t *testing.T, input, looksLike string) {
		if want == "" {
			want = matrixView(loadSite(t, siteYAML(t, benign)))
		}
		inv := siteInventory(input, looksLike)
		data := siteYAML(t, inv)
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("does not parse: %v\n%s", err, data)
		}
		var keys []string
		for i, n := range doc.Content[0].Content {
			if i%2 == 0 {
				keys = append(keys, n.Value)
			}
		}
		if !slices.Equal(keys, []string{"server", "hosts", "roles", "rules"}) {
			t.Fatalf("keys %q\n%s", keys, data)
		}
		var got SiteConfig
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&got); err != nil {
			t.Fatal(err)
		}
		a, _ := yaml.Marshal(got)
		b, _ := yaml.Marshal(inv.Config)
		if !bytes.Equal(a, b) {
			t.Fatalf("decodes to\n%s\nmeant\n%s", a, b)
		}
		if !bytes.Contains(data, []byte("#   from "+printable(input)+"\n")) {
			t.Errorf("the input is not named on a comment line of its own:\n%s", data)
		}
		if m := matrixView(loadSite(t, data)); m != want {
			t.Fatalf("loads as\n%s\nwant\n%s", m, want)
		}
	})
}
