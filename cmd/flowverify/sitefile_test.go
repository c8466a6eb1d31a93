package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/configs"
)

// The site file 'hosts -f yaml' writes gives a rule that reached only
// some of its role's members a role of its own; analyzed with it (the
// README's analyst journey), those rules must stay in their diagram box:
// the Agents box of the sample day holds syslog-in and amqp-in, both
// narrowed.
func TestSiteFileKeepsDiagram(t *testing.T) {
	dir := t.TempDir()
	site := filepath.Join(dir, "site.yaml")
	if r := flowverify(t, nil, "hosts", "-f", "yaml", "-o", site, sampleFile); r.code != 0 {
		t.Fatalf("hosts: exit %d: %s", r.code, r.stderr)
	}
	page := filepath.Join(dir, "r.html")
	if r := flowverify(t, nil, "analyze", "-c", site, "-o", page, sampleFile); r.code > 1 {
		t.Fatalf("analyze: exit %d: %s", r.code, r.stderr)
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), ">Agents<") {
		t.Errorf("the diagram of the site file hosts wrote has no Agents box")
	}
	var inv struct {
		Hosts []struct {
			Name  string   `json:"name"`
			Roles []string `json:"roles"`
		} `json:"hosts"`
	}
	r := flowverify(t, nil, "hosts", "-f", "json", sampleFile)
	if err := json.Unmarshal([]byte(r.stdout), &inv); err != nil {
		t.Fatalf("hosts -f json: %v (exit %d: %s)", err, r.code, r.stderr)
	}
	for _, h := range inv.Hosts {
		for _, role := range h.Roles {
			if strings.HasSuffix(role, "-peers") {
				t.Errorf("host %s lists the site file's own role %s, which the matrix does not declare", h.Name, role)
			}
		}
	}
}

// smbRule is a rule no profile has, with a role of its own.
const smbRule = `  - id: smb-out
    description: SMB to the file servers
    direction: outbound
    transport: tcp
    ports: "445"
    role: [file-servers]
    protocol: [smb]
    required: true

`

// A site file written while running with -c FILE is the only -c of the
// analysis that uses it: it must carry the file's rules and settings, so
// that it loads and judges every rule as FILE with --server does.
func TestSiteFileUnderCustomMatrix(t *testing.T) {
	profile, err := configs.Lookup(configs.Default)
	if err != nil {
		t.Fatal(err)
	}
	copied := strings.Replace(string(profile), "rules:\n", "rules:\n"+smbRule, 1)
	copied = strings.Replace(copied, "roles:\n", "roles:\n  file-servers: []\n", 1)
	for _, c := range []struct {
		name, custom string
		rules        []string // that must be judged, and absent
		removed      string
	}{
		{"copy of the profile with one more rule", copied, []string{"smb-out", "syslog-in", "amqp-in"}, ""},
		{"overrides only", "roles:\n  file-servers: []\nremove_rules: [access-analyzer-8080]\nfail_on: [blocked]\n" +
			"rules:\n" + smbRule + "  - id: syslog-in\n    description: syslog from the agents\n  - id: gc-out\n" +
			"    direction: outbound\n    transport: tcp\n    ports: \"3268\"\n    role: [domain-controllers]\n    protocol: [ldap]\n",
			[]string{"smb-out", "gc-out", "syslog-in"}, "access-analyzer-8080"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			custom, site := filepath.Join(dir, "custom.yaml"), filepath.Join(dir, "site.yaml")
			if err := os.WriteFile(custom, []byte(c.custom), 0o600); err != nil {
				t.Fatal(err)
			}
			if r := flowverify(t, nil, "hosts", "-c", custom, "-f", "yaml", "-o", site, sampleFile); r.code != 0 {
				t.Fatalf("hosts: exit %d: %s", r.code, r.stderr)
			}
			want := ruleStatuses(t, "-c", custom, "-s", "10.20.0.10")
			got := ruleStatuses(t, "-c", site)
			if !maps.Equal(got, want) {
				t.Errorf("judged with the site file:\n%v\nwith %s and --server:\n%v", got, "custom.yaml", want)
			}
			for _, id := range c.rules {
				if got[id] == "" {
					t.Errorf("rule %s is not judged", id)
				}
			}
			if _, ok := got[c.removed]; ok && c.removed != "" {
				t.Errorf("rule %s, removed by the file, is judged", c.removed)
			}
		})
	}
}

// ruleStatuses is every rule's status when the sample day is analyzed
// with these flags.
func ruleStatuses(t *testing.T, flags ...string) map[string]string {
	t.Helper()
	return ruleStatusesOf(t, sampleFile, flags...)
}

// ruleStatusesOf is every rule's status when a capture is analyzed with
// these flags.
func ruleStatusesOf(t *testing.T, capture string, flags ...string) map[string]string {
	t.Helper()
	r := flowverify(t, nil, append(append([]string{"analyze", "-f", "json"}, flags...), capture)...)
	if r.code > 1 {
		t.Fatalf("analyze %v: exit %d: %s", flags, r.code, r.stderr)
	}
	var rep struct {
		Rules []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, rule := range rep.Rules {
		out[rule.ID] = rule.Status
	}
	return out
}

// A role the -c file restricts stays restricted in the site file, whether
// the capture hosts read showed peers on its rule (the sample day: the
// server opens SMB to its DCs, which are no file servers of the file) or
// none (all-good): an empty or replaced role would pass the rule for
// peers the file never allowed. Judged on another capture, whose SMB
// goes to a peer the file does not list, the rule still fails with the
// site file as it does with the file.
func TestSiteFileKeepsRestrictedRole(t *testing.T) {
	const custom = "roles:\n  file-servers: [192.0.2.1]\nrules:\n" + smbRule
	smb := filepath.Join(pcapDir, "ndpi_smb2_deletefile.pcap")
	const smbClient = "192.168.1.118" // opens tcp/445 to 192.168.1.187
	for _, described := range []string{sampleFile, filepath.Join(scenarioDir, "all-good.pcap")} {
		t.Run(filepath.Base(described), func(t *testing.T) {
			dir := t.TempDir()
			file, site := filepath.Join(dir, "custom.yaml"), filepath.Join(dir, "site.yaml")
			if err := os.WriteFile(file, []byte(custom), 0o600); err != nil {
				t.Fatal(err)
			}
			if r := flowverify(t, nil, "hosts", "-c", file, "-f", "yaml", "-o", site, described); r.code != 0 {
				t.Fatalf("hosts: exit %d: %s", r.code, r.stderr)
			}
			data, err := os.ReadFile(site)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), "192.0.2.1") {
				t.Errorf("the site file drops the members the file gave file-servers:\n%s", data)
			}
			want := ruleStatusesOf(t, smb, "-c", file, "-s", smbClient)
			got := ruleStatusesOf(t, smb, "-c", site, "-s", smbClient)
			if want["smb-out"] == "ok" || got["smb-out"] != want["smb-out"] {
				t.Errorf("smb-out to a peer file-servers does not list: %q with the site file, %q with the file", got["smb-out"], want["smb-out"])
			}
			if got, want := ruleStatusesOf(t, described, "-c", site), ruleStatusesOf(t, described, "-c", file, "-s", "10.20.0.10"); !maps.Equal(got, want) && described == sampleFile {
				t.Errorf("judged with the site file:\n%v\nwith the file and --server:\n%v", got, want)
			}
		})
	}
}
