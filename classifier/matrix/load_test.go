package matrix

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestDefaultMatrix(t *testing.T) {
	m, err := Load(LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id       string
		dir      Direction
		proto    uint8
		ports    string
		required bool
	}{
		{"syslog-in", Inbound, UDP, "10000", true},
		{"amqp-in", Inbound, TCP, "10001", true},
		{"console-8080", Bidirectional, TCP, "8080", false},
		{"access-analyzer-8080", Bidirectional, TCP, "8080", false},
		{"postgresql-out", Outbound, TCP, "5435,5439", false},
		{"kerberos-out", Outbound, TCP, "88", true},
		{"rpc-epm-out", Outbound, TCP, "135", true},
		{"ldap-out", Outbound, TCP, "389", true},
		{"adws-out", Outbound, TCP, "9389", true},
		{"rpc-dynamic-out", Outbound, TCP, "49152-65535", true},
		{"action-service-out", Outbound, TCP, "8080", false},
	}
	if len(m.Rules) != len(want) {
		t.Fatalf("%d rules, want %d", len(m.Rules), len(want))
	}
	for i, w := range want {
		r := m.Rules[i]
		if r.ID != w.id || r.Direction != w.dir || r.Transport != w.proto || r.Ports.String() != w.ports || r.Required != w.required {
			t.Errorf("rule %d = %s %s %d %s %v, want %+v", i, r.ID, r.Direction, r.Transport, r.Ports, r.Required, w)
		}
	}
	if !m.Rules[4].Local || m.Rules[9].Learn != LearnEPM {
		t.Error("postgresql-out must allow local traffic and rpc-dynamic-out learn from the endpoint mapper")
	}
	if !m.ServerAuto || m.Limits.MaxFlows != 1000000 || m.Limits.TCPTimeout != 5*time.Minute {
		t.Errorf("server auto=%v limits %+v", m.ServerAuto, m.Limits)
	}
	if len(m.Roles) != 7 {
		t.Errorf("%d roles", len(m.Roles))
	}
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "matrix.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigOverridesInOrder(t *testing.T) {
	file := writeConfig(t, "server: 192.0.2.10\nroles:\n  domain-controllers: [192.0.2.20, 192.0.2.0/28]\nflows:\n  max_flows: 5000\n")
	m, err := Load(LoadOptions{ConfigFile: file})
	if err != nil {
		t.Fatal(err)
	}
	if m.ServerAuto || len(m.Server) != 1 || m.Server[0].String() != "192.0.2.10" || len(m.Roles["domain-controllers"].Prefixes) != 2 || m.Limits.MaxFlows != 5000 {
		t.Fatalf("file not applied: %+v %+v", m.Server, m.Limits)
	}
	if len(m.Rules) != 11 {
		t.Fatalf("a file without rules must keep the default rules, got %d", len(m.Rules))
	}
	// Environment beats the file, flags beat the environment.
	env := []string{"FLOWVERIFY_SERVER=198.51.100.1,198.51.100.2", "FLOWVERIFY_FLOWS_MAX_FLOWS=77", "FLOWVERIFY_ROLES_ACTION_SERVICE_SERVERS=203.0.113.5", "PATH=/bin"}
	m, err = Load(LoadOptions{ConfigFile: file, Environ: env})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Server) != 2 || m.Limits.MaxFlows != 77 || len(m.Roles["action-service-servers"].Prefixes) != 1 {
		t.Fatalf("environment not applied: %v %d", m.Server, m.Limits.MaxFlows)
	}
	m, err = Load(LoadOptions{ConfigFile: file, Environ: env, Server: []string{"auto"}, FailOn: []string{"missing"}})
	if err != nil {
		t.Fatal(err)
	}
	if !m.ServerAuto || m.ServerFrom != ServerFromFlag || !m.FailsOn(FindingMissing) || m.FailsOn(FindingUnexpected) {
		t.Fatalf("flags not applied: auto=%v from=%s failOn=%v", m.ServerAuto, m.ServerFrom, m.FailOn)
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	rule := func(extra string) string {
		return "rules:\n  - id: x\n    direction: inbound\n    transport: tcp\n    ports: \"1\"\n" + extra
	}
	cases := []struct {
		name, body, wantKey string
	}{
		{"unknown top-level key", "sever: 1.2.3.4\n", "sever"},
		{"unknown rule key", rule("    portz: 5\n"), "portz"},
		{"bad CIDR", "roles:\n  domain-controllers: [10.0.0.0/33]\n", "roles.domain-controllers"},
		{"bad address", "roles:\n  domain-controllers: [dc01]\n", "roles.domain-controllers"},
		{"port 0", "rules:\n  - id: x\n    direction: inbound\n    transport: tcp\n    ports: \"0\"\n", "rules[x].ports"},
		{"port too big", "rules:\n  - id: x\n    direction: inbound\n    transport: tcp\n    ports: \"70000\"\n", "rules[x].ports"},
		{"reversed range", "rules:\n  - id: x\n    direction: inbound\n    transport: tcp\n    ports: \"200-100\"\n", "rules[x].ports"},
		{"duplicate id", rule("  - id: x\n    direction: inbound\n    transport: tcp\n    ports: \"2\"\n"), "rules[x].id"},
		{"undefined role", rule("    role: [auditors]\n"), "rules[x].role"},
		{"bad transport", "rules:\n  - id: x\n    direction: inbound\n    transport: sctp\n    ports: \"1\"\n", "rules[x].transport"},
		{"bad direction", "rules:\n  - id: x\n    direction: sideways\n    transport: tcp\n    ports: \"1\"\n", "rules[x].direction"},
		{"one_way on a TCP rule", rule("    one_way: true\n"), "rules[x].one_way"},
		{"one_way not a boolean", rule("    one_way: sometimes\n"), "one_way"},
		{"strict_range without learn", rule("    strict_range: true\n"), "rules[x].strict_range"},
		{"bad fail_on", "fail_on: [everything]\n", "fail_on"},
		{"bad server", "server: [not-an-ip]\n", "server"},
		{"invalid YAML", "rules: [\n", "YAML"},
		// Names reach reports and firewall scripts: nothing that could
		// break out of a quote there.
		{"rule id with a shell command", "rules:\n  - id: 'a\" & calc.exe & \"b'\n    direction: inbound\n    transport: tcp\n    ports: \"1\"\n", "a name is letters"},
		{"rule id with a newline", "rules:\n  - id: \"a\\nb\"\n    direction: inbound\n    transport: tcp\n    ports: \"1\"\n", "].id"},
		{"role name with a space", "roles:\n  bad role: [10.0.0.1]\n", "roles.bad role"},
		{"ignore id with a quote", "ignore:\n  - id: \"x'y\"\n    transport: udp\n    ports: \"53\"\n", "ignore[0].id"},
		// Every flow is tested against the ranges: a matrix of thousands
		// would slow every packet.
		{"too many port ranges", "rules:\n  - id: x\n    direction: inbound\n    transport: tcp\n    ports: \"" + strings.Repeat("7,", 2000) + "8\"\n", "rules[x].ports"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(LoadOptions{ConfigFile: writeConfig(t, c.body)})
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.wantKey) || !strings.Contains(err.Error(), "matrix.yaml") {
				t.Fatalf("error %q does not name %q and the file", err, c.wantKey)
			}
		})
	}
	if _, err := Load(LoadOptions{Environ: []string{"FLOWVERIFY_SERVR=1.2.3.4"}}); err == nil || !strings.Contains(err.Error(), "FLOWVERIFY_SERVR") {
		t.Fatalf("unknown environment variable: %v", err)
	}
	if _, err := Load(LoadOptions{Roles: map[string][]string{"auditors": {"10.0.0.1"}}}); err == nil || !strings.Contains(err.Error(), "auditors") {
		t.Fatalf("unknown role flag: %v", err)
	}
}

func TestParsePorts(t *testing.T) {
	ok := map[string]string{"88": "88", "5435, 5439": "5435,5439", "49152-65535": "49152-65535", "1,3-4": "1,3-4"}
	for in, want := range ok {
		p, err := parsePorts(in)
		if err != nil || p.String() != want {
			t.Errorf("%q -> %v %v", in, p, err)
		}
	}
	for _, bad := range []string{"", "0", "65536", "a", "5-3", "1-", "-1"} {
		if _, err := parsePorts(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzLoadConfig(f *testing.F) {
	f.Add("server: 192.0.2.10\nroles:\n  domain-controllers: [192.0.2.20]\n")
	f.Add("rules:\n  - id: x\n    direction: inbound\n    transport: tcp\n    ports: \"1-2\"\n    role: [console-clients]\n")
	f.Add("flows: {max_flows: 10, tcp_timeout: 1s}\nfail_on: none\n")
	f.Fuzz(func(t *testing.T, body string) {
		p := filepath.Join(t.TempDir(), "m.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		m, err := Load(LoadOptions{ConfigFile: p})
		if err == nil && m == nil {
			t.Fatal("nil matrix without error")
		}
		if err == nil {
			for _, r := range m.Rules {
				if len(r.Ports) == 0 {
					t.Fatalf("rule %s without ports", r.ID)
				}
			}
		}
	})
}

// loadProfiles loads the two shipped profiles: the default and the later
// matrix's.
func loadProfiles(t *testing.T) (def, v3 *Matrix) {
	t.Helper()
	def, err := Load(LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v3, err = Load(LoadOptions{Profile: "threatmanager-3.0"})
	if err != nil {
		t.Fatal(err)
	}
	return def, v3
}

func TestShippedProfiles(t *testing.T) {
	def, v3 := loadProfiles(t)
	if def.Profile != "threatmanager" || v3.Profile != "threatmanager-3.0" || v3.Name != "threatmanager-3.0" {
		t.Fatalf("profiles %q %q", def.Profile, v3.Profile)
	}
	type row struct {
		dir              Direction
		proto            uint8
		ports, roles, ap string
		required, local  bool
		learn            string
		oneWay           bool
	}
	rows := func(m *Matrix) map[string]row {
		out := map[string]row{}
		for _, r := range m.Rules {
			out[r.ID] = row{r.Direction, r.Transport, r.Ports.String(), strings.Join(r.Roles, ","), strings.Join(r.Protocols, ","), r.Required, r.Local, r.Learn.String(), r.OneWay}
		}
		return out
	}
	a, b := rows(def), rows(v3)
	// Exactly what the vendor's later page changes (vendor-notes.md).
	changed := map[string]bool{}
	for id, ra := range a {
		rb, ok := b[id]
		switch {
		case !ok:
			t.Errorf("3.0 lacks %s", id)
		case ra != rb:
			changed[id] = true
			if id != "postgresql-out" || rb.ports != "5432" || ra.ports != "5435,5439" {
				t.Errorf("%s differs: %+v vs %+v", id, ra, rb)
			}
			ra.ports = rb.ports
			if ra != rb {
				t.Errorf("%s differs beyond its ports", id)
			}
		}
	}
	var added []string
	for id := range b {
		if _, ok := a[id]; !ok {
			added = append(added, id)
		}
	}
	sort.Strings(added)
	if strings.Join(added, ",") != "app-services-local,ldaps-out" || len(changed) != 1 {
		t.Fatalf("added %v, changed %v", added, changed)
	}
	for id, m := range map[string]map[string]row{"threatmanager": a, "threatmanager-3.0": b} {
		// Agents stream syslog and nothing answers: the profiles say so,
		// and only there.
		for rid, r := range m {
			if r.oneWay != (rid == "syslog-in") {
				t.Errorf("%s: %s one_way = %v", id, rid, r.oneWay)
			}
		}
	}
	if l := b["ldaps-out"]; l.dir != Outbound || l.ports != "636" || l.roles != "domain-controllers" || l.proto != TCP {
		t.Errorf("ldaps-out %+v", l)
	}
	if l := b["app-services-local"]; l.dir != Local || l.ports != "55555-55557" || !l.local {
		t.Errorf("app-services-local %+v", l)
	}
	if _, err := Load(LoadOptions{Profile: "threatmanager-9"}); err == nil || !strings.Contains(err.Error(), "threatmanager-3.0") {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestExtendsMergesByID(t *testing.T) {
	file := writeConfig(t, `extends: threatmanager-3.0
name: site-a
roles:
  domain-controllers: [192.0.2.21, 192.0.2.22]
rules:
  - id: adws-out
    required: false
  - id: winrm-out
    description: Remote management of the domain controllers
    direction: outbound
    transport: tcp
    ports: "5985"
    role: [domain-controllers]
remove_rules: [action-service-out]
`)
	m, err := Load(LoadOptions{ConfigFile: file})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Rule{}
	for _, r := range m.Rules {
		byID[r.ID] = r
	}
	if m.Profile != "threatmanager-3.0" || m.Name != "site-a" {
		t.Fatalf("profile %s name %s", m.Profile, m.Name)
	}
	if r := byID["adws-out"]; r.Required || r.Ports.String() != "9389" || r.Direction != Outbound {
		t.Errorf("adws-out override lost fields: %+v", r)
	}
	if _, ok := byID["winrm-out"]; !ok {
		t.Error("winrm-out not added")
	}
	if _, ok := byID["action-service-out"]; ok {
		t.Error("action-service-out not removed")
	}
	if byID["postgresql-out"].Ports.String() != "5432" || len(m.Roles["domain-controllers"].Prefixes) != 2 {
		t.Error("profile or roles not applied")
	}
	if _, err := Load(LoadOptions{ConfigFile: file, Profile: "threatmanager"}); err == nil || !strings.Contains(err.Error(), "extends") {
		t.Errorf("conflicting --profile: %v", err)
	}
	bad := writeConfig(t, "remove_rules: [nope]\n")
	if _, err := Load(LoadOptions{ConfigFile: bad}); err == nil || !strings.Contains(err.Error(), "remove_rules") {
		t.Errorf("removing an unknown rule: %v", err)
	}
}

func TestConfigErrorsNameTheLine(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"unknown key", "server: auto\nsever: 1.2.3.4\n", "matrix.yaml:2: "},
		{"unknown rule key", "rules:\n  - id: kerberos-out\n    portz: 88\n", "matrix.yaml:3: "},
		{"bad CIDR", "roles:\n  domain-controllers: [10.0.0.0/33]\n", "matrix.yaml:2: roles.domain-controllers"},
		{"bad port", "server: auto\nrules:\n  - id: x\n    direction: inbound\n    transport: tcp\n    ports: \"0\"\n", "matrix.yaml:6: rules[x].ports"},
		{"override of a known rule", "rules:\n  - id: ldap-out\n    ports: \"70000\"\n", "matrix.yaml:3: rules[ldap-out].ports"},
		{"invalid YAML", "rules:\n  - id: x\n   bad indent: [\n", "line"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(LoadOptions{ConfigFile: writeConfig(t, c.body)})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v does not carry %q", err, c.want)
			}
		})
	}
	big := writeConfig(t, "# "+strings.Repeat("x", 2<<20)+"\n")
	if _, err := Load(LoadOptions{ConfigFile: big}); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("huge file: %v", err)
	}
}

// TestConfigErrorsNameTheRule: an error about a layer's value names the
// file, the line and the rule by its id as the user wrote them, not the
// rule's place among every layer's rules; an unknown key at any level
// gets the closest known one.
func TestConfigErrorsNameTheRule(t *testing.T) {
	const winrm = "  - id: winrm-out\n    direction: outbound\n    transport: tcp\n    ports: \"5985\"\n"
	for _, c := range []struct {
		name, body string
		env        []string
		want       string // the message after the file's name
	}{
		{"bad type in a rule key", "server: auto\nrules:\n" + winrm + "    one_way: sometimes\n", nil,
			`:7: rules[winrm-out].one_way: "sometimes" is not true or false`},
		{"a number that is not one", "rules:\n" + winrm + "    evidence: lots\n", nil,
			`:6: rules[winrm-out].evidence: "lots" is not a whole number`},
		{"a list for a scalar", "rules:\n  - id: ldap-out\n    description:\n      - a\n", nil,
			`:3: rules[ldap-out].description: a list given; want text`},
		{"bad value in an override", "rules:\n  - id: ldap-out\n    ports: \"70000\"\n", nil,
			`:3: rules[ldap-out].ports: port 70000 is outside 1-65535`},
		{"bad value in a new rule", "rules:\n" + strings.Replace(winrm, "outbound", "sideways", 1), nil,
			`:3: rules[winrm-out].direction: "sideways" is not inbound, outbound, bidirectional or local`},
		{"unknown key inside a rule", "rules:\n  - id: kerberos-out\n  - id: ldap-out\n    portz: 389\n", nil,
			`:4: rules[ldap-out].portz: unknown key; did you mean ports?`},
		{"unknown key with nothing close", "rules:\n  - id: ldap-out\n    colour: blue\n", nil,
			`:3: rules[ldap-out].colour: unknown key (known: description, direction, evidence, id, learn, local, one_way, part, ports, protocol, required, role, service, strict_range, transport)`},
		{"unknown top-level key", "server: auto\nsever: 1.2.3.4\n", nil, `:2: sever: unknown key; did you mean server?`},
		{"unknown site key", "site:\n  prodcut: X\n", nil, `:2: site.prodcut: unknown key; did you mean product?`},
		{"unknown key in a site group", "site:\n  groups:\n    - name: Box\n      rolse: [console-clients]\n", nil,
			`:4: site.groups[Box].rolse: unknown key; did you mean roles?`},
		{"unknown hint key", "hints:\n  - {transport: tcp, ports: \"1\", txt: x}\n", nil, `:2: hints[0].txt: unknown key; did you mean text?`},
		{"unknown flows key", "flows:\n  max_flow: 5\n", nil, `:2: flows.max_flow: unknown key; did you mean max_flows?`},
		{"unknown ignore key", "ignore:\n  - {id: dns, transport: udp, port: \"53\"}\n", nil, `:2: ignore[dns].port: unknown key; did you mean ports?`},
		{"a bad duration", "flows:\n  tcp_timeout: 5 minutes\n", nil, `:2: flows.tcp_timeout: "5 minutes" is not a duration such as 90s, 5m or 1h`},
		{"rules not a list", "rules: 5\n", nil, `:1: rules: "5" given; want a list of entries`},
		{"keys in any case, as the decoder reads them", "Server: auto\nrules:\n  - ID: ldap-out\n    Portz: 389\n", nil,
			`:4: rules[ldap-out].Portz: unknown key; did you mean ports?`},
		// A required key left out is missing, not the bad value "".
		{"rule without a direction", "rules:\n  - id: winrm-out\n    transport: tcp\n    ports: \"5985\"\n", nil,
			`:2: rules[winrm-out].direction is required: one of inbound, outbound, bidirectional or local`},
		{"rule without ports", "rules:\n  - id: winrm-out\n    direction: outbound\n    transport: tcp\n", nil,
			`:2: rules[winrm-out].ports is required: a port, a list or a range, such as 88, 5435,5439 or 49152-65535`},
		{"rule without an id", "rules:\n  - direction: outbound\n", nil,
			`:2: rules[0].id is required: a file's entry names the one it adds or replaces by its id`},
		{"ignore entry without a transport", "ignore:\n  - {id: dns, ports: \"53\"}\n", nil, `:2: ignore[dns].transport is required: tcp or udp`},
		{"site group without a side", "site:\n  groups:\n    - name: Box\n      roles: [console-clients]\n", nil,
			`:3: site.groups[Box].side is required: left or right`},
		{"site group without a name", "site:\n  groups:\n    - side: left\n", nil,
			`:3: site.groups[0].name is required: the box's title, as the diagram shows it`},
		{"site part without looks_like", "site:\n  parts:\n    - name: dc\n", nil,
			`:3: site.parts[dc].looks_like is required: what a host playing this part looks like, in words`},
		{"site part without a name", "site:\n  parts:\n    - looks_like: x\n", nil,
			`:3: site.parts[0].name is required: a name of letters, digits, '.', '_' and '-'`},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := writeConfig(t, c.body)
			_, err := Load(LoadOptions{ConfigFile: file, Environ: c.env})
			if err == nil || err.Error() != file+c.want {
				t.Fatalf("error\n  %v\nwant\n  %s%s", err, file, c.want)
			}
		})
	}
}

// TestEnvironmentValuesAreChecked: a variable's value is checked as the
// file's would be, and the error names the variable.
func TestEnvironmentValuesAreChecked(t *testing.T) {
	for _, c := range []struct{ env, want string }{
		{"FLOWVERIFY_FLOWS_MAX_FLOWS=many", `environment: FLOWVERIFY_FLOWS_MAX_FLOWS: "many" is not a whole number`},
		{"FLOWVERIFY_FLOWS_TCP_TIMEOUT=5", `environment: FLOWVERIFY_FLOWS_TCP_TIMEOUT: "5" is not a duration such as 90s, 5m or 1h`},
		{"FLOWVERIFY_RULES=x", `environment: FLOWVERIFY_RULES: rules is not a scalar key or a list; a file sets it`},
		{"FLOWVERIFY_FLOWS_MAX_FLOWS=-1", `environment: FLOWVERIFY_FLOWS_MAX_FLOWS: must not be negative`},
	} {
		_, err := Load(LoadOptions{Environ: []string{c.env}})
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %s", c.env, err, c.want)
		}
	}
	m, err := Load(LoadOptions{Environ: []string{"FLOWVERIFY_FLOWS_TCP_TIMEOUT=90s", "FLOWVERIFY_FLOWS_MAX_FLOWS=0x10"}})
	if err != nil || m.Limits.TCPTimeout != 90*time.Second || m.Limits.MaxFlows != 16 {
		t.Fatalf("good values: %v %+v", err, m)
	}
}

// YAML's anchors and merge keys are read as the decoder reads them: the
// keys they bring in are checked, and only those.
func TestConfigAnchorsAreChecked(t *testing.T) {
	base := "x-out: &out {direction: outbound, transport: tcp}\nx-lab: &lab {role: [domain-controllers]}\n"
	good := "rules:\n  - <<: [*out, *lab]\n    id: winrm-out\n    ports: \"5985\"\n"
	// The anchors' own keys are unknown at the top level: they are put
	// under a rule instead.
	if _, err := Load(LoadOptions{ConfigFile: writeConfig(t, base+good)}); err == nil || !strings.Contains(err.Error(), ":1: x-out: unknown key") {
		t.Fatalf("anchors at the top: %v", err)
	}
	file := writeConfig(t, "rules:\n  - &w {id: winrm-out, direction: outbound, transport: tcp, ports: \"5985\"}\n  - <<: *w\n    id: winrm-https-out\n    ports: \"5986\"\n")
	m, err := Load(LoadOptions{ConfigFile: file})
	if err != nil {
		t.Fatal(err)
	}
	if r := m.Rules[len(m.Rules)-1]; r.ID != "winrm-https-out" || r.Direction != Outbound || r.Ports.String() != "5986" {
		t.Errorf("merged rule %+v", r)
	}
	bad := writeConfig(t, "rules:\n  - &w {id: winrm-out, direction: outbound, transport: tcp, ports: \"5985\", portz: 1}\n  - <<: *w\n    id: y\n")
	if _, err := Load(LoadOptions{ConfigFile: bad}); err == nil || !strings.HasSuffix(err.Error(), ":2: rules[winrm-out].portz: unknown key; did you mean ports?") {
		t.Fatalf("unknown key in an anchor: %v", err)
	}
}
