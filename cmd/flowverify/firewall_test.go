package main

import (
	"encoding/json"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/report"
)

var firewallRoles = []string{"--role", "domain-controllers=10.20.0.21,10.20.0.22,2001:db8:20::21",
	"--role", "activity-monitor-agents=10.20.1.0/24", "--role", "postgresql-servers=10.20.0.41"}

func firewallOutput(t *testing.T, profile, syntax string) string {
	t.Helper()
	r := flowverify(t, nil, append([]string{"firewall", "--profile", profile, "--syntax", syntax}, firewallRoles...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	return r.stdout
}

func TestFirewallGolden(t *testing.T) {
	ext := map[string]string{"powershell": "ps1", "netsh": "cmd", "nftables": "nft", "iptables": "iptables"}
	for _, profile := range []string{"threatmanager", "threatmanager-3.0"} {
		for syntax, e := range ext {
			t.Run(profile+"/"+syntax, func(t *testing.T) {
				got := firewallOutput(t, profile, syntax)
				checkGoldenFile(t, filepath.Join(goldenDir, "firewall", profile+"."+e), []byte(got))
			})
		}
	}
}

// TestFirewallLoadsInRealTools hands the nftables and iptables output to
// the tools themselves in check mode.
func TestFirewallLoadsInRealTools(t *testing.T) {
	for _, profile := range []string{"threatmanager", "threatmanager-3.0"} {
		t.Run(profile+"/nftables", func(t *testing.T) { nftCheck(t, firewallOutput(t, profile, "nftables")) })
		t.Run(profile+"/iptables", func(t *testing.T) { iptablesCheck(t, firewallOutput(t, profile, "iptables")) })
	}
}

var (
	psParam   = regexp.MustCompile(`^-(\w+)$`)
	psAllowed = map[string]bool{"DisplayName": true, "Group": true, "Direction": true, "Action": true, "Protocol": true,
		"LocalPort": true, "RemotePort": true, "RemoteAddress": true, "Description": true}
)

// psTokens splits a PowerShell command line into tokens, honouring
// single-quoted strings with ” escapes.
func psTokens(t *testing.T, line string) []string {
	var out []string
	for i := 0; i < len(line); {
		switch c := line[i]; {
		case c == ' ':
			i++
		case c == '\'':
			j := i + 1
			var b strings.Builder
			for ; j < len(line); j++ {
				if line[j] == '\'' {
					if j+1 < len(line) && line[j+1] == '\'' {
						b.WriteByte('\'')
						j++
						continue
					}
					break
				}
				b.WriteByte(line[j])
			}
			if j >= len(line) {
				t.Fatalf("unterminated string in %q", line)
			}
			out = append(out, "'"+b.String())
			i = j + 1
		default:
			j := strings.IndexByte(line[i:], ' ')
			if j < 0 {
				j = len(line) - i
			}
			out = append(out, line[i:i+j])
			i += j
		}
	}
	return out
}

func checkPowerShell(t *testing.T, text string) int {
	t.Helper()
	rules := 0
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		params := psParams(t, line)
		if !strings.HasPrefix(params["DisplayName"], "'flowverify ") || params["Action"] != "Allow" ||
			(params["Direction"] != "Inbound" && params["Direction"] != "Outbound") || (params["Protocol"] != "TCP" && params["Protocol"] != "UDP") {
			t.Fatalf("bad rule %q", line)
		}
		port := params["LocalPort"]
		if params["Direction"] == "Outbound" {
			port = params["RemotePort"]
		}
		if !regexp.MustCompile(`^\d+(-\d+)?(,\d+(-\d+)?)*$`).MatchString(port) {
			t.Fatalf("bad port list %q in %q", port, line)
		}
		if ra, ok := params["RemoteAddress"]; ok {
			for _, a := range strings.Split(ra, ",") {
				if _, err := netip.ParsePrefix(a); err != nil {
					if _, err := netip.ParseAddr(a); err != nil {
						t.Fatalf("bad address %q in %q", a, line)
					}
				}
			}
		}
		rules++
	}
	return rules
}

func TestFirewallPowerShellStructure(t *testing.T) {
	if n := checkPowerShell(t, firewallOutput(t, "threatmanager", "powershell")); n != 13 {
		t.Errorf("%d rules for the default profile, want 13 (11 rows, two bidirectional)", n)
	}
	if n := checkPowerShell(t, firewallOutput(t, "threatmanager-3.0", "powershell")); n != 14 {
		t.Errorf("%d rules for 3.0, want 14 (ldaps added; local application services need none)", n)
	}
	ps := firewallOutput(t, "threatmanager", "powershell")
	if !strings.Contains(ps, "-RemotePort 49152-65535") || !strings.Contains(ps, "# dynamic RPC") {
		t.Error("the dynamic RPC row is not expressed as the site's dynamic range with a comment")
	}
}

func TestProfilesCommand(t *testing.T) {
	r := flowverify(t, nil, "profiles")
	if !strings.Contains(r.stdout, "threatmanager ") || !strings.Contains(r.stdout, "threatmanager-3.0") || !strings.Contains(r.stdout, "(default)") {
		t.Fatalf("profiles:\n%s", r.stdout)
	}
	rules := flowverify(t, nil, "rules", "--profile", "threatmanager-3.0")
	if !strings.Contains(rules.stdout, "ldaps-out") || !strings.Contains(rules.stdout, "5432") {
		t.Fatalf("rules --profile threatmanager-3.0:\n%s", rules.stdout)
	}
	if bad := flowverify(t, nil, "rules", "--profile", "nope"); bad.code != 2 || !strings.Contains(bad.stderr, "threatmanager-3.0") {
		t.Fatalf("unknown profile: %d %s", bad.code, bad.stderr)
	}
}

func TestProfileDecidesPostgresPort(t *testing.T) {
	file := filepath.Join(scenarioDir, "postgres-5432.pcap")
	v3, _ := analyzeJSON(t, "--profile", "threatmanager-3.0", file)
	if st, n := v3.rule(t, "postgresql-out"); st != "ok" || n != 1 {
		t.Fatalf("3.0: postgresql-out %s %d", st, n)
	}
	def, _ := analyzeJSON(t, file)
	if st, _ := def.rule(t, "postgresql-out"); st != "not-seen" {
		t.Fatalf("default: postgresql-out %s", st)
	}
	found := false
	for _, u := range def.Unexpected {
		if u.Port == 5432 && strings.Contains(u.Hint, "threatmanager-3.0") {
			found = true
		}
	}
	if !found {
		t.Fatalf("default profile: 5432 is not unexpected with a hint naming threatmanager-3.0: %+v", def.Unexpected)
	}
}

func TestSuggestForBlocked9389(t *testing.T) {
	r := flowverify(t, nil, "analyze", "--suggest", "powershell", "-f", "json", filepath.Join(scenarioDir, "firewall-9389.pcap"))
	var doc report.Report
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, s := range doc.Suggestions {
		for _, c := range s.Commands {
			if strings.HasPrefix(c, "New-NetFirewallRule") {
				lines = append(lines, c)
			}
		}
	}
	if len(lines) != 1 {
		t.Fatalf("%d rule lines, want one for 9389: %v", len(lines), lines)
	}
	l := lines[0]
	for _, want := range []string{"-Direction Outbound", "-Protocol TCP", "-RemotePort 9389", "-RemoteAddress 10.20.0.21,10.20.0.22", "adws-out"} {
		if !strings.Contains(l, want) {
			t.Errorf("%q lacks %q", l, want)
		}
	}
	checkPowerShell(t, l)
	text := flowverify(t, nil, "analyze", "--suggest", filepath.Join(scenarioDir, "firewall-9389.pcap"))
	if !strings.Contains(text.stdout, "Suggested firewall changes (powershell)") || strings.Count(text.stdout, "New-NetFirewallRule") != 1 {
		t.Fatalf("text report:\n%s", text.stdout)
	}
	// Nothing is suggested for a capture where every row is ok.
	ok := flowverify(t, nil, "analyze", "--suggest", "-f", "json", filepath.Join(scenarioDir, "all-good.pcap"))
	if strings.Contains(ok.stdout, "New-NetFirewallRule") {
		t.Fatal("suggestions for a conforming capture")
	}
	// Unexpected traffic gets a note, and a rule only when asked.
	u := flowverify(t, nil, "analyze", "--suggest", "-f", "json", filepath.Join(scenarioDir, "failures.pcap"))
	if !strings.Contains(u.stdout, "allowing it would mean") || strings.Contains(u.stdout, "flowverify unexpected") {
		t.Fatal("unexpected traffic: a note without a rule expected")
	}
	u2 := flowverify(t, nil, "analyze", "--suggest", "--suggest-unexpected", "-f", "json", filepath.Join(scenarioDir, "failures.pcap"))
	if !strings.Contains(u2.stdout, "flowverify unexpected") {
		t.Fatal("--suggest-unexpected wrote no rule")
	}
}

func TestDiffCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, args ...string) string {
		out := filepath.Join(dir, name)
		r := flowverify(t, nil, append([]string{"analyze", "-o", out}, args...)...)
		if r.code > 1 {
			t.Fatalf("analyze: %d %s", r.code, r.stderr)
		}
		return out
	}
	good := write("good.json", filepath.Join(scenarioDir, "all-good.pcap"))
	bad := write("bad.json", filepath.Join(scenarioDir, "firewall-9389.pcap"))
	v3 := write("v3.json", "--profile", "threatmanager-3.0", filepath.Join(scenarioDir, "all-good.pcap"))
	if r := flowverify(t, nil, "diff", good, good); r.code != 0 || !strings.Contains(r.stdout, "No regression") {
		t.Fatalf("identical: %d %s", r.code, r.stdout)
	}
	r := flowverify(t, nil, "diff", "-f", "json", good, bad)
	var d report.Diff
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || r.code != 1 || !d.Regression {
		t.Fatalf("regression: %d %v %s", r.code, err, r.stdout)
	}
	if r := flowverify(t, nil, "diff", good, v3); r.code != 2 || !strings.Contains(r.stderr, "different matrices") {
		t.Fatalf("cross-profile: %d %s", r.code, r.stderr)
	}
	if r := flowverify(t, nil, "diff", "--allow-matrix-change", good, v3); r.code > 1 {
		t.Fatalf("cross-profile allowed: %d %s", r.code, r.stderr)
	}
}
