package matrix

import (
	"slices"
	"strings"
	"testing"
)

// The shipped profiles carry the site model that Go code used to: the
// diagram's boxes, the inventory's parts, the evidence of the server (the
// very kinds and words inference always used) and the dynamic range.
func TestShippedSiteModel(t *testing.T) {
	def, v3 := loadProfiles(t)
	for _, m := range []*Matrix{def, v3} {
		profile := m.Profile
		s := m.Site
		if s.ServerLabel() != "Threat Manager server" || s.ServerHost != "tm" || s.DynamicPorts.String() != "49152-65535" {
			t.Errorf("%s: site %q %q %s", profile, s.ServerLabel(), s.ServerHost, s.DynamicPorts)
		}
		var boxes []string
		for _, g := range s.Groups {
			boxes = append(boxes, g.Name)
		}
		if strings.Join(boxes, "|") != "Agents|Consoles and Access Analyzer|Database|Domain controllers|Action Service" || !s.Groups[0].Left || s.Groups[2].Left {
			t.Errorf("%s: groups %v", profile, s.Groups)
		}
		// Every role is drawn in a box, and every rule that reaches
		// another host names its part.
		for _, role := range m.RoleOrder {
			if !slices.ContainsFunc(s.Groups, func(g DiagramGroup) bool { return slices.Contains(g.Roles, role) }) {
				t.Errorf("%s: role %s is in no diagram group", profile, role)
			}
		}
		for _, r := range m.Rules {
			if (r.Part == "") != (r.Direction == Local) {
				t.Errorf("%s: rule %s has part %q", profile, r.ID, r.Part)
			}
		}
		var kinds []string
		for _, e := range m.ServerEvidence() {
			kinds = append(kinds, e.Text)
		}
		want := "receives syslog on udp/10000|receives AMQP on tcp/10001|serves tcp/8080|opens tcp/8080|opens Kerberos tcp/88|opens the RPC endpoint mapper tcp/135|opens LDAP tcp/389|opens AD Web Services tcp/9389|" +
			"opens PostgreSQL tcp/5432|opens PostgreSQL tcp/5435|opens PostgreSQL tcp/5439|opens Kerberos udp/88|opens LDAPS tcp/636|opens the global catalog tcp/3268|" +
			"opens the global catalog tcp/3269|opens CLDAP udp/389|opens SMB tcp/445|opens DNS udp/53|receives syslog on tcp/10000"
		if strings.Join(kinds, "|") != want {
			t.Errorf("%s: evidence\n%s, want\n%s", profile, strings.Join(kinds, "|"), want)
		}
		if got := m.NoEvidence(); got != "no address receives udp/10000, tcp/10001 or tcp/8080, and none opens tcp/88, 135, 389 or 9389" {
			t.Errorf("%s: %q", profile, got)
		}
	}
}

// A profile's hints come before the protocols' and are that profile's:
// the later matrix's ports are hints in the default profile, rules in
// threatmanager-3.0.
func TestHintsArePerProfile(t *testing.T) {
	def, v3 := loadProfiles(t)
	for _, c := range []struct {
		m         *Matrix
		proto     uint8
		port      uint16
		dir       Direction
		want      string
		forbidden string
	}{
		{def, TCP, 636, Outbound, "LDAPS: listed in the later Threat Manager matrix", ""},
		{v3, TCP, 636, Inbound, "documented outbound (ldaps-out)", "later"},
		{def, TCP, 5432, Outbound, "the later matrix (threatmanager-3.0) uses 5432", ""},
		{v3, TCP, 5435, Outbound, "earlier matrix", "later"},
		{def, TCP, 55557, Inbound, "Event/Job Service", ""},
		{v3, TCP, 55557, Inbound, "documented local (app-services-local)", "later"},
		{def, UDP, 514, Inbound, "agents send to udp/10000", ""},
		{def, TCP, 3269, Outbound, "global catalog", ""}, // the protocols' word, where the profile says none
		{def, TCP, 50123, Outbound, "not attributable to rpc-dynamic-out", ""},
		{def, TCP, 40000, Outbound, "", "attributable"}, // below the dynamic range
	} {
		got := c.m.Hint(c.proto, c.port, c.dir)
		if !strings.Contains(got, c.want) || c.want == "" && got != "" || c.forbidden != "" && strings.Contains(got, c.forbidden) {
			t.Errorf("%s %s %d %s: %q, want %q", c.m.Profile, TransportName(c.proto), c.port, c.dir, got, c.want)
		}
	}
}

// Every new key is checked as the others are: a bad value is an error
// naming the key and the file, with the line and a suggestion where one
// helps.
func TestSiteKeysNameTheKey(t *testing.T) {
	rule := func(extra string) string {
		return "rules:\n  - id: x\n    direction: outbound\n    transport: tcp\n    ports: \"7\"\n" + extra
	}
	for _, c := range []struct {
		name, body string
		want       []string
	}{
		{"server_host with a space", "site:\n  server_host: my server\n", []string{"site.server_host", "a name is"}},
		{"dynamic_ports not ports", "site:\n  dynamic_ports: high\n", []string{"matrix.yaml:2: site.dynamic_ports", "not a port"}},
		{"dynamic_ports two ranges", "site:\n  dynamic_ports: \"1024-5000,49152-65535\"\n", []string{"site.dynamic_ports", "2 ranges"}},
		{"group without a name", "site:\n  groups:\n    - side: left\n", []string{"site.groups[0].name", "is required"}},
		{"group on no side", "site:\n  groups:\n    - name: Box\n      side: up\n      roles: [console-clients]\n", []string{"matrix.yaml:4: site.groups[Box].side", "left or right"}},
		{"group of a misspelt role", "site:\n  groups:\n    - name: Box\n      side: left\n      roles: [console-client]\n", []string{"site.groups[Box].roles", "did you mean console-clients"}},
		{"role in two groups", "site:\n  groups:\n    - {name: A, side: left, roles: [console-clients]}\n    - {name: B, side: right, roles: [console-clients]}\n", []string{"site.groups[B].roles", "in group \"A\""}},
		{"duplicate group", "site:\n  groups:\n    - {name: A, side: left}\n    - {name: A, side: right}\n", []string{"site.groups[A].name", "duplicate"}},
		{"part with a bad name", "site:\n  parts:\n    - {name: \"d c\", looks_like: a host}\n", []string{"site.parts[0].name"}},
		{"part without words", "site:\n  parts:\n    - {name: dc}\n", []string{"site.parts[dc].looks_like", "is required"}},
		{"unknown site key", "site:\n  prodcut: X\n", []string{"prodcut"}},
		{"rule of an unknown part", rule("    part: dcs\n"), []string{"matrix.yaml:6: rules[x].part", "did you mean dc"}},
		{"negative evidence", rule("    evidence: -1\n"), []string{"rules[x].evidence", "0 (none) or more"}},
		{"evidence not a number", rule("    evidence: lots\n"), []string{"evidence"}},
		{"evidence on a learned row", "rules:\n  - id: rpc-dynamic-out\n    evidence: 1\n", []string{"rules[rpc-dynamic-out].evidence", "learned"}},
		{"evidence on a local row", "rules:\n  - id: y\n    direction: local\n    transport: tcp\n    ports: \"7\"\n    evidence: 1\n", []string{"rules[y].evidence", "local"}},
		{"evidence on too many ports", strings.Replace(rule("    evidence: 1\n"), "\"7\"", "\"7-40\"", 1), []string{"rules[x].evidence", "more than 32"}},
		{"misspelt protocol", rule("    protocol: [ldpa]\n"), []string{"matrix.yaml:6: rules[x].protocol", "unknown protocol \"ldpa\"", "did you mean ldap"}},
		{"hint of a bad transport", "hints:\n  - {transport: sctp, ports: \"1\", text: x}\n", []string{"matrix.yaml:2: hints[0].transport"}},
		{"hint without ports", "hints:\n  - {transport: tcp, text: x}\n", []string{"hints[0].ports"}},
		{"hint without text", "hints:\n  - {transport: tcp, ports: \"1\"}\n", []string{"hints[0].text", "missing"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(LoadOptions{ConfigFile: writeConfig(t, c.body)})
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range append(c.want, "matrix.yaml") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// Good values are taken as given, and a matrix may leave the site out:
// reports then speak of "the server", and nothing depends on a range.
func TestSiteKeysApplied(t *testing.T) {
	file := writeConfig(t, `site:
  product: Acme Vault
  server_host: vault
  dynamic_ports: "1025-5000"
  groups:
    - {name: Directory, side: RIGHT, roles: "domain-controllers, postgresql-servers"}
  # A list replaces the profile's whole: the profile's rules name
  # these parts too.
  parts:
    - {name: ldap, looks_like: "a directory server (answers LDAP)"}
    - {name: dc, looks_like: a domain controller}
    - {name: agent, looks_like: an agent}
    - {name: console, looks_like: a console}
    - {name: db, looks_like: a database}
    - {name: action, looks_like: an action host}
rules:
  - id: ldap-out
    part: ldap
    evidence: 3
    service: the directory
hints:
  - {transport: udp, ports: "7000-7002", text: the vault's cluster traffic}
`)
	m, err := Load(LoadOptions{ConfigFile: file})
	if err != nil {
		t.Fatal(err)
	}
	s := m.Site
	if s.ServerLabel() != "Acme Vault server" || s.ServerHost != "vault" || !s.inDynamicRange(1025) || !s.OutsideDynamicRange(5001) {
		t.Errorf("site %+v", s)
	}
	if len(s.Groups) != 1 || s.Groups[0].Left || strings.Join(s.Groups[0].Roles, ",") != "domain-controllers,postgresql-servers" {
		t.Errorf("groups %+v", s.Groups)
	}
	if len(s.Parts) != 6 || s.Parts[0].Name != "ldap" {
		t.Errorf("parts %+v", s.Parts)
	}
	var ldap ServerEvidence
	for _, e := range m.ServerEvidence() {
		if e.Port == 389 && e.Transport == TCP {
			ldap = e
		}
	}
	if ldap.Weight != 3 || ldap.Responder || ldap.Text != "opens the directory tcp/389" {
		t.Errorf("evidence %+v", ldap)
	}
	if h := m.Hint(UDP, 7001, Inbound); h != "the vault's cluster traffic" {
		t.Errorf("hint %q", h)
	}
	if h := m.Hint(TCP, 50123, Outbound); h != "" {
		t.Errorf("a port outside the site's dynamic range is no RPC endpoint: %q", h)
	}

	bare := writeConfig(t, "site: {}\nhints: []\nrules:\n  - id: syslog-in\n    evidence: 0\n")
	m, err = Load(LoadOptions{ConfigFile: bare})
	if err != nil {
		t.Fatal(err)
	}
	// site: {} keeps the profile's keys (a mapping merges key by key).
	if m.Site.ServerLabel() != "Threat Manager server" || len(m.hints) != 0 || len(m.ServerEvidence()) != 18 {
		t.Errorf("site %+v, %d hints, %d kinds", m.Site, len(m.hints), len(m.ServerEvidence()))
	}
	var none Site
	if none.ServerLabel() != "server" || none.OutsideDynamicRange(1) || none.inDynamicRange(50000) {
		t.Error("an empty site must speak of the server and know no range")
	}
}

// The environment may set every role of the profile, whatever its name,
// also one the profile lists empty.
func TestEnvironmentSetsTheProfilesRoles(t *testing.T) {
	profile := []byte("name: p\nserver: auto\nroles:\n  auditors: []\nrules:\n  - id: audit-in\n    direction: inbound\n    transport: tcp\n    ports: \"7\"\n    role: [auditors]\n")
	m, err := Load(LoadOptions{ProfileData: profile, Profile: "p", Environ: []string{"FLOWVERIFY_ROLES_AUDITORS=192.0.2.7"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := m.Roles["auditors"]; r == nil || len(r.Prefixes) != 1 {
		t.Fatalf("auditors %+v", r)
	}
	_, err = Load(LoadOptions{ProfileData: profile, Profile: "p", Environ: []string{"FLOWVERIFY_ROLES_AUDITOR=192.0.2.7"}})
	if err == nil || !strings.Contains(err.Error(), "did you mean FLOWVERIFY_ROLES_AUDITORS") {
		t.Fatalf("misspelt role variable: %v", err)
	}
	// The default profile's role variables are no longer a list in Go.
	if _, err := Load(LoadOptions{ProfileData: profile, Profile: "p", Environ: []string{"FLOWVERIFY_ROLES_DOMAIN_CONTROLLERS=192.0.2.7"}}); err == nil {
		t.Fatal("a role this profile does not have was set")
	}
}
