package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMisspeltNames: a role, host or profile that nothing defines is an
// error with a did-you-mean, in a file as on a flag or in a variable.
func TestMisspeltNames(t *testing.T) {
	file := filepath.Join(scenarioDir, "all-good.pcap")
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte("roles:\n  domain-controler: [10.20.0.21]\n"), 0o644)
	extends := filepath.Join(dir, "extends.yaml")
	os.WriteFile(extends, []byte("extends: threatmanager-30\n"), 0o644)
	ruleRole := filepath.Join(dir, "rule.yaml")
	os.WriteFile(ruleRole, []byte("rules:\n  - {id: ldap-out, role: [domain-controler]}\n"), 0o644)
	for _, c := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"role in a file", nil, []string{"-c", typo}, "typo.yaml:2: roles.domain-controler: role \"domain-controler\" is used by no rule"},
		{"role on a flag", nil, []string{"--role", "domain-controler=10.1.1.1"}, "did you mean domain-controllers?"},
		{"role in a variable", []string{"FLOWVERIFY_ROLES_DOMAIN_CONTROLER=10.1.1.1"}, nil, "did you mean FLOWVERIFY_ROLES_DOMAIN_CONTROLLERS?"},
		{"role of a rule", nil, []string{"-c", ruleRole}, "role \"domain-controler\" is not defined under roles; did you mean domain-controllers?"},
		{"profile on a flag", nil, []string{"-p", "threatmanger"}, "did you mean threatmanager?"},
		{"profile in a file", nil, []string{"-c", extends}, "did you mean threatmanager-3.0?"},
		{"host in a role", nil, []string{"--host", "dc1=10.20.0.21", "--role", "domain-controllers=dc2"}, "no host \"dc2\" (known: dc1); did you mean dc1?"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := flowverify(t, c.env, append(append([]string{"analyze", "-q"}, c.args...), file)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, c.want)
			}
			if c.name == "role in a file" && !strings.Contains(r.stderr, "did you mean domain-controllers?") {
				t.Errorf("no did-you-mean: %s", r.stderr)
			}
		})
	}
}

// TestHelpListsWhatEachCommandUses: commands that read no traffic take
// no judging flags; defaults and formats are shown; interfaces has a
// header.
func TestHelpListsWhatEachCommandUses(t *testing.T) {
	for _, cmd := range []string{"rules", "firewall"} {
		h := flowverify(t, nil, cmd, "--help").stdout
		for _, flag := range []string{"--fail-on", "--max-flows", "--server", "infer them from the traffic"} {
			if strings.Contains(h, flag) {
				t.Errorf("%s --help offers %s, which it does not use", cmd, flag)
			}
		}
		if r := flowverify(t, nil, cmd, "--fail-on", "all"); r.code != exitUsage {
			t.Errorf("%s accepts --fail-on (exit %d)", cmd, r.code)
		}
	}
	fw := flowverify(t, nil, "firewall", "--help").stdout
	if !strings.Contains(fw, `(default "powershell")`) || !strings.Contains(fw, "[--syntax ") {
		t.Errorf("firewall --help does not show --syntax as optional with its default:\n%s", fw)
	}
	if m := flowverify(t, nil, "merge", "--help").stdout; !strings.Contains(m, "text|json|jsonl|junit|html|csv|flows-csv|markdown") {
		t.Errorf("merge --help does not list its formats:\n%s", m)
	}
	if r := flowverify(t, nil, "interfaces"); r.code == 0 && !strings.HasPrefix(r.stdout, "DEVICE") {
		t.Errorf("interfaces prints no header:\n%s", r.stdout)
	}
}

// TestVariableErrorsNameTheVariable: a bad value from FLOWVERIFY_* is
// blamed on the variable, not on the profile.
func TestVariableErrorsNameTheVariable(t *testing.T) {
	r := flowverify(t, []string{"FLOWVERIFY_FLOWS_MAX_FLOWS=abc"}, "analyze", "-q", filepath.Join(scenarioDir, "all-good.pcap"))
	if r.code != exitUsage || !strings.HasPrefix(r.stderr, "flowverify: environment: FLOWVERIFY_FLOWS_MAX_FLOWS:") {
		t.Errorf("exit %d, %q", r.code, r.stderr)
	}
}
