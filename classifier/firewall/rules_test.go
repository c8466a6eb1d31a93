package firewall

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
)

// allow is one Allow rule read back from a script line, the same for
// every syntax: direction, transport, the ports ("389", "49152-65535",
// "88,464"), the remote addresses ("" for any) and the rule's label (the
// display name on Windows, the comment naming the rule id on Linux).
type allow struct {
	dir, proto, ports, remote, label string
}

// tokens splits a command line at spaces outside quotes; a quoted token
// keeps its quotes. quote is the syntax's quote character; in
// PowerShell a doubled one stands for itself.
func tokens(t *testing.T, line string, quote byte) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	in := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == quote && in && quote == '\'' && i+1 < len(line) && line[i+1] == '\'':
			cur.WriteString("''")
			i++
		case c == quote:
			in = !in
			cur.WriteByte(c)
		case c == ' ' && !in:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if in {
		t.Fatalf("unterminated quote in %q", line)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// psUnquote reads a PowerShell single-quoted string.
func psUnquote(t *testing.T, s string) string {
	t.Helper()
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		t.Fatalf("not a single-quoted string: %q", s)
	}
	return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
}

// parsePowerShell reads a New-NetFirewallRule line.
func parsePowerShell(t *testing.T, line string) allow {
	t.Helper()
	f := tokens(t, line, '\'')
	if f[0] != "New-NetFirewallRule" || len(f)%2 != 1 {
		t.Fatalf("not a New-NetFirewallRule line: %q", line)
	}
	p := map[string]string{}
	for i := 1; i < len(f); i += 2 {
		if !strings.HasPrefix(f[i], "-") {
			t.Fatalf("%q where a parameter belongs in %q", f[i], line)
		}
		p[f[i][1:]] = f[i+1]
	}
	if p["Action"] != "Allow" || p["Group"] != "'flowverify'" {
		t.Fatalf("not a flowverify Allow rule: %q", line)
	}
	a := allow{proto: strings.ToLower(p["Protocol"]), remote: p["RemoteAddress"], label: psUnquote(t, p["DisplayName"])}
	switch p["Direction"] {
	case "Inbound":
		a.dir, a.ports = "in", p["LocalPort"]
	case "Outbound":
		a.dir, a.ports = "out", p["RemotePort"]
	default:
		t.Fatalf("direction %q in %q", p["Direction"], line)
	}
	if _, both := p["LocalPort"]; both && a.dir == "out" {
		t.Fatalf("an outbound rule with a local port: %q", line)
	}
	return a
}

// parseNetsh reads a netsh advfirewall add rule line.
func parseNetsh(t *testing.T, line string) allow {
	t.Helper()
	const lead = "netsh advfirewall firewall add rule "
	if !strings.HasPrefix(line, lead) {
		t.Fatalf("not a netsh add rule line: %q", line)
	}
	p := map[string]string{}
	for _, f := range tokens(t, strings.TrimPrefix(line, lead), '"') {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			t.Fatalf("%q is no key=value in %q", f, line)
		}
		p[k] = strings.Trim(v, `"`)
	}
	if p["action"] != "allow" {
		t.Fatalf("not an allow rule: %q", line)
	}
	a := allow{proto: strings.ToLower(p["protocol"]), remote: p["remoteip"], label: p["name"]}
	switch p["dir"] {
	case "in":
		a.dir, a.ports = "in", p["localport"]
	case "out":
		a.dir, a.ports = "out", p["remoteport"]
	default:
		t.Fatalf("dir %q in %q", p["dir"], line)
	}
	return a
}

// nftList reads "x" or "{ x, y }".
func nftList(f []string, i int) ([]string, int) {
	if f[i] != "{" {
		return []string{f[i]}, i + 1
	}
	var out []string
	for i++; f[i] != "}"; i++ {
		out = append(out, strings.TrimSuffix(f[i], ","))
	}
	return out, i + 1
}

// parseNft reads an nftables rule: [ip|ip6 saddr|daddr SET] PROTO dport
// SET accept comment "ID". Inbound rules match the source address; a
// rule without one leaves the direction to its chain ("").
func parseNft(t *testing.T, line string) allow {
	t.Helper()
	f := tokens(t, line, '"')
	var a allow
	i := 0
	if f[0] == "ip" || f[0] == "ip6" {
		switch f[1] {
		case "saddr":
			a.dir = "in"
		case "daddr":
			a.dir = "out"
		default:
			t.Fatalf("address key %q in %q", f[1], line)
		}
		var addrs []string
		addrs, i = nftList(f, 2)
		for _, s := range addrs {
			if _, err := netip.ParsePrefix(s); err != nil {
				if ad, err := netip.ParseAddr(s); err != nil || ad.Is4() != (f[0] == "ip") {
					t.Fatalf("%q is no %s address in %q", s, f[0], line)
				}
			}
		}
		a.remote = strings.Join(addrs, ",")
	}
	if f[i+1] != "dport" {
		t.Fatalf("no dport in %q", line)
	}
	a.proto = f[i]
	var ports []string
	ports, i = nftList(f, i+2)
	a.ports = strings.Join(ports, ",")
	if len(f) != i+3 || f[i] != "accept" || f[i+1] != "comment" {
		t.Fatalf("no accept and comment at the end of %q", line)
	}
	a.label = strings.Trim(f[i+2], `"`)
	return a
}

// parseIptables reads an iptables-restore rule line.
func parseIptables(t *testing.T, line string) allow {
	t.Helper()
	f := tokens(t, line, '"')
	p := map[string]string{}
	for i := 0; i+1 < len(f); i += 2 {
		if f[i] == "-m" {
			if f[i+1] == "multiport" || f[i+1] == "tcp" || f[i+1] == "udp" || f[i+1] == "comment" {
				continue
			}
			t.Fatalf("module %q in %q", f[i+1], line)
		}
		p[f[i]] = f[i+1]
	}
	if p["-j"] != "ACCEPT" {
		t.Fatalf("not an ACCEPT rule: %q", line)
	}
	a := allow{proto: p["-p"], label: strings.Trim(p["--comment"], `"`)}
	ports := p["--dport"] + p["--dports"]
	if p["--dport"] != "" && p["--dports"] != "" || strings.Contains(ports, ",") != (p["--dports"] != "") {
		t.Fatalf("ports %q in %q", ports, line)
	}
	a.ports = strings.ReplaceAll(ports, ":", "-")
	switch p["-A"] {
	case "INPUT":
		a.dir, a.remote = "in", p["-s"]
		if p["-d"] != "" {
			t.Fatalf("an inbound rule on the destination: %q", line)
		}
	case "OUTPUT":
		a.dir, a.remote = "out", p["-d"]
		if p["-s"] != "" {
			t.Fatalf("an outbound rule on the source: %q", line)
		}
	default:
		t.Fatalf("chain %q in %q", p["-A"], line)
	}
	return a
}

// parsers read each syntax's rule lines; comment says what starts a
// line that does nothing.
var parsers = map[string]struct {
	comment string
	parse   func(*testing.T, string) allow
}{
	PowerShell: {"# ", parsePowerShell},
	netsh:      {"REM ", parseNetsh},
	nftables:   {"# ", parseNft},
	iptables:   {"# ", parseIptables},
}

// readLines parses the lines of one syntax into rules and comments.
func readLines(t *testing.T, syntax string, lines []string) (rules []allow, comments []string) {
	t.Helper()
	p := parsers[syntax]
	for _, l := range lines {
		switch {
		case strings.TrimSpace(l) == "":
		case strings.HasPrefix(l, p.comment):
			comments = append(comments, strings.TrimPrefix(l, p.comment))
		default:
			rules = append(rules, p.parse(t, l))
		}
	}
	return rules, comments
}

func prefixList(t *testing.T, s ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, x := range s {
		p, err := netip.ParsePrefix(x)
		if err != nil {
			a := netip.MustParseAddr(x)
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p)
	}
	return out
}

// TestEntryInEverySyntax renders entries of each direction, transport,
// port form and address mix in every syntax and reads the lines back:
// the same rule each time, IPv4 and IPv6 apart where the syntax needs it,
// and the dynamic RPC range explained.
func TestEntryInEverySyntax(t *testing.T) {
	tcp := matrix.Ports{{Lo: 389, Hi: 389}}
	cases := []struct {
		name    string
		e       Entry
		windows allow   // PowerShell and netsh, labelled by the name
		nft     []allow // labelled by the rule id
		ipt     []allow
		ipt6    string // the ip6tables comment's addresses, if any
	}{
		{"outbound tcp to any address",
			Entry{name: "flowverify ldap-out", ruleID: "ldap-out", transport: matrix.TCP, ports: tcp},
			allow{"out", "tcp", "389", "", "flowverify ldap-out"},
			// An nftables rule without an address has its direction from its chain alone.
			[]allow{{"", "tcp", "389", "", "ldap-out"}}, []allow{{"out", "tcp", "389", "", "ldap-out"}}, ""},
		{"inbound udp from a subnet",
			Entry{name: "flowverify syslog-in", ruleID: "syslog-in", inbound: true, transport: matrix.UDP, ports: matrix.Ports{{Lo: 514, Hi: 514}},
				remote: prefixList(t, "10.20.1.0/24")},
			allow{"in", "udp", "514", "10.20.1.0/24", "flowverify syslog-in"},
			[]allow{{"in", "udp", "514", "10.20.1.0/24", "syslog-in"}}, []allow{{"in", "udp", "514", "10.20.1.0/24", "syslog-in"}}, ""},
		{"a list of ports and ranges to two addresses",
			Entry{name: "flowverify kerberos-out", ruleID: "kerberos-out", transport: matrix.TCP, ports: matrix.Ports{{Lo: 88, Hi: 88}, {Lo: 464, Hi: 464}, {Lo: 3268, Hi: 3269}},
				remote: prefixList(t, "10.20.0.22", "10.20.0.21")},
			allow{"out", "tcp", "88,464,3268-3269", "10.20.0.21,10.20.0.22", "flowverify kerberos-out"},
			[]allow{{"out", "tcp", "88,464,3268-3269", "10.20.0.21,10.20.0.22", "kerberos-out"}},
			[]allow{{"out", "tcp", "88,464,3268-3269", "10.20.0.21,10.20.0.22", "kerberos-out"}}, ""},
		{"both families",
			Entry{name: "flowverify ldap-out", ruleID: "ldap-out", transport: matrix.TCP, ports: tcp, remote: prefixList(t, "2001:db8::21", "10.20.0.21")},
			allow{"out", "tcp", "389", "10.20.0.21,2001:db8::21", "flowverify ldap-out"},
			[]allow{{"out", "tcp", "389", "10.20.0.21", "ldap-out"}, {"out", "tcp", "389", "2001:db8::21", "ldap-out"}},
			[]allow{{"out", "tcp", "389", "10.20.0.21", "ldap-out"}}, "2001:db8::21"},
		{"IPv6 only, inbound",
			Entry{name: "flowverify console-8080 (in)", ruleID: "console-8080", inbound: true, transport: matrix.TCP, ports: matrix.Ports{{Lo: 8080, Hi: 8080}},
				remote: prefixList(t, "2001:db8:1::/64")},
			allow{"in", "tcp", "8080", "2001:db8:1::/64", "flowverify console-8080 (in)"},
			[]allow{{"in", "tcp", "8080", "2001:db8:1::/64", "console-8080"}}, nil, "2001:db8:1::/64"},
		{"the dynamic RPC range",
			Entry{name: "flowverify rpc-dynamic-out", ruleID: "rpc-dynamic-out", transport: matrix.TCP, ports: matrix.Ports{{Lo: 49152, Hi: 65535}},
				remote: prefixList(t, "10.20.0.21"), dynamicRPC: true},
			allow{"out", "tcp", "49152-65535", "10.20.0.21", "flowverify rpc-dynamic-out"},
			[]allow{{"out", "tcp", "49152-65535", "10.20.0.21", "rpc-dynamic-out"}},
			[]allow{{"out", "tcp", "49152-65535", "10.20.0.21", "rpc-dynamic-out"}}, ""},
	}
	for _, c := range cases {
		for _, syntax := range Syntaxes() {
			want := []allow{c.windows}
			switch syntax {
			case nftables:
				want = c.nft
			case iptables:
				want = c.ipt
			}
			rules, comments := readLines(t, syntax, lines(syntax, c.e))
			if !reflect.DeepEqual(rules, want) {
				t.Errorf("%s, %s: rules\n  %+v\nwant\n  %+v", c.name, syntax, rules, want)
			}
			var wantComments []string
			if c.e.dynamicRPC {
				wantComments = append(wantComments, rpcComment(c.e))
			}
			if c.ipt6 != "" && syntax == iptables {
				wantComments = append(wantComments, "IPv6 peers of "+c.e.ruleID+" go into ip6tables: "+c.ipt6)
			}
			if !reflect.DeepEqual(comments, wantComments) {
				t.Errorf("%s, %s: comments %q, want %q", c.name, syntax, comments, wantComments)
			}
		}
	}
}

// TestDescriptionsAreQuoted: a description with the syntax's own quote
// and metacharacters stays one argument of the Windows commands.
func TestDescriptionsAreQuoted(t *testing.T) {
	e := Entry{name: `flowverify it's "x"`, ruleID: "x", description: `LDAP's "port" & 100% -Action Block`, transport: matrix.TCP,
		ports: matrix.Ports{{Lo: 389, Hi: 389}}}
	ps := tokens(t, lines(PowerShell, e)[0], '\'')
	if got := psUnquote(t, ps[len(ps)-1]); ps[len(ps)-2] != "-Description" || got != e.description {
		t.Errorf("PowerShell description %q, want %q as the last argument", got, e.description)
	}
	if a := parsePowerShell(t, lines(PowerShell, e)[0]); a.label != e.name {
		t.Errorf("PowerShell display name %q, want %q", a.label, e.name)
	}
	ns := tokens(t, strings.TrimPrefix(lines(netsh, e)[0], "netsh advfirewall firewall add rule "), '"')
	if last := ns[len(ns)-1]; last != `description="LDAP's 'port' & 100 percent -Action Block"` {
		t.Errorf("netsh description %s", last)
	}
}

// TestFromMatrix: the shipped matrix with its roles set gives one entry
// per row crossing the host firewall, both directions for a
// bidirectional row, the roles' addresses as the remote ones, and the
// dynamic range only on the endpoint-mapper row.
func TestFromMatrix(t *testing.T) {
	m, err := matrix.Load(matrix.LoadOptions{Roles: map[string][]string{
		"domain-controllers": {"10.20.0.21", "2001:db8:20::21"}, "activity-monitor-agents": {"10.20.1.0/24"}}})
	if err != nil {
		t.Fatal(err)
	}
	entries := FromMatrix(m)
	byName := map[string]Entry{}
	for _, e := range entries {
		if _, dup := byName[e.name]; dup {
			t.Errorf("two entries named %q", e.name)
		}
		byName[e.name] = e
	}
	n := 0
	for _, r := range m.Rules {
		var names []string
		switch r.Direction {
		case matrix.Local:
			continue
		case matrix.Bidirectional:
			names = []string{"flowverify " + r.ID + " (in)", "flowverify " + r.ID + " (out)"}
		default:
			names = []string{"flowverify " + r.ID}
		}
		var remote []netip.Prefix
		for _, role := range r.Roles {
			if m.Roles[role] != nil {
				remote = append(remote, m.Roles[role].Prefixes...)
			}
		}
		for _, name := range names {
			n++
			e, ok := byName[name]
			inbound := r.Direction == matrix.Inbound || strings.HasSuffix(name, "(in)")
			if !ok || e.ruleID != r.ID || e.inbound != inbound || e.transport != r.Transport || !reflect.DeepEqual(e.ports, r.Ports) ||
				!reflect.DeepEqual(e.remote, remote) || e.description != r.Description {
				t.Errorf("%s: entry %+v, want from rule %+v and remote %v", name, e, r, remote)
			}
		}
	}
	if n != len(entries) || n < 10 {
		t.Errorf("%d entries, %d expected from the rules", len(entries), n)
	}
	var dynamic []string
	for _, e := range entries {
		if e.dynamicRPC {
			dynamic = append(dynamic, e.ruleID)
		}
	}
	if !reflect.DeepEqual(dynamic, []string{"rpc-dynamic-out"}) {
		t.Errorf("dynamic RPC entries %q, want rpc-dynamic-out alone", dynamic)
	}
	if dc := byName["flowverify ldap-out"]; len(dc.remote) != 2 {
		t.Errorf("ldap-out remote %v, want the domain controllers' two addresses", dc.remote)
	}
}

// TestWriteScripts: each syntax's whole script has its header, the
// setting it needs (nftables' table and chains, iptables-restore's filter
// table and COMMIT), and every entry once, inbound ones in the input
// chain; an unknown syntax is refused, naming the known ones.
func TestWriteScripts(t *testing.T) {
	entries := []Entry{
		{name: "flowverify syslog-in", ruleID: "syslog-in", inbound: true, transport: matrix.UDP, ports: matrix.Ports{{Lo: 514, Hi: 514}}},
		{name: "flowverify ldap-out", ruleID: "ldap-out", transport: matrix.TCP, ports: matrix.Ports{{Lo: 389, Hi: 389}}, remote: prefixList(t, "10.20.0.21")},
	}
	for _, syntax := range Syntaxes() {
		var b strings.Builder
		if err := Write(&b, syntax, Header{Text: "rules for tm", Server: "lab server"}, entries); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		lines := strings.Split(out, "\n")
		var body []string
		switch syntax {
		case PowerShell, netsh:
			if want := parsers[syntax].comment + "rules for tm"; lines[0] != want || !strings.HasSuffix(lines[1], " on the lab server.") {
				t.Errorf("%s starts %q, want %q and where to run it", syntax, lines[:2], want)
			}
			body = lines
		case nftables:
			if lines[0] != "#!/usr/sbin/nft -f" || !strings.Contains(out, "\ntable inet flowverify {\n\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tct state established,related accept\n") {
				t.Errorf("nftables script lacks its table and input chain:\n%s", out)
			}
			in, outChain, _ := strings.Cut(out, "\tchain output {")
			inRules, _ := readLines(t, syntax, trimmed(strings.Split(in[strings.Index(in, "chain input"):], "\n")))
			outRules, _ := readLines(t, syntax, trimmed(strings.Split(outChain, "\n")))
			if len(inRules) != 1 || inRules[0].label != "syslog-in" || len(outRules) != 1 || outRules[0].label != "ldap-out" {
				t.Errorf("nftables chains: input %+v, output %+v", inRules, outRules)
			}
			continue
		case iptables:
			i := strings.Index(out, "\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n")
			if lines[0] != "# rules for tm" || i < 0 || !strings.HasSuffix(out, "\nCOMMIT\n") {
				t.Fatalf("iptables-restore script lacks its header, table or COMMIT:\n%s", out)
			}
			body = lines[6 : len(lines)-2]
		}
		rules, _ := readLines(t, syntax, body)
		if len(rules) != 2 || rules[0].dir != "in" || rules[1].dir != "out" {
			t.Errorf("%s: rules %+v, want syslog-in inbound and ldap-out outbound", syntax, rules)
		}
	}
	if err := Write(&strings.Builder{}, "pf", Header{}, entries); err == nil || !strings.Contains(err.Error(), strings.Join(Syntaxes(), ", ")) {
		t.Errorf("unknown syntax: %v", err)
	}
}

// trimmed drops the tabs nftables' script indents rules with, and the
// chain's own lines, leaving rule and comment lines.
func trimmed(lines []string) []string {
	var out []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || l == "}" || strings.HasPrefix(l, "chain ") || strings.HasPrefix(l, "type filter") || strings.HasPrefix(l, "ct state") {
			continue
		}
		out = append(out, l)
	}
	return out
}

// TestSuggestForFailedAttempts: the failed attempts of a rule on one port
// give one rule allowing exactly the peers that failed, in the rule's
// direction; another port is another suggestion; an attempt of a rule
// the matrix does not have gives none; the note says how they failed
// and where else to look; a mismatch gets a note and no rule.
func TestSuggestForFailedAttempts(t *testing.T) {
	m, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dc1, dc2, agent := netip.MustParseAddr("10.20.0.21"), netip.MustParseAddr("10.20.0.22"), netip.MustParseAddr("10.20.1.7")
	r := &report.Report{
		Rules: []report.Rule{{ID: "ldap-out", Status: matrix.StatusMismatch, Reason: "tls answered", Transport: "tcp", Direction: matrix.Outbound, Ports: "389"}},
		Aggregates: &report.Aggregates{Blocked: []report.BlockedAgg{
			{Rule: "adws-out", Dir: matrix.Outbound, Transport: matrix.TCP, Peer: dc1, Port: 9389, Reason: matrix.NoAnswer},
			{Rule: "adws-out", Dir: matrix.Outbound, Transport: matrix.TCP, Peer: dc2, Port: 9389, Reason: matrix.Refused},
			{Rule: "adws-out", Dir: matrix.Outbound, Transport: matrix.TCP, Peer: dc1, Port: 9389, Reason: matrix.NoAnswer},
			{Rule: "kerberos-out", Dir: matrix.Outbound, Transport: matrix.TCP, Peer: dc2, Port: 464, Reason: matrix.Unreachable},
			{Rule: "kerberos-out", Dir: matrix.Outbound, Transport: matrix.TCP, Peer: dc2, Port: 88, Reason: matrix.NoAnswer},
			{Rule: "syslog-in", Dir: matrix.Inbound, Transport: matrix.UDP, Peer: agent, Port: 514, Reason: matrix.Unreachable},
			{Rule: "no-such-rule", Dir: matrix.Outbound, Transport: matrix.TCP, Peer: dc1, Port: 1, Reason: matrix.NoAnswer},
		}},
	}
	type want struct {
		rule          allow // label: the rule id on Linux, "flowverify ID (suggested)" on Windows
		note, notNote string
	}
	wants := []want{
		{allow{"out", "tcp", "9389", "10.20.0.21,10.20.0.22", "adws-out"},
			"adws-out: attempts to 10.20.0.21, 10.20.0.22 on TCP 9389 failed (no-answer, refused); if the drop happens elsewhere", ""},
		{allow{"out", "tcp", "464", "10.20.0.22", "kerberos-out"}, "(unreachable)", "if the drop happens elsewhere"},
		{allow{"out", "tcp", "88", "10.20.0.22", "kerberos-out"}, "(no-answer)", "a refused connection"},
		{allow{"in", "udp", "514", "10.20.1.7", "syslog-in"}, "syslog-in: attempts to 10.20.1.7 on UDP 514 failed (unreachable)", ""},
	}
	for _, syntax := range Syntaxes() {
		got, err := Suggest(m, r, Request{Syntax: syntax})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(wants)+1 {
			t.Fatalf("%s: %d suggestions, want %d blocked and a mismatch: %+v", syntax, len(got), len(wants), got)
		}
		for i, w := range wants {
			s := got[i]
			rules, _ := readLines(t, syntax, s.Commands)
			wr := w.rule
			if syntax == PowerShell || syntax == netsh {
				wr.label = "flowverify " + wr.label + " (suggested)"
			}
			if len(rules) != 1 || rules[0] != wr || s.Kind != report.SuggestBlocked || s.Rule != w.rule.label || s.Syntax != syntax {
				t.Errorf("%s: suggestion %d: %+v\n  rules %+v, want %+v", syntax, i, s, rules, wr)
			}
			if !strings.Contains(s.Note, w.note) || w.notNote != "" && strings.Contains(s.Note, w.notNote) {
				t.Errorf("%s: suggestion %d note %q, want %q without %q", syntax, i, s.Note, w.note, w.notNote)
			}
		}
		if mm := got[len(got)-1]; mm.Kind != report.SuggestMismatch || mm.Rule != "ldap-out" || mm.Commands != nil || !strings.Contains(mm.Note, "check what listens on 389") {
			t.Errorf("%s: mismatch suggestion %+v", syntax, mm)
		}
	}
}

// TestCommentsCannotEscape: a comment stays one line of its syntax
// whatever the text holds, and netsh's batch files get no '%'.
func TestCommentsCannotEscape(t *testing.T) {
	text := "a\nnetsh x\r\u0085del\u2028y\u2029z\x1b[2J 50%PATH%"
	for _, syntax := range Syntaxes() {
		lines := comment(syntax, text)
		prefix := parsers[syntax].comment
		if len(lines) != 1 || !strings.HasPrefix(lines[0], prefix) || strings.ContainsAny(lines[0], "\n\r\x1b\u0085\u2028\u2029") {
			t.Errorf("%s: %q", syntax, lines)
		}
		if strings.Contains(lines[0], "%") != (syntax != netsh) {
			t.Errorf("%s: '%%' in %q", syntax, lines[0])
		}
	}
}
