package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestPublicCaptures runs analyze over real captures from other projects'
// test suites (testdata/pcaps/SOURCES.md) and checks what each is known to
// contain.
func TestPublicCaptures(t *testing.T) {
	type check func(t *testing.T, d reportDoc, r result)
	flowCount := func(d reportDoc, pred func(transport, responder, connState, verdict string) bool) int {
		n := 0
		for _, f := range d.Flows {
			if pred(f.Transport, f.Responder, f.ConnState, f.Verdict) {
				n++
			}
		}
		return n
	}
	unexpectedOn := func(d reportDoc, transport string, port int) (int, string) {
		for _, u := range d.Unexpected {
			if u.Transport == transport && u.Port == port {
				return u.Flows, u.Hint
			}
		}
		return 0, ""
	}
	cases := []struct {
		file   string
		server string
		code   int
		check  check
	}{
		{"zeek_krb_kinit.pcap", "auto", 1, func(t *testing.T, d reportDoc, r result) {
			if d.Server.Addresses[0] != "192.168.1.31" {
				t.Errorf("server %v", d.Server.Addresses)
			}
			if st, n := d.rule(t, "kerberos-out"); st != "ok" || n != 3 {
				t.Errorf("kerberos-out %s %d, want ok with the 3 TCP connections", st, n)
			}
			if n, hint := unexpectedOn(d, "udp", 88); n != 91 || !strings.Contains(hint, "the matrix lists tcp/88 for kerberos") {
				t.Errorf("udp/88: %d flows, hint %q; want the 91 UDP exchanges", n, hint)
			}
		}},
		{"zeek_ldap_aduser1.pcap", "auto", 1, func(t *testing.T, d reportDoc, r result) {
			if st, _ := d.rule(t, "ldap-out"); st != "ok" {
				t.Errorf("ldap-out %s", st)
			}
			if st, _ := d.rule(t, "kerberos-out"); st != "ok" {
				t.Errorf("kerberos-out %s", st)
			}
			if n, _ := unexpectedOn(d, "tcp", 445); n != 1 {
				t.Errorf("SMB 445 unexpected flows %d", n)
			}
		}},
		{"suricata_dcerpc_zerologon.pcap", "auto", 1, func(t *testing.T, d reportDoc, r result) {
			if st, n := d.rule(t, "rpc-epm-out"); st != "ok" || n == 0 {
				t.Errorf("rpc-epm-out %s %d", st, n)
			}
			// The endpoint mapper hands out 49668; connections there count as
			// dynamic RPC to a peer that answered on 135.
			if st, n := d.rule(t, "rpc-dynamic-out"); st != "ok" || n < 10 {
				t.Errorf("rpc-dynamic-out %s %d", st, n)
			}
			if flowCount(d, func(tr, resp, cs, v string) bool { return strings.HasSuffix(resp, ":49668") && v == "allowed" }) == 0 {
				t.Error("no allowed flow to 49668")
			}
		}},
		{"ndpi_http_proxy_8080.pcapng", "auto", 1, func(t *testing.T, d reportDoc, r result) {
			if st, n := d.rule(t, "console-8080"); st != "ok" || n != 1 {
				t.Errorf("console-8080 %s %d", st, n)
			}
		}},
		{"ndpi_tcp_scan.pcapng", "192.168.1.146", 1, func(t *testing.T, d reportDoc, r result) {
			// A classic pcap despite its name; refused ports answer RST.
			if rej := flowCount(d, func(tr, resp, cs, v string) bool { return cs == "REJ" }); rej < 2 {
				t.Errorf("%d REJ flows, want the refused 445 and 3389", rej)
			}
		}},
		{"zeek_tcp_unanswered_syn.pcap", "", 1, func(t *testing.T, d reportDoc, r result) {
			if len(d.Flows) != 1 || d.Flows[0].ConnState != "S0" || d.Flows[0].State != "attempt" {
				t.Errorf("flows %+v", d.Flows)
			}
		}},
		{"zeek_icmp_port_unreachable.pcap", "192.168.1.102", 1, func(t *testing.T, d reportDoc, r result) {
			if len(d.Flows) != 1 || !strings.Contains(d.Flows[0].Reason, "port unreachable") || d.Flows[0].Transport != "udp" {
				t.Errorf("flows %+v", d.Flows)
			}
		}},
		{"zeek_ipv4_fragmented_ntp.pcap", "", 1, func(t *testing.T, d reportDoc, r result) {
			if d.Summary.Fragments != 3 || len(d.Flows) != 1 || d.Flows[0].Fragments != 3 {
				t.Errorf("fragments %d, flows %+v", d.Summary.Fragments, d.Flows)
			}
		}},
		{"zeek_ipv6_fragmented_dns.pcap", "", 1, func(t *testing.T, d reportDoc, r result) {
			if d.Summary.Fragments == 0 || flowCount(d, func(tr, resp, cs, v string) bool { return tr == "udp" && strings.HasSuffix(resp, "]:53") }) != 2 {
				t.Errorf("fragments %d flows %+v", d.Summary.Fragments, d.Flows)
			}
		}},
		{"zeek_tcp_truncated_header.pcap", "", 1, func(t *testing.T, d reportDoc, r result) {
			// The first SYN was cut inside its options: ports and flags still count.
			if len(d.Flows) != 1 || d.Flows[0].ConnState != "SF" || d.Flows[0].Guessed {
				t.Errorf("flows %+v", d.Flows)
			}
		}},
		{"suricata_corrupt_record_smtp.pcap", "10.7.29.101", 3, func(t *testing.T, d reportDoc, r result) {
			in := d.Inputs[0]
			if !in.Damaged || in.DamageAt == nil || *in.DamageAt != 3695 || in.Packets != 18 || !d.Summary.Damaged {
				t.Errorf("input %+v", in)
			}
			if n, _ := unexpectedOn(d, "tcp", 25); n != 1 {
				t.Errorf("the SMTP flow before the damage is not reported")
			}
		}},
		{"suricata_sll2_http.pcap", "192.168.1.253", 1, func(t *testing.T, d reportDoc, r result) {
			if d.Inputs[0].LinkTypes[0] != "LINUX_SLL2" || len(d.Flows) != 1 || d.Flows[0].Responder != "192.168.1.21:80" {
				t.Errorf("links %v flows %+v", d.Inputs[0].LinkTypes, d.Flows)
			}
		}},
		{"pcapplusplus_sll.pcap", "", 1, func(t *testing.T, d reportDoc, r result) {
			if d.Inputs[0].LinkTypes[0] != "LINUX_SLL" || d.Summary.Packets != 518 || len(d.Flows) < 10 {
				t.Errorf("links %v packets %d flows %d", d.Inputs[0].LinkTypes, d.Summary.Packets, len(d.Flows))
			}
		}},
		{"pcapplusplus_many_interfaces.pcapng", "", 1, func(t *testing.T, d reportDoc, r result) {
			if strings.Join(d.Inputs[0].LinkTypes, "+") != "EN10MB+NULL+RAW" || d.Summary.Packets != 64 {
				t.Errorf("links %v packets %d", d.Inputs[0].LinkTypes, d.Summary.Packets)
			}
		}},
		{"ndpi_syslog_vlan.pcap", "", 1, func(t *testing.T, d reportDoc, r result) {
			if n := flowCount(d, func(tr, resp, cs, v string) bool { return tr == "udp" && strings.HasSuffix(resp, ":514") && cs == "S0" }); n < 15 {
				t.Errorf("%d one-way syslog flows over VLANs", n)
			}
		}},
		{"arkime_ldap_simpleauth_vlan50_3268.pcap", "10.0.0.1", 1, func(t *testing.T, d reportDoc, r result) {
			if n, hint := unexpectedOn(d, "tcp", 3268); n != 1 || !strings.Contains(hint, "global catalog") {
				t.Errorf("3268: %d %q", n, hint)
			}
		}},
		{"zeek_ldap_modify_request.pcapng", "auto", 1, func(t *testing.T, d reportDoc, r result) {
			if st, _ := d.rule(t, "ldap-out"); st != "ok" || !strings.Contains(d.Server.Addresses[0], "2a00:6020") {
				t.Errorf("ldap-out %s server %v", st, d.Server.Addresses)
			}
		}},
		{"zeek_psql_crud.pcap", "", 1, func(t *testing.T, d reportDoc, r result) {
			if len(d.Flows) != 1 || d.Flows[0].Direction != "local" || d.Flows[0].ConnState != "SF" {
				t.Errorf("flows %+v", d.Flows)
			}
		}},
		{"arkime_v6_http.pcap", "2001:6f8:102d:0:2d0:9ff:fee3:e8de,fe80::2d0:9ff:fee3:e8de", 1, func(t *testing.T, d reportDoc, r result) {
			if n, _ := unexpectedOn(d, "tcp", 80); n != 1 {
				t.Errorf("http over IPv6: %d", n)
			}
			// 33 neighbour solicitations, a router advertisement, a
			// duplicate-address probe and two MLDv2 reports (tshark):
			// infrastructure, never a flow, a finding or a guess.
			if d.Summary.Infra != 37 {
				t.Errorf("infrastructure %d, want the 37 ND/MLD packets", d.Summary.Infra)
			}
			for _, u := range d.Unexpected {
				if u.Transport == "icmp6" {
					t.Errorf("ICMPv6 judged unexpected: %+v", u)
				}
			}
			if d.Summary.Guessed != 0 {
				t.Errorf("%d flows guessed mid-stream, want none", d.Summary.Guessed)
			}
		}},
		{"ndpi_amqp.pcap", "", 1, nil},
		{"ndpi_smb2_deletefile.pcap", "192.168.1.118", 1, nil},
		{"zeek_ntp.pcap", "", 1, nil},
		{"arkime_tls13.pcap", "", 1, nil},
		{"zeek_dcerpc_kerberos135_auth.pcapng", "auto", 1, nil},
		{"arkime_dns_udp.pcap", "", 1, nil},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			server := c.server
			if server == "" {
				server = "203.0.113.1" // a server absent from the capture: everything is transit
			}
			d, r := analyzeJSON(t, "--server", server, filepath.Join(pcapDir, c.file))
			if r.code != c.code {
				t.Fatalf("exit %d, want %d: %s", r.code, c.code, r.stderr)
			}
			if d.Summary.Packets == 0 {
				t.Fatal("no packets read")
			}
			if c.check != nil {
				c.check(t, d, r)
			}
		})
	}
}

// TestPublicCaptureProtocols checks the recognised protocol of the flows
// in real captures against what their sources (and tshark) say they carry.
func TestPublicCaptureProtocols(t *testing.T) {
	cases := []struct {
		file string
		// responder port -> protocol every flow to it must have
		want map[string]string
	}{
		{"zeek_krb_kinit.pcap", map[string]string{"udp/88": "kerberos", "tcp/88": "kerberos"}},
		{"ndpi_amqp.pcap", map[string]string{"tcp/5672": "amqp"}},
		{"zeek_ldap_aduser1.pcap", map[string]string{"tcp/389": "ldap", "tcp/88": "kerberos", "tcp/445": "smb"}},
		{"zeek_ldap_modify_request.pcapng", map[string]string{"tcp/389": "ldap"}},
		{"arkime_ldap_simpleauth_vlan50_3268.pcap", map[string]string{"tcp/3268": "ldap"}},
		{"suricata_dcerpc_zerologon.pcap", map[string]string{"tcp/135": "dcerpc", "tcp/49668": "dcerpc", "tcp/445": "smb"}},
		{"zeek_dcerpc_kerberos135_auth.pcapng", map[string]string{"tcp/135": "dcerpc"}},
		{"zeek_psql_crud.pcap", map[string]string{"tcp/5432": "postgresql"}},
		// The same session from its first query on: no startup message.
		{"zeek_psql_crud_midstream.pcap", map[string]string{"tcp/5432": "postgresql"}},
		{"ndpi_http_proxy_8080.pcapng", map[string]string{"tcp/8080": "http"}},
		{"suricata_sll2_http.pcap", map[string]string{"tcp/80": "http"}},
		{"arkime_tls13.pcap", map[string]string{"tcp/443": "tls"}},
		{"arkime_dns_udp.pcap", map[string]string{"udp/53": "dns"}},
		{"zeek_ntp.pcap", map[string]string{"udp/123": "ntp"}},
		{"ndpi_smb2_deletefile.pcap", map[string]string{"tcp/445": "smb"}},
		{"ndpi_syslog_vlan.pcap", map[string]string{"udp/514": "syslog"}},
		{"pcapplusplus_sll.pcap", map[string]string{"udp/53": "dns", "udp/137": "netbios-ns"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			d, r := analyzeJSON(t, "--server", "203.0.113.1", "--fail-on", "none", filepath.Join(pcapDir, c.file))
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			seen := map[string]int{}
			for _, f := range d.Flows {
				key := f.Transport + "/" + f.Responder[strings.LastIndex(f.Responder, ":")+1:]
				want, ok := c.want[key]
				if !ok {
					continue
				}
				seen[key]++
				if f.Protocol != want {
					t.Errorf("%s %s -> %s: protocol %s, want %s", key, f.Initiator, f.Responder, f.Protocol, want)
				}
			}
			for k := range c.want {
				if seen[k] == 0 {
					t.Errorf("no flow on %s", k)
				}
			}
		})
	}
}

// TestRealSoftwareCapture judges the lab recording of real servers
// (testdata/real/README.md): every row resolves with the right status and
// protocol, and the dynamic RPC flow is attributed through the port Samba's
// endpoint mapper handed out.
func TestRealSoftwareCapture(t *testing.T) {
	d, r := analyzeJSON(t, "--server", "auto", "../../testdata/real/lab-site.pcap")
	if r.code != 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if d.Server.Addresses[0] != "10.99.0.10" {
		t.Fatalf("server %v", d.Server)
	}
	want := map[string][2]string{
		"syslog-in": {"ok", "syslog"}, "amqp-in": {"ok", "amqp"}, "console-8080": {"ok", "http"},
		"access-analyzer-8080": {"not-seen", ""}, "postgresql-out": {"ok", "postgresql"}, "kerberos-out": {"ok", "kerberos"},
		"rpc-epm-out": {"ok", "dcerpc"}, "ldap-out": {"ok", "ldap"}, "adws-out": {"blocked", ""},
		"rpc-dynamic-out": {"ok", "dcerpc"}, "action-service-out": {"ok", "http"},
	}
	for _, rule := range d.Rules {
		w, ok := want[rule.ID]
		if !ok {
			t.Errorf("unexpected rule %s", rule.ID)
			continue
		}
		if rule.Status != w[0] {
			t.Errorf("%s: status %s, want %s", rule.ID, rule.Status, w[0])
		}
		if w[1] != "" && (len(rule.Protocols) != 1 || rule.Protocols[w[1]] != rule.Flows) {
			t.Errorf("%s: protocols %v, want all %s", rule.ID, rule.Protocols, w[1])
		}
	}
	learned := false
	for _, f := range d.Flows {
		if f.Rule == "rpc-dynamic-out" {
			for _, n := range f.Notes {
				learned = learned || strings.HasPrefix(n, "learned: port 49153")
			}
		}
	}
	if !learned {
		t.Error("the DRSUAPI connection is not attributed through the learned endpoint")
	}
	if len(d.Blocked) != 1 || d.Blocked[0].Rule != "adws-out" || d.Blocked[0].Reason != "no-answer" {
		t.Errorf("blocked %+v", d.Blocked)
	}
	if n := len(d.Unexpected); n != 1 || d.Unexpected[0].Port != 3268 {
		t.Errorf("unexpected %+v", d.Unexpected)
	}
}

// TestICMPIsNeverAPort runs a capture of the kernel's ping over IPv4 and
// IPv6 between two namespaces (scripts/lab.sh record-icmp): each echo and
// its replies are one answered flow, ICMP groups and flows carry their
// message type and code instead of a port, no hint compares them with a
// TCP or UDP port, and the link's neighbour discovery and multicast
// listener reports are infrastructure.
func TestICMPIsNeverAPort(t *testing.T) {
	file, server := "../../testdata/real/icmp-echo.pcap", "10.99.1.1,fd00:99:1::1"
	r := flowverify(t, nil, "analyze", "-q", "--flows", "-f", "json", "--server", server, file)
	var d struct {
		Unexpected []struct {
			Transport, Hint string
			Port            int
			ICMPType        *int `json:"icmp_type"`
			ICMPCode        *int `json:"icmp_code"`
		}
		Flows []struct {
			Transport, Initiator, Responder string
			ConnState                       string `json:"conn_state"`
			ICMPType                        *int   `json:"icmp_type"`
		}
		Summary struct {
			Infrastructure int `json:"infrastructure"`
			Guessed        int `json:"guessed_direction"`
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("%v: %s", err, r.stderr)
	}
	want := map[string]int{"icmp": 8, "icmp6": 128}
	if len(d.Unexpected) != 2 {
		t.Fatalf("unexpected groups %+v, want one echo-request group per family", d.Unexpected)
	}
	for _, u := range d.Unexpected {
		if u.Port != 0 || u.ICMPType == nil || *u.ICMPType != want[u.Transport] || u.ICMPCode == nil || *u.ICMPCode != 0 {
			t.Errorf("%s group: port %d, type %v, code %v", u.Transport, u.Port, u.ICMPType, u.ICMPCode)
		}
		if !strings.Contains(u.Hint, "echo-request") || strings.Contains(u.Hint, "tcp") || strings.Contains(u.Hint, "udp") {
			t.Errorf("%s hint %q", u.Transport, u.Hint)
		}
	}
	if len(d.Flows) != 2 {
		t.Fatalf("flows %+v, want the two echo conversations", d.Flows)
	}
	for _, f := range d.Flows {
		if f.ConnState != "SF" || f.ICMPType == nil || strings.Contains(f.Responder, "]:") || strings.Count(f.Initiator, ":") == 1 {
			t.Errorf("%s flow %s -> %s state %s type %v: want answered, no port", f.Transport, f.Initiator, f.Responder, f.ConnState, f.ICMPType)
		}
	}
	// tshark: four neighbour solicitations, an advertisement, three MLDv2
	// reports and a router solicitation.
	if d.Summary.Infrastructure != 9 || d.Summary.Guessed != 0 {
		t.Errorf("infrastructure %d, guessed %d; want 9 and 0", d.Summary.Infrastructure, d.Summary.Guessed)
	}
	text := flowverify(t, nil, "analyze", "-q", "--server", server, file).stdout
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) > 3 && (f[1] == "ICMP" || f[1] == "ICMP6") && f[2] != "-" {
			t.Errorf("text report puts %q in the port column: %s", f[2], line)
		}
	}
	if !strings.Contains(text, "echo-request") {
		t.Errorf("text report does not name the echo:\n%s", text)
	}
}

// TestNFLOGCapture reads a capture tcpdump took through netfilter logging
// (LINKTYPE_NFLOG; scripts/lab.sh record-nflog): every record decodes,
// the refused connection to 9389 blocks adws-out, and both echoes, one
// of them to the host itself over loopback, are answered flows.
func TestNFLOGCapture(t *testing.T) {
	d, r := analyzeJSON(t, "--server", "10.99.1.1", "../../testdata/real/nflog-lab.pcap")
	if r.code != 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if d.Summary.Packets != 10 || d.Summary.Flows != 3 {
		t.Errorf("%d packets, %d flows; want 10 and 3", d.Summary.Packets, d.Summary.Flows)
	}
	if st, _ := d.rule(t, "adws-out"); st != "blocked" || len(d.Blocked) != 1 || d.Blocked[0].Reason != "refused" {
		t.Errorf("adws-out %s, blocked %+v; want the refused attempt", st, d.Blocked)
	}
	echoes := 0
	for _, f := range d.Flows {
		if f.Transport == "icmp" {
			echoes++
			if f.ConnState != "SF" {
				t.Errorf("echo %s -> %s: state %s, want answered", f.Initiator, f.Responder, f.ConnState)
			}
		}
	}
	if echoes != 2 {
		t.Errorf("%d echo flows, want 2 (one over loopback)", echoes)
	}
}

// TestMPLSCapture reads a router's capture of an echo request under two
// MPLS labels (testdata/pcaps/gopacket_mpls_icmp.pcap): the IP inside is
// decoded (tshark: "12.0.0.1 → 2.2.2.2 ICMP Echo (ping) request"), where
// the decoder used to count the frame as not IP.
func TestMPLSCapture(t *testing.T) {
	d, r := analyzeJSON(t, "--server", "12.0.0.1", "--flows", "../../testdata/pcaps/gopacket_mpls_icmp.pcap")
	if r.code > 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if d.Summary.NonIP != 0 || d.Summary.Flows != 1 || len(d.Flows) != 1 {
		t.Fatalf("non-IP %d, %d flows; want the one echo decoded", d.Summary.NonIP, d.Summary.Flows)
	}
	if f := d.Flows[0]; f.Transport != "icmp" || f.Initiator != "12.0.0.1" || f.Responder != "2.2.2.2" {
		t.Errorf("flow %+v, want icmp 12.0.0.1 -> 2.2.2.2", f)
	}
}
