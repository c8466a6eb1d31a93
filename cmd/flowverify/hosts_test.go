package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type hostsDoc struct {
	Server struct {
		Addresses []string `json:"addresses"`
		Host      string   `json:"host"`
	} `json:"server"`
	Rules []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Peers  []struct {
			Host      string   `json:"host"`
			Addresses []string `json:"addresses"`
			Address   string   `json:"address"`
		} `json:"peers"`
		Missing []string `json:"missing_peers"`
	} `json:"rules"`
	Summary struct {
		Transit  int            `json:"transit"`
		Findings map[string]int `json:"findings"`
	} `json:"summary"`
}

// dcRules are the rules whose peers are the domain controllers.
var dcRules = []string{"kerberos-out", "rpc-epm-out", "ldap-out", "adws-out", "rpc-dynamic-out"}

// TestGoldenHosts judges the IPv4-only, the dual-stack and the IPv6-only
// captures of one site with its hosts named once (testdata/golden/hosts/
// site.yaml): no rule is partial or missing, every DC rule reaches dc1 and
// dc2 as hosts, and the server is one host whichever family it used.
func TestGoldenHosts(t *testing.T) {
	cfg := filepath.Join(goldenDir, "hosts", "site.yaml")
	for _, name := range []string{"all-good.pcap", "dual-stack.pcap", "ipv6.pcap"} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(scenarioDir, name)
			r := flowverify(t, nil, "analyze", "-q", "-c", cfg, "-f", "json", file)
			if r.code > 1 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			base := strings.TrimSuffix(name, ".pcap")
			checkGoldenFile(t, filepath.Join(goldenDir, "hosts", base+".json"), normalize(t, r.stdout))
			txt := flowverify(t, nil, "analyze", "-q", "-c", cfg, "-f", "text", file)
			checkGoldenFile(t, filepath.Join(goldenDir, "hosts", base+".text"), []byte(strings.ReplaceAll(txt.stdout, scenarioDir+"/", "")))
			var d hostsDoc
			if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
				t.Fatal(err)
			}
			checkHostsJudged(t, d)
		})
	}
}

func checkHostsJudged(t *testing.T, d hostsDoc) {
	t.Helper()
	if d.Server.Host != "tm" {
		t.Errorf("server host %q, want tm (%v)", d.Server.Host, d.Server.Addresses)
	}
	if d.Summary.Transit != 0 {
		t.Errorf("%d transit flows: the server's other address taken for a peer", d.Summary.Transit)
	}
	for _, rule := range d.Rules {
		if rule.Status == "partial" || rule.Status == "missing" {
			t.Errorf("%s is %s (never reached: %v)", rule.ID, rule.Status, rule.Missing)
		}
		for _, id := range dcRules {
			if rule.ID != id {
				continue
			}
			var hosts []string
			for _, p := range rule.Peers {
				if p.Host == "" || len(p.Addresses) != 3 || p.Address != "" {
					t.Errorf("%s: peer %+v is not a named host with its addresses", id, p)
				}
				hosts = append(hosts, p.Host)
			}
			if strings.Join(hosts, ",") != "dc1,dc2" {
				t.Errorf("%s reaches %v, want dc1,dc2", id, hosts)
			}
		}
	}
}

// TestHostsMakeDualStackWhole: listing only the domain controllers' IPv4
// addresses, as a site without hosts would, makes the DC rules partial on
// the dual-stack capture; the same addresses given as hosts with their
// IPv6 addresses (by flag, by variable) make them ok.
func TestHostsMakeDualStackWhole(t *testing.T) {
	file := filepath.Join(scenarioDir, "dual-stack.pcap")
	statuses := func(r result) map[string]string {
		t.Helper()
		var d hostsDoc
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
			t.Fatalf("exit %d: %v %s", r.code, err, r.stderr)
		}
		out := map[string]string{}
		for _, rule := range d.Rules {
			out[rule.ID] = rule.Status
		}
		return out
	}
	v4 := statuses(flowverify(t, nil, "analyze", "-q", "-f", "json", "--role", "domain-controllers=10.20.0.21,10.20.0.22", file))
	if v4["ldap-out"] != "partial" {
		t.Errorf("IPv4 addresses alone: ldap-out %s, want partial (dc1 spoke IPv6)", v4["ldap-out"])
	}
	flags := []string{"analyze", "-q", "-f", "json", "--host", "dc1=10.20.0.21,2001:db8:0:20::a14:15", "--host", "dc2=10.20.0.22,2001:db8:0:20::a14:16",
		"--role", "domain-controllers=dc1,dc2", file}
	env := []string{"FLOWVERIFY_HOSTS_DC1=10.20.0.21 2001:db8:0:20::a14:15", "FLOWVERIFY_HOSTS_DC2=10.20.0.22,2001:db8:0:20::a14:16",
		"FLOWVERIFY_ROLES_DOMAIN_CONTROLLERS=dc1,dc2"}
	for what, st := range map[string]map[string]string{
		"flags":       statuses(flowverify(t, nil, flags...)),
		"environment": statuses(flowverify(t, env, "analyze", "-q", "-f", "json", file)),
	} {
		for _, id := range dcRules {
			if st[id] != "ok" {
				t.Errorf("hosts by %s: %s is %s, want ok", what, id, st[id])
			}
		}
	}
}

// TestHostConfigErrors: every mistake in hosts names its key and source.
func TestHostConfigErrors(t *testing.T) {
	file := filepath.Join(scenarioDir, "all-good.pcap")
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"unknown host in a role flag", nil, []string{"--role", "domain-controllers=dc9"}, `flag: --role domain-controllers: no host "dc9"`},
		{"unknown host in a file role", nil, []string{"-c", write("a.yaml", "roles:\n  domain-controllers: [dc1]\n")}, `a.yaml:2: roles.domain-controllers: no host "dc1"`},
		{"host without addresses", nil, []string{"-c", write("b.yaml", "hosts:\n  dc1: []\n")}, `hosts.dc1: host "dc1" has no addresses`},
		{"address in two hosts", nil, []string{"--host", "dc1=10.20.0.21", "--host", "dc2=10.20.0.21"}, `address 10.20.0.21 is also in host "dc1"`},
		{"a CIDR as a host address", nil, []string{"--host", "dc1=10.20.0.0/24"}, `--host dc1: "10.20.0.0/24" is not an IP address`},
		{"a host named like an address", nil, []string{"--host", "10.1.1.1=10.20.0.21"}, `must not be an address`},
		{"a bad host name", nil, []string{"--host", "dc;1=10.20.0.21"}, `--host dc;1: "dc;1": a name is letters`},
		{"unknown server host", nil, []string{"--server", "tm"}, `flag: --server: no host "tm"`},
		{"variable host without addresses", []string{"FLOWVERIFY_HOSTS_DC_1="}, nil, `environment: FLOWVERIFY_HOSTS_DC_1: host "dc-1" has no addresses`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"analyze", "-q"}, c.args...), file)
			r := flowverify(t, c.env, args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d naming %q", r.code, r.stderr, exitUsage, c.want)
			}
		})
	}
}

// TestGoldenLabDualStack: the lab's dual-stack round (testdata/real/
// lab-dual-stack.pcap) with its hosts named once, in golden JSON and text.
func TestGoldenLabDualStack(t *testing.T) {
	file := "../../testdata/real/lab-dual-stack.pcap"
	checkLabDualStack(t, file)
	cfg := "../../testdata/real/lab-hosts.yaml"
	r := flowverify(t, nil, "analyze", "-q", "-c", cfg, "-f", "json", file)
	checkGoldenFile(t, filepath.Join(goldenDir, "hosts", "lab-dual-stack.json"), normalize(t, r.stdout))
	txt := flowverify(t, nil, "analyze", "-q", "-c", cfg, "-f", "text", file)
	checkGoldenFile(t, filepath.Join(goldenDir, "hosts", "lab-dual-stack.text"), []byte(txt.stdout))
}
