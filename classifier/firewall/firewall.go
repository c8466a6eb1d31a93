// Package firewall turns the matrix (or a report's failed attempts) into
// host-firewall rules for the server: PowerShell and netsh
// for the Windows host itself, nftables and iptables for analysts' Linux
// test rigs.
package firewall

import (
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"
)

// Syntaxes this package writes.
const (
	PowerShell = "powershell"
	netsh      = "netsh"
	nftables   = "nftables"
	iptables   = "iptables"
)

// Syntaxes lists the known syntaxes.
func Syntaxes() []string { return []string{PowerShell, netsh, nftables, iptables} }

// Entry is one allow rule on the server's host firewall.
type Entry struct {
	name        string // display name: "flowverify <rule id>[ <peer>]"
	ruleID      string
	description string
	inbound     bool
	transport   uint8
	ports       matrix.Ports   // the server's port for inbound, the peer's for outbound
	remote      []netip.Prefix // nil: any address
	dynamicRPC  bool           // a learn: epm row: its whole range, since no firewall follows the mapper
}

// FromMatrix lists the entries the matrix implies. A bidirectional row
// gives an inbound and an outbound entry; local-only rows cross no host
// firewall and are left out.
func FromMatrix(m *matrix.Matrix) []Entry {
	var out []Entry
	for _, r := range m.Rules {
		if r.Direction == matrix.Local {
			continue
		}
		var remote []netip.Prefix
		for _, name := range r.Roles {
			if role := m.Roles[name]; role != nil {
				remote = append(remote, role.Prefixes...)
			}
		}
		e := Entry{name: "flowverify " + r.ID, ruleID: r.ID, description: r.Description, transport: r.Transport,
			ports: r.Ports, remote: remote, dynamicRPC: r.Learn == matrix.LearnEPM}
		switch r.Direction {
		case matrix.Inbound:
			e.inbound = true
			out = append(out, e)
		case matrix.Outbound:
			out = append(out, e)
		case matrix.Bidirectional:
			in := e
			in.inbound, in.name = true, e.name+" (in)"
			e.name += " (out)"
			out = append(out, in, e)
		}
	}
	return out
}

// Header is what a script says before its rules.
type Header struct {
	Text   string // the source: tool, matrix, profile
	Server string // what the site calls the server: "Threat Manager server"
}

// Write renders entries in a syntax, with a header naming the source.
func Write(w io.Writer, syntax string, h Header, entries []Entry) error {
	var b strings.Builder
	switch syntax {
	case PowerShell:
		writePowerShell(&b, h, entries)
	case netsh:
		writeNetsh(&b, h, entries)
	case nftables:
		writeNftables(&b, h.Text, entries)
	case iptables:
		writeIptables(&b, h.Text, entries)
	default:
		return fmt.Errorf("unknown syntax %q (known: %s)", syntax, strings.Join(Syntaxes(), ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// lines renders one entry as the command lines of a syntax (no header);
// suggestions carry these.
func lines(syntax string, e Entry) []string {
	var b strings.Builder
	switch syntax {
	case PowerShell:
		psEntry(&b, e)
	case netsh:
		netshEntry(&b, e)
	case nftables:
		for _, l := range nftEntry(e) {
			b.WriteString(l + "\n")
		}
	case iptables:
		iptEntry(&b, e)
	}
	return strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
}

// comment renders text as one comment line of a syntax: what a script
// says without doing. Every kind of line break becomes a space and
// controls are dropped, so no text can end the comment and start a
// command; for netsh's batch files '%' (expanded even in REM) is written
// out.
func comment(syntax, text string) []string {
	prefix := "# "
	if syntax == netsh {
		prefix = "REM "
	}
	var b strings.Builder
	b.WriteString(prefix)
	for _, r := range text {
		switch {
		case r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
		case r == '%' && syntax == netsh:
			b.WriteString(" percent")
		default:
			b.WriteRune(r)
		}
	}
	return []string{b.String()}
}

func proto(e Entry) string { return strings.ToUpper(matrix.TransportName(e.transport)) }

func prefixes(ps []netip.Prefix, v4 bool) []string {
	var out []string
	for _, p := range ps {
		if p.Addr().Is4() != v4 {
			continue
		}
		if p.IsSingleIP() {
			out = append(out, p.Addr().String())
		} else {
			out = append(out, p.String())
		}
	}
	sort.Strings(out)
	return out
}

func allPrefixes(ps []netip.Prefix) []string {
	return append(prefixes(ps, true), prefixes(ps, false)...)
}

// rpcComment explains an endpoint-mapper row's wide port range.
func rpcComment(e Entry) string {
	return "dynamic RPC: the server connects to the port the endpoint mapper hands out; Windows has no RPC keyword for remote ports, so the row's whole range " + e.ports.String() + " is allowed"
}

// --- PowerShell (NetSecurity module)

// psQuote writes a PowerShell single-quoted string. PowerShell takes the
// typographic single quotes (U+2018-U+201B) for quotes too, so each of
// them is doubled like the ASCII one; controls are dropped.
func psQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case r == '\'' || r >= 0x2018 && r <= 0x201b:
			b.WriteRune(r)
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// cmdQuote writes a double-quoted argument for cmd.exe, which has no
// escape for a quote inside one: quotes become apostrophes, '%' (which
// expands variables even inside quotes) is written out, controls dropped.
func cmdQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteByte('\'')
		case r == '%':
			b.WriteString(" percent")
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func writePowerShell(b *strings.Builder, h Header, entries []Entry) {
	fmt.Fprintf(b, "# %s\n# Run in an elevated PowerShell on the %s.\n", h.Text, h.Server)
	for _, e := range entries {
		b.WriteString("\n")
		psEntry(b, e)
	}
}

func psEntry(b *strings.Builder, e Entry) {
	if e.dynamicRPC {
		fmt.Fprintf(b, "# %s\n", rpcComment(e))
	}
	dir, portParam := "Outbound", "-RemotePort"
	if e.inbound {
		dir, portParam = "Inbound", "-LocalPort"
	}
	fmt.Fprintf(b, "New-NetFirewallRule -DisplayName %s -Group 'flowverify' -Direction %s -Action Allow -Protocol %s %s %s",
		psQuote(e.name), dir, proto(e), portParam, e.ports.String())
	if r := allPrefixes(e.remote); len(r) > 0 {
		fmt.Fprintf(b, " -RemoteAddress %s", strings.Join(r, ","))
	}
	if e.description != "" {
		fmt.Fprintf(b, " -Description %s", psQuote(e.description))
	}
	b.WriteString("\n")
}

// --- netsh advfirewall

func netshEntry(b *strings.Builder, e Entry) {
	if e.dynamicRPC {
		fmt.Fprintf(b, "REM %s\n", rpcComment(e))
	}
	dir, portParam := "out", "remoteport"
	if e.inbound {
		dir, portParam = "in", "localport"
	}
	fmt.Fprintf(b, "netsh advfirewall firewall add rule name=%s dir=%s action=allow protocol=%s %s=%s",
		cmdQuote(e.name), dir, proto(e), portParam, e.ports.String())
	if r := allPrefixes(e.remote); len(r) > 0 {
		fmt.Fprintf(b, " remoteip=%s", strings.Join(r, ","))
	}
	if e.description != "" {
		fmt.Fprintf(b, " description=%s", cmdQuote(e.description))
	}
	b.WriteString("\n")
}

func writeNetsh(b *strings.Builder, h Header, entries []Entry) {
	fmt.Fprintf(b, "REM %s\nREM Run in an elevated command prompt on the %s.\n", h.Text, h.Server)
	for _, e := range entries {
		netshEntry(b, e)
	}
}

// --- nftables

// portParts writes each range with sep between its ends.
func portParts(ps matrix.Ports, sep string) []string {
	var parts []string
	for _, r := range ps {
		if r.Lo == r.Hi {
			parts = append(parts, fmt.Sprint(r.Lo))
		} else {
			parts = append(parts, fmt.Sprintf("%d%s%d", r.Lo, sep, r.Hi))
		}
	}
	return parts
}

func nftPorts(ps matrix.Ports) string {
	parts := portParts(ps, "-")
	if len(parts) == 1 {
		return parts[0]
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

func nftSet(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return "{ " + strings.Join(s, ", ") + " }"
}

// nftEntry returns the rule lines (one per address family when the role
// mixes IPv4 and IPv6).
func nftEntry(e Entry) []string {
	p := strings.ToLower(proto(e))
	addrKey := "daddr"
	if e.inbound {
		addrKey = "saddr"
	}
	comment := fmt.Sprintf("comment %q", e.ruleID)
	base := fmt.Sprintf("%s dport %s", p, nftPorts(e.ports))
	var out []string
	if e.dynamicRPC {
		out = append(out, "# "+rpcComment(e))
	}
	if len(e.remote) == 0 {
		return append(out, base+" accept "+comment)
	}
	if v4 := prefixes(e.remote, true); len(v4) > 0 {
		out = append(out, fmt.Sprintf("ip %s %s %s accept %s", addrKey, nftSet(v4), base, comment))
	}
	if v6 := prefixes(e.remote, false); len(v6) > 0 {
		out = append(out, fmt.Sprintf("ip6 %s %s %s accept %s", addrKey, nftSet(v6), base, comment))
	}
	return out
}

func writeNftables(b *strings.Builder, header string, entries []Entry) {
	fmt.Fprintf(b, "#!/usr/sbin/nft -f\n# %s\n# For a Linux test rig standing in for the server. The chains accept by\n# default; change the policy to drop once the rules below are in place.\n", header)
	b.WriteString("table inet flowverify {\n")
	for _, chain := range []struct {
		name    string
		inbound bool
	}{{"input", true}, {"output", false}} {
		fmt.Fprintf(b, "\tchain %s {\n\t\ttype filter hook %s priority 0; policy accept;\n\t\tct state established,related accept\n", chain.name, chain.name)
		for _, e := range entries {
			if e.inbound != chain.inbound {
				continue
			}
			for _, l := range nftEntry(e) {
				fmt.Fprintf(b, "\t\t%s\n", l)
			}
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
}

// --- iptables-restore

func iptPorts(ps matrix.Ports) string {
	parts := portParts(ps, ":")
	if len(parts) == 1 {
		return "--dport " + parts[0]
	}
	return "-m multiport --dports " + strings.Join(parts, ",")
}

func iptEntry(b *strings.Builder, e Entry) {
	if e.dynamicRPC {
		fmt.Fprintf(b, "# %s\n", rpcComment(e))
	}
	chain, addrFlag := "OUTPUT", "-d"
	if e.inbound {
		chain, addrFlag = "INPUT", "-s"
	}
	p := strings.ToLower(proto(e))
	rule := fmt.Sprintf("-A %s -p %s -m %s %s", chain, p, p, iptPorts(e.ports))
	v4 := prefixes(e.remote, true)
	if v6 := prefixes(e.remote, false); len(v6) > 0 {
		fmt.Fprintf(b, "# IPv6 peers of %s go into ip6tables: %s\n", e.ruleID, strings.Join(v6, ","))
		if len(v4) == 0 {
			return
		}
	}
	if len(v4) > 0 {
		rule += " " + addrFlag + " " + strings.Join(v4, ",")
	}
	fmt.Fprintf(b, "%s -m comment --comment %q -j ACCEPT\n", rule, e.ruleID)
}

func writeIptables(b *strings.Builder, header string, entries []Entry) {
	fmt.Fprintf(b, "# %s\n# Load with iptables-restore --noflush on a Linux test rig.\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n", header)
	for _, e := range entries {
		iptEntry(b, e)
	}
	b.WriteString("COMMIT\n")
}
