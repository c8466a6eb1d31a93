package matrix

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// A user's mistakes in a matrix file: each message names file:line, the
// key as written and, where one is close, the name meant.
func TestConfigMistakes(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       []string // each must be in the message
	}{
		// A typo in a known rule id reads as a new rule, which lacks a
		// direction: the message must name the rule meant.
		{"rule id typo", "rules:\n  - id: adws-ot\n    required: false\n",
			[]string{"matrix.yaml:2: rules[adws-ot]: not a rule of the profile (did you mean adws-out?); a new one needs direction, transport and ports"}},
		{"remove_rules id typo", "remove_rules: [adws-ot]\n",
			[]string{`matrix.yaml:1: remove_rules: no rule "adws-ot" to remove; did you mean adws-out?`}},
		{"key given twice", "rules:\n  - id: adws-out\n    required: false\n    required: true\n",
			[]string{"matrix.yaml:4: rules[adws-out].required: given twice (first at line 3)"}},
		{"key given twice in another case", "server: [10.0.0.1]\nSERVER: [10.0.0.2]\n",
			[]string{"matrix.yaml:2: SERVER: given twice (first as server at line 1)"}},
		{"rule key in another case", "rules:\n  - {id: kerberos-out, ports: \"99\", Ports: \"77\"}\n",
			[]string{"matrix.yaml:2: rules[kerberos-out].Ports: given twice (first as ports at line 2)"}},
		{"role given twice", "roles:\n  agents: [10.0.0.1]\n  Agents: [10.0.0.2]\n",
			[]string{"matrix.yaml:3: roles.Agents: given twice (first as agents at line 2)"}},
		{"rule given twice", "rules:\n  - {id: adws-out, required: false}\n  - {id: adws-out, required: true}\n",
			[]string{`matrix.yaml:3: rules[adws-out].id: duplicate id "adws-out" (first at line 2)`}},
		{"part given twice", "site:\n  parts:\n    - {name: dc, looks_like: a DC}\n    - {name: dc, looks_like: a DC}\n",
			[]string{`matrix.yaml:4: site.parts[dc].name: duplicate name "dc" (first at line 3)`}},
		{"id a number", "rules:\n  - {id: 5, direction: inbound, transport: tcp, ports: \"99\"}\n",
			[]string{`matrix.yaml:2: rules[0].id: 5 is not text; quote it ("5")`}},
		{"bad id of a new rule", "rules:\n  - {id: \"a b\", direction: inbound, transport: tcp, ports: \"99\"}\n",
			[]string{`matrix.yaml:2: rules[0].id: "a b": a name is letters`}},
		{"rule id with a dot", "rules:\n  - {id: x.y, direction: inbound, transport: tcp, ports: \"0\"}\n",
			[]string{"matrix.yaml:2: rules[x.y].ports: port 0 is outside 1-65535"}},
		// "port" is as near to "part" as to "ports": the plural wins.
		{"weak evidence port", "site:\n  weak_evidence:\n    - {transport: tcp, port: \"445\", direction: outbound, service: SMB, evidence: 1}\n",
			[]string{"matrix.yaml:3: site.weak_evidence[0].port: unknown key; did you mean ports?"}},
		{"trailing comma in ports", "rules:\n  - id: adws-out\n    ports: \"9389,\"\n",
			[]string{`matrix.yaml:3: rules[adws-out].ports: "9389,": an empty item`}},
		{"range without an end", "rules:\n  - id: adws-out\n    ports: \"9389-\"\n",
			[]string{`matrix.yaml:3: rules[adws-out].ports: "9389-": a range has both ends`}},
		{"bare number as a duration", "flows: {tcp_timeout: 90}\n",
			[]string{"matrix.yaml:1: flows.tcp_timeout: 90 is not a duration: give a unit, such as 90s"}},
		{"a flag as a number", "flows:\n  max_flows: true\n",
			[]string{"matrix.yaml:2: flows.max_flows: true is not a whole number"}},
		{"timeout under a second", "flows:\n  udp_timeout: 10ms\n",
			[]string{"matrix.yaml:2: flows.udp_timeout: 10ms is shorter than 1s"}},
		{"capture point weight near MaxInt", "site:\n  capture_point: {share: 90, min_flows: 10, evidence: 9223372036854775807}\n",
			[]string{"matrix.yaml:2: site.capture_point.evidence: 9223372036854775807: a weight is 0 (none) to 100"}},
		{"rule weight near MaxInt", "rules:\n  - {id: kerberos-out, evidence: 9223372036854775807}\n",
			[]string{"matrix.yaml:2: rules[kerberos-out].evidence: 9223372036854775807: a weight is 0 (none) to 100"}},
		{"weak weight over the bound", "site:\n  weak_evidence:\n    - {transport: tcp, ports: \"445\", direction: outbound, evidence: 101}\n",
			[]string{"matrix.yaml:3: site.weak_evidence[0].evidence: 101: a weak sign's weight is 1 to 100"}},
		{"share without a weight", "site:\n  capture_point: {share: 101}\n",
			[]string{"matrix.yaml:2: site.capture_point.share: 101: the percentage"}},
		{"weak sign without a transport", "site:\n  weak_evidence:\n    - {ports: \"445\", direction: outbound, evidence: 1}\n",
			[]string{"matrix.yaml:3: site.weak_evidence[0].transport is required: tcp or udp"}},
		{"odd case mapping", "name: x\nsite:\n  Capture_Point:\n    share: 101\n    min_flows: 5\n    evidence: 2\n",
			[]string{"matrix.yaml:4: site.capture_point.share"}},
		{"odd case top key", "name: x\nSite:\n  capture_point:\n    share: 101\n    min_flows: 5\n    evidence: 2\n",
			[]string{"matrix.yaml:4: site.capture_point.share"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(LoadOptions{ConfigFile: writeConfig(t, c.body)})
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// The profile's ignore entries are matched as its rules are.
func TestIgnoreIDTypo(t *testing.T) {
	profile := []byte("ignore:\n  - {id: netbios-ns-noise, transport: udp, ports: \"137\"}\n")
	_, err := Load(LoadOptions{ProfileData: profile, ConfigFile: writeConfig(t, "ignore:\n  - id: netbios-ns-nois\n    ports: \"138\"\n")})
	want := "matrix.yaml:2: ignore[netbios-ns-nois]: not an ignore entry of the profile (did you mean netbios-ns-noise?); a new one needs transport and ports"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}
}

// What is not a mistake stays accepted: a known rule overridden without
// the keys a new one needs, a weight of 0, a zero duration (the table's
// default), protocol names in capitals.
func TestConfigNearMistakesLoad(t *testing.T) {
	m, err := Load(LoadOptions{ConfigFile: writeConfig(t, "rules:\n  - id: adws-out\n    required: false\n  - id: ldap-out\n    protocol: [LDAP]\n"+
		"flows: {tcp_timeout: 0, closed_linger: 50ms}\nsite:\n  capture_point: {evidence: 0}\n")})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range m.Rules {
		if r.ID == "ldap-out" && (len(r.Protocols) != 1 || r.Protocols[0] != "ldap") {
			t.Errorf("ldap-out protocols %q, want [ldap]", r.Protocols)
		}
	}
}

// Merge keys that fan out over anchors are checked once per anchor, not
// once per path. Twelve levels of ten would be 10^12 walks: unfixed, the
// test never ends (go test's timeout fails it) where yaml.v3 refuses the
// document at once.
func TestMergeAliasesCheckedOnce(t *testing.T) {
	var lvl func(i int) string
	lvl = func(i int) string {
		if i == 0 {
			return "&l0 {max_flows: 5}"
		}
		return fmt.Sprintf("&l%d {<<: [%s, %s]}", i, lvl(i-1), strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 9), ", "))
	}
	_, err := Load(LoadOptions{ConfigFile: writeConfig(t, "flows: {<<: ["+lvl(12)+"]}\n")})
	if err == nil || !strings.Contains(err.Error(), "not valid YAML: document contains excessive aliasing") {
		t.Errorf("error %v, want yaml.v3's refusal", err)
	}
	// An anchor holding an alias to itself ends too.
	_, err = Load(LoadOptions{ConfigFile: writeConfig(t, "flows: &a {<<: *a}\n")})
	if err == nil || !strings.Contains(err.Error(), "not valid YAML") {
		t.Errorf("self-merge: %v", err)
	}
}

// A variable's bad value keeps its cause as a value, as the file's do.
func TestEnvironmentErrorKeepsCause(t *testing.T) {
	_, err := Load(LoadOptions{Environ: []string{"FLOWVERIFY_FLOWS_MAX_FLOWS=many"}})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Err == nil || ce.Source != "environment" {
		t.Fatalf("%v: want a ConfigError from the environment with its cause", err)
	}
	if want := `environment: FLOWVERIFY_FLOWS_MAX_FLOWS: "many" is not a whole number`; err.Error() != want {
		t.Errorf("%q, want %q", err, want)
	}
}
