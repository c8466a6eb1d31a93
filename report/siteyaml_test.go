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

// A site described under -c FILE is written as one file with FILE: the
// site's server, hosts and roles replace FILE's, a narrowed rule's role is
// set on FILE's entry of that id, the diagram's boxes replace FILE's, and
// the rest of FILE (rules of its own, removed rules, settings) stays, so
// that the written file loads as FILE's matrix with the site described.
func TestSiteYAMLLaidOverBase(t *testing.T) {
	const custom = `# the site's own rows
name: acme
server: [old]
hosts:
  old: [192.0.2.1]
roles:
  file-servers: [old]
remove_rules: [access-analyzer-8080]
site:
  product: Acme Vault
rules:
  - id: adws-out
    description: AD Web Services, site wording
  - id: smb-out
    direction: outbound
    transport: tcp
    ports: "445"
    role: [file-servers]
`
	groups := &SiteGroups{Groups: []SiteGroup{
		{Name: "Agents", Side: SideLeft, Roles: []string{"activity-monitor-agents"}},
		{Name: "Domain controllers", Side: SideRight, Roles: []string{"domain-controllers", "adws-out-peers"}},
	}}
	for _, c := range []struct {
		name, base string
		keys       []string // top-level keys written, in order
		err        bool
	}{
		{"no file", "", []string{"server", "hosts", "roles", "rules", "site"}, false},
		{"custom file", custom, []string{"server", "hosts", "roles", "rules", "site", "name", "remove_rules"}, false},
		{"file that is no mapping", "- a\n- b\n", nil, true},
		// The configuration leaves out a role the file restricts: the
		// writer refuses rather than leave the file's rule a role of any
		// peer, or no role at all.
		{"role of the file left out", custom, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			inv := siteInventory("day.pcap", "a domain controller")
			inv.Config.Site = groups
			inv.Config.Base = []byte(c.base)
			if c.base == custom && !c.err {
				// As the inventory gives it: the file's members, as
				// addresses (the site's hosts replace the file's).
				inv.Config.Roles["file-servers"] = []string{"192.0.2.1"}
				inv.Config.Kept = []string{"file-servers"}
			}
			var b bytes.Buffer
			err := WriteInventory(&b, inv, "yaml")
			if c.err {
				if err == nil {
					t.Fatalf("wrote\n%s", b.Bytes())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var doc yaml.Node
			if err := yaml.Unmarshal(b.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			var keys []string
			for i, n := range doc.Content[0].Content {
				if i%2 == 0 {
					keys = append(keys, n.Value)
				}
			}
			if !slices.Equal(keys, c.keys) {
				t.Errorf("keys %q, want %q\n%s", keys, c.keys, b.Bytes())
			}
			m := loadSite(t, b.Bytes())
			if len(m.Server) != 1 || m.Server[0].String() != "10.20.0.10" {
				t.Errorf("server %v, want the site's 10.20.0.10", m.Server)
			}
			if m.Site.Groups[1].Roles[1] != "adws-out-peers" {
				t.Errorf("groups %+v: the narrowed rule's role is drawn with no box", m.Site.Groups)
			}
			rules := map[string]matrix.Rule{}
			for _, r := range m.Rules {
				rules[r.ID] = r
			}
			if !slices.Equal(rules["adws-out"].Roles, []string{"adws-out-peers"}) {
				t.Errorf("adws-out has roles %v, want its own", rules["adws-out"].Roles)
			}
			if c.base == "" {
				return
			}
			if rules["adws-out"].Description != "AD Web Services, site wording" || m.Name != "acme" || m.Site.Product != "Acme Vault" {
				t.Errorf("the file's settings are lost: adws-out %q, name %q, product %q", rules["adws-out"].Description, m.Name, m.Site.Product)
			}
			if _, ok := rules["smb-out"]; !ok {
				t.Errorf("the file's own rule smb-out is lost")
			}
			if _, ok := rules["access-analyzer-8080"]; ok {
				t.Errorf("the rule the file removes is back")
			}
			// The capture gave file-servers no member: the file's stays,
			// and says so, or smb-out would pass for any peer.
			if r := m.Roles["file-servers"]; r == nil || fmt.Sprint(r.Prefixes) != "[192.0.2.1/32]" {
				t.Errorf("file-servers is %+v, want the file's 192.0.2.1 alone", r)
			}
			if !bytes.Contains(b.Bytes(), []byte("file-servers: # the matrix's own members, kept")) {
				t.Errorf("the kept role has no word on its line:\n%s", b.Bytes())
			}
			if m.Hosts["old"] != nil {
				t.Errorf("the file's host old is kept beside the site's")
			}
			if !bytes.Contains(b.Bytes(), []byte("# the site's own rows")) {
				t.Errorf("the file's comments are lost:\n%s", b.Bytes())
			}
		})
	}
}

// FuzzUndecidedSiteYAML: without a server, the site file is comments
// alone whatever the input's name and the candidates' evidence hold (a
// line break of any kind, a key): it parses to nothing, and each choice
// uncommented parses to exactly that server.
func FuzzUndecidedSiteYAML(f *testing.F) {
	for _, n := range synth.HostileNames() {
		f.Add(n, "opens LDAP tcp/389 to 2 peers")
		f.Add("day.pcap", n)
	}
	f.Fuzz(func(t *testing.T, input, evidence string) {
		inv := &Inventory{
			Inputs: []Input{{Name: input}},
			Server: Server{Source: matrix.ServerNone, Evidence: []string{evidence},
				Candidates: []Candidate{{Address: "10.20.0.10", Score: 3, Evidence: []string{evidence}}, {Address: "10.20.0.11", Score: 3}}},
			Hosts:     []InventoryHost{{Addresses: []string{"10.20.0.10"}, LooksLike: evidence}},
			Undecided: InventoryUndecided{FileHow: []string{"run hosts " + input}},
		}
		data := siteYAML(t, inv)
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil || v != nil {
			t.Fatalf("an undecided site file holds %v (%v):\n%s", v, err, data)
		}
		for _, addr := range []string{"10.20.0.10", "10.20.0.11"} {
			chosen := bytes.Replace(data, []byte("# server: ["+addr+"]\n"), []byte("server: ["+addr+"]\n"), 1)
			var got map[string][]string
			if err := yaml.Unmarshal(chosen, &got); err != nil || len(got) != 1 || !slices.Equal(got["server"], []string{addr}) {
				t.Fatalf("choosing %s reads %v (%v):\n%s", addr, got, err, chosen)
			}
		}
	})
}

// layOver writes the small site over a matrix file, as the CLI does with
// -c: the site's DC box drawn with the narrowed rule's role.
func layOver(t *testing.T, base string) ([]byte, error) {
	t.Helper()
	inv := siteInventory("day.pcap", "a domain controller")
	inv.Config.Site = &SiteGroups{Groups: []SiteGroup{
		{Name: "Domain controllers", Side: SideRight, Roles: []string{"domain-controllers", "adws-out-peers"}},
	}}
	inv.Config.Base = []byte(base)
	var b bytes.Buffer
	err := WriteInventory(&b, inv, FormatYAML)
	return b.Bytes(), err
}

// The matrix file's keys in another case are the same keys to the
// loader: the site's server, hosts, roles and rules replace or narrow
// them, and the file written loads as the site described, never with the
// file's server or without the site's roles.
func TestSiteYAMLOddCaseKeys(t *testing.T) {
	for _, base := range []string{
		"Server: [192.0.2.99]\nname: acme\n",
		"SERVER: auto\nname: acme\n",
		"name: acme\nRoles:\n  domain-controllers: [192.0.2.50]\n",
		"name: acme\nHOSTS:\n  old: [192.0.2.77]\n",
		"name: acme\nRules:\n  - id: adws-out\n    description: odd case\n",
		"name: acme\nrules:\n  - ID: adws-out\n    Role: [domain-controllers]\n",
		"Extends: threatmanager\nname: acme\n",
	} {
		data, err := layOver(t, base)
		if err != nil {
			t.Errorf("base %q: %v", base, err)
			continue
		}
		m := loadSite(t, data)
		if fmt.Sprint(m.Server) != "[10.20.0.10]" || m.Hosts["old"] != nil || m.Name != "acme" {
			t.Errorf("base %q: server %v, host old %v, name %q; want the site's 10.20.0.10, no old, acme\n%s", base, m.Server, m.Hosts["old"], m.Name, data)
		}
		if r := m.Roles["domain-controllers"]; r == nil || !slices.Equal(r.Members, []string{"dc1"}) {
			t.Errorf("base %q: domain-controllers %+v, want the site's dc1\n%s", base, r, data)
		}
		for _, r := range m.Rules {
			if r.ID == "adws-out" && !slices.Equal(r.Roles, []string{"adws-out-peers"}) {
				t.Errorf("base %q: adws-out has roles %v, want its own\n%s", base, r.Roles, data)
			}
		}
	}
}

// An anchor the matrix file defines in a value the site replaces (its
// server, a role, a narrowed rule's role) still serves the file's
// aliases: the file written loads, with the values the aliases stood for.
func TestSiteYAMLAnchorInReplacedValue(t *testing.T) {
	for _, c := range []struct{ base, description string }{
		{"name: acme\nserver: &srv 192.0.2.99\ndescription: *srv\n", "192.0.2.99"},
		{"name: acme\nhosts:\n  old: [&a 192.0.2.77]\nroles:\n  domain-controllers: [old]\ndescription: *a\n", "192.0.2.77"},
		{"name: acme\nrules:\n  - id: adws-out\n    role: &r [domain-controllers]\n    description: &d AD web\nignore:\n  - {id: ig1, transport: tcp, ports: \"9999\", role: *r}\ndescription: *d\n", "AD web"},
	} {
		data, err := layOver(t, c.base)
		if err != nil {
			t.Errorf("base %q: %v", c.base, err)
			continue
		}
		if m := loadSite(t, data); m.Description != c.description {
			t.Errorf("base %q: description %q, want %q\n%s", c.base, m.Description, c.description, data)
		}
	}
}

// The matrix file's opening comment stays, whether the parser gives it
// to the document or to a first key the site replaces.
func TestSiteYAMLKeepsOpeningComment(t *testing.T) {
	for _, base := range []string{
		"# My site file. Owner: ops.\nserver: [192.0.2.99]\nname: acme\n",
		"# My site file. Owner: ops.\n\nserver: [192.0.2.99]\nname: acme\n",
		"# My site file. Owner: ops.\nroles:\n  domain-controllers: []\n",
	} {
		data, err := layOver(t, base)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "# My site file. Owner: ops.") {
			t.Errorf("base %q: the file's opening comment is lost:\n%s", base, data)
		}
		loadSite(t, data)
	}
}
