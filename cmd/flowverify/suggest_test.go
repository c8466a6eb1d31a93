package main

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/report"
)

// floodFlows is enough distinct flows of WriteFlood's scan and spray to
// pass the 10,000 unexpected groups after which further peers and ports
// fold into "(others)" rows, and few enough to analyse in a fraction of a
// second.
const floodFlows = 15000

// rule is one command of a suggestion, split into what the assertions ask.
type rule struct {
	allow  bool
	remote []string // the addresses named; empty: any
	ports  []string // the ports named, as written
}

// TestSuggestOnFloodNamesEveryPeer analyses a flood past the fold limit
// with --suggest-unexpected in every syntax, parses the commands, and
// finds no Allow rule without remote addresses or with port 0, and the
// comment that says why the folded rows got none.
func TestSuggestOnFloodNamesEveryPeer(t *testing.T) {
	file := filepath.Join(t.TempDir(), "flood.pcap")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteFlood(f, floodFlows, 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, tc := range []struct {
		syntax  string
		comment string // how the syntax starts a comment line
		parse   func(t *testing.T, line string) rule
		load    func(t *testing.T, suggestions []report.Suggestion) // hands the whole to the real tool, if any
	}{
		{"powershell", "#", parsePowerShellRule, nil},
		{"netsh", "REM ", parseNetshRule, nil},
		{"nftables", "#", parseNftRule, loadNft},
		{"iptables", "#", parseIptRule, loadIptables},
	} {
		t.Run(tc.syntax, func(t *testing.T) {
			r := flowverify(t, nil, "analyze", "-q", "-f", "json", "-s", "10.20.0.10", "--suggest", tc.syntax, "--suggest-unexpected", file)
			if r.code != 1 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var doc report.Report
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(doc.Warnings, "\n"), `counted under peer "(others)"`) {
				t.Fatalf("the flood did not fold, so the test proves nothing: %q", doc.Warnings)
			}
			allows, folded := 0, 0
			for _, s := range doc.Suggestions {
				if s.Peer == "(others)" {
					folded++
					if len(s.Commands) != 1 || !strings.HasPrefix(s.Commands[0], tc.comment) ||
						!strings.Contains(s.Commands[0], "no single peer or port to allow") || !strings.Contains(s.Commands[0], "past 10000 unexpected groups") {
						t.Errorf("folded row: want one comment saying why no rule, got %q", s.Commands)
					}
				}
				for _, line := range s.Commands {
					if strings.HasPrefix(line, tc.comment) {
						continue
					}
					ru := tc.parse(t, line)
					if !ru.allow {
						continue
					}
					allows++
					if len(ru.remote) == 0 {
						t.Errorf("Allow rule names no remote address: %q", line)
					}
					for _, a := range ru.remote {
						if _, err := netip.ParseAddr(a); err != nil {
							if _, err := netip.ParsePrefix(a); err != nil {
								t.Errorf("remote %q is not an address in %q", a, line)
							}
						}
					}
					if len(ru.ports) == 0 {
						t.Errorf("Allow rule names no port: %q", line)
					}
					for _, p := range ru.ports {
						if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
							t.Errorf("port %q in %q", p, line)
						}
					}
				}
			}
			if folded == 0 {
				t.Error("no suggestion for the folded row")
			}
			if allows < 500 {
				t.Errorf("only %d Allow rules: the flood's listed groups should give hundreds", allows)
			}
			if tc.load != nil {
				t.Run("in the tool", func(t *testing.T) { tc.load(t, doc.Suggestions) })
			}
		})
	}
}

// parsePowerShellRule splits a New-NetFirewallRule into its parameters.
func parsePowerShellRule(t *testing.T, line string) rule {
	t.Helper()
	p := psParams(t, line)
	return ruleOfParams(p["Action"] == "Allow", p["RemoteAddress"], p["Direction"] == "Inbound", p["LocalPort"], p["RemotePort"])
}

// psParams splits a New-NetFirewallRule into its -Name value pairs,
// refusing a parameter the scripts never write.
func psParams(t *testing.T, line string) map[string]string {
	t.Helper()
	tok := psTokens(t, line)
	if tok[0] != "New-NetFirewallRule" || len(tok)%2 != 1 {
		t.Fatalf("not a New-NetFirewallRule with parameter pairs: %q", line)
	}
	params := map[string]string{}
	for i := 1; i < len(tok); i += 2 {
		m := psParam.FindStringSubmatch(tok[i])
		if m == nil || !psAllowed[m[1]] {
			t.Fatalf("unknown parameter %q in %q", tok[i], line)
		}
		params[m[1]] = tok[i+1]
	}
	return params
}

// ruleOfParams is a parsed rule: an inbound rule's port is the local one.
func ruleOfParams(allow bool, remote string, inbound bool, local, remotePort string) rule {
	ru := rule{allow: allow}
	if remote != "" {
		ru.remote = strings.Split(remote, ",")
	}
	port := remotePort
	if inbound {
		port = local
	}
	if port != "" {
		ru.ports = strings.Split(port, ",")
	}
	return ru
}

// parseNetshRule splits "netsh advfirewall firewall add rule" into its
// key=value arguments (values double-quoted or bare).
func parseNetshRule(t *testing.T, line string) rule {
	t.Helper()
	const head = "netsh advfirewall firewall add rule "
	rest, ok := strings.CutPrefix(line, head)
	if !ok {
		t.Fatalf("not a netsh add rule: %q", line)
	}
	params := map[string]string{}
	for rest = strings.TrimLeft(rest, " "); rest != ""; rest = strings.TrimLeft(rest, " ") {
		key, after, ok := strings.Cut(rest, "=")
		if !ok || strings.Contains(key, " ") {
			t.Fatalf("argument without key=value in %q", line)
		}
		var val string
		if strings.HasPrefix(after, `"`) {
			end := strings.IndexByte(after[1:], '"')
			if end < 0 {
				t.Fatalf("unterminated quote in %q", line)
			}
			val, rest = after[1:1+end], after[2+end:]
		} else {
			val, rest, _ = strings.Cut(after, " ")
		}
		if _, dup := params[key]; dup {
			t.Fatalf("%s given twice in %q", key, line)
		}
		params[key] = val
	}
	return ruleOfParams(params["action"] == "allow", params["remoteip"], params["dir"] == "in", params["localport"], params["remoteport"])
}

// parseNftRule reads one rule line as nftEntry writes it:
// [ip|ip6 saddr|daddr ADDRS] tcp|udp dport PORTS accept comment "ID".
func parseNftRule(t *testing.T, line string) rule {
	t.Helper()
	f := strings.Fields(strings.NewReplacer("{", " ", "}", " ", ",", " ").Replace(line))
	var ru rule
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case "saddr", "daddr":
			for i++; i < len(f) && f[i] != "tcp" && f[i] != "udp"; i++ {
				ru.remote = append(ru.remote, f[i])
			}
			i--
		case "dport":
			for i++; i < len(f) && f[i] != "accept"; i++ {
				ru.ports = append(ru.ports, f[i])
			}
			i--
		case "accept":
			ru.allow = true
		}
	}
	return ru
}

// parseIptRule reads one iptables-restore rule line.
func parseIptRule(t *testing.T, line string) rule {
	t.Helper()
	f := strings.Fields(line)
	if len(f) == 0 || f[0] != "-A" {
		t.Fatalf("not an -A rule: %q", line)
	}
	var ru rule
	for i := 0; i+1 < len(f); i++ {
		switch f[i] {
		case "-s", "-d":
			ru.remote = strings.Split(f[i+1], ",")
		case "--dport", "--dports":
			ru.ports = strings.Split(f[i+1], ",")
		case "-j":
			ru.allow = f[i+1] == "ACCEPT"
		}
	}
	return ru
}

// loadNft puts the suggested rules into chains and has nft check them.
func loadNft(t *testing.T, ss []report.Suggestion) {
	var b strings.Builder
	b.WriteString("table inet flowverify {\n")
	for _, chain := range []struct{ name, dir string }{{"input", "inbound"}, {"output", "outbound"}} {
		b.WriteString("\tchain " + chain.name + " {\n\t\ttype filter hook " + chain.name + " priority 0; policy accept;\n")
		for _, s := range ss {
			if s.Direction.String() == chain.dir {
				for _, c := range s.Commands {
					b.WriteString("\t\t" + c + "\n")
				}
			}
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	nftCheck(t, b.String())
}

// loadIptables has iptables-restore test the suggested rules.
func loadIptables(t *testing.T, ss []report.Suggestion) {
	var b strings.Builder
	b.WriteString("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n")
	for _, s := range ss {
		for _, c := range s.Commands {
			b.WriteString(c + "\n")
		}
	}
	b.WriteString("COMMIT\n")
	iptablesCheck(t, b.String())
}
