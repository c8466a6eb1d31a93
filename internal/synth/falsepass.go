package synth

import (
	"archive/zip"
	"bytes"
	"fmt"
	"time"
)

// FalsePassCorpus is every case of issue 27 that once made flowverify pass
// (or fail) what the traffic did not show, each with the outcome the
// evidence rule promises. The monitor's two cases (a run shorter than its
// window, a silent link) need a live interface and wall-clock time: they
// are run by the monitor's namespace test, not written here.
func FalsePassCorpus() []HostileCase {
	fp := &falsePass{n: DefaultNet(), t0: Start()}
	fp.dc = fp.n.DCs[0]
	fp.oneWay()
	fp.pastTheFixes()
	fp.domainControllers()
	fp.inputNames()
	fp.suggestions()
	fp.mergeNotJudged()
	fp.monitor()
	fp.diffNames()
	fp.endpointMapperPorts()
	return fp.cs
}

// falsePass is what the corpus's cases share: the site's network, the
// capture's start and its first domain controller.
type falsePass struct {
	n  Net
	t0 time.Time
	dc string
	cs []HostileCase
}

func (fp *falsePass) add(c HostileCase) { fp.cs = append(fp.cs, c) }

// ldapOnlySite is a site file that judges LDAP alone, so that nothing
// else decides the verdict.
const ldapOnlySite = "remove_rules: [syslog-in, amqp-in, console-8080, access-analyzer-8080, postgresql-out, kerberos-out, rpc-epm-out, adws-out, rpc-dynamic-out, action-service-out]\n"

// oneWay holds point 3 of issue 27: one-way data is an attempt of
// unknown outcome, never ok.
func (fp *falsePass) oneWay() {
	n, t0, dc := fp.n, fp.t0, fp.dc
	ldapOnly := []byte(ldapOnlySite)
	oneWay := New(11)
	oneWay.OneWay(t0, EP(n.Server, 50010), EP(dc, 389), pshF|ackF, [][]byte{LDAPSearch(1, "DC=corp"), LDAPSearch(2, "DC=corp")})
	fp.add(HostileCase{Name: "one-way-ldap-requests", Why: "two LDAP search requests to a DC, no handshake and no reply: the capture does not show LDAP working",
		Files: map[string][]byte{"oneway.pcap": capBytes(oneWay), "ldap-only.yaml": ldapOnly}, Args: judge("oneway.pcap", "-c", "ldap-only.yaml"), Exit: []int{4},
		Checks: []Check{is("rules[id=ldap-out].status", `"unconfirmed"`), is("summary.verdict", `"inconclusive"`),
			is("flows.0.verdict", `"unconfirmed"`)}})
	bare := New(11)
	bare.OneWay(t0, EP(n.Server, 50010), EP(dc, 389), ackF, [][]byte{nil, nil})
	fp.add(HostileCase{Name: "one-way-ldap-without-payload", Why: "the same segments without payload are unanswered attempts: blocked, as before",
		Files: map[string][]byte{"bare.pcap": capBytes(bare), "ldap-only.yaml": ldapOnly}, Args: judge("bare.pcap", "-c", "ldap-only.yaml"), Exit: []int{1},
		Checks: []Check{is("rules[id=ldap-out].status", `"blocked"`)}})
	synAcks := New(11)
	for i := 0; i < 3; i++ {
		synAcks.Probe(t0.Add(time.Duration(i)*time.Second), EP(dc, 389), EP(n.Server, uint16(50020+i)), synF|ackF, 0)
	}
	fp.add(HostileCase{Name: "lone-syn-acks-from-ldap", Why: "three SYN/ACKs from DC:389 with no SYN and no ACK: no handshake was seen",
		Files: map[string][]byte{"synack.pcap": capBytes(synAcks), "ldap-only.yaml": ldapOnly}, Args: judge("synack.pcap", "-c", "ldap-only.yaml"), Exit: []int{4},
		Checks: []Check{is("rules[id=ldap-out].status", `"unconfirmed"`), is("summary.verdict", `"inconclusive"`)}})
}

// pastTheFixes holds what an attacker found past the first fixes: a
// SYN/ACK before the SYN, a lone data segment or datagram from the peer, a
// peer a role lists that was seen only unconfirmed, an endpoint mapper's
// answer heard alone or off 135.
func (fp *falsePass) pastTheFixes() {
	n, t0, dc := fp.n, fp.t0, fp.dc
	ldapOnly := []byte(ldapOnlySite)
	early := New(11)
	early.Probe(t0, EP(dc, 389), EP(n.Server, 50050), synF|ackF, 0)
	early.Probe(t0.Add(time.Millisecond), EP(n.Server, 50050), EP(dc, 389), synF, 0)
	early.Probe(t0.Add(2*time.Millisecond), EP(n.Server, 50050), EP(dc, 389), ackF, 0)
	fp.add(HostileCase{Name: "syn-ack-before-the-syn", Why: "a SYN/ACK sent before the SYN answers nothing: no handshake",
		Files: map[string][]byte{"early.pcap": capBytes(early), "ldap-only.yaml": ldapOnly}, Args: judge("early.pcap", "-c", "ldap-only.yaml"), Exit: []int{4},
		Checks: []Check{is("rules[id=ldap-out].status", `"unconfirmed"`)}})
	lone := New(11)
	lone.OneWay(t0, EP(dc, 389), EP(n.Server, 50051), pshF|ackF, [][]byte{LDAPSearchDone(1)})
	fp.add(HostileCase{Name: "lone-data-segment-from-ldap", Why: "one data segment from DC:389 and nothing from the server is one direction, not an answer",
		Files: map[string][]byte{"lone.pcap": capBytes(lone), "ldap-only.yaml": ldapOnly}, Args: judge("lone.pcap", "-c", "ldap-only.yaml"), Exit: []int{4},
		Checks: []Check{is("rules[id=ldap-out].status", `"unconfirmed"`)}})
	udpReply := New(11)
	udpReply.UDP(t0, EP(dc, 88), EP(n.Server, 50052), []Message{{FromClient: true, Data: KerberosASRep("svc", n.Realm, []byte{1, 2, 3, 4})}}, 0)
	krbUDP := []byte("remove_rules: [syslog-in, amqp-in, console-8080, access-analyzer-8080, postgresql-out, kerberos-out, rpc-epm-out, ldap-out, adws-out, rpc-dynamic-out, action-service-out]\n" +
		"rules:\n  - id: kerberos-udp-out\n    direction: outbound\n    transport: udp\n    ports: \"88\"\n    protocol: [kerberos]\n    required: true\n")
	fp.add(HostileCase{Name: "lone-udp-reply-from-kerberos", Why: "a Kerberos reply with no request is no answer: the flow table turns it around, the server sent nothing",
		Files: map[string][]byte{"reply.pcap": capBytes(udpReply), "krb-udp.yaml": krbUDP}, Args: judge("reply.pcap", "-c", "krb-udp.yaml"), Exit: []int{4},
		Checks: []Check{is("rules[id=kerberos-udp-out].status", `"unconfirmed"`)}})
	twoDCs := New(11)
	tt := twoDCs.TCP(t0, EP(n.Server, 50060), EP(dc, 389), []Message{{FromClient: true, Data: LDAPSearch(1, "DC=corp")}, {Data: LDAPSearchDone(1)}}, TCPOptions{})
	twoDCs.OneWay(tt.Add(time.Second), EP(n.Server, 50061), EP(n.DCs[1], 389), pshF|ackF, [][]byte{LDAPSearch(2, "DC=corp")})
	fp.add(HostileCase{Name: "second-dc-only-unconfirmed", Why: "LDAP works to one DC and the other was seen only one way: the rule is not ok with the second, named or not",
		Files: map[string][]byte{"two.pcap": capBytes(twoDCs), "ldap-only.yaml": ldapOnly},
		Args:  judge("two.pcap", "-c", "ldap-only.yaml", "--host", "dc1="+dc, "--host", "dc2="+n.DCs[1], "--role", "domain-controllers=dc1,dc2"), Exit: []int{4},
		Checks: []Check{is("rules[id=ldap-out].status", `"unconfirmed"`), is("summary.verdict", `"inconclusive"`)}})
	bindAck := New(12)
	bindAck.OneWay(t0, EP(dc, 135), EP(n.Server, 49900), pshF|ackF, [][]byte{DCERPCBindAck(1)})
	bindAck.TCP(t0.Add(10*time.Millisecond), EP(n.Server, 49901), EP(dc, 49155), []Message{{FromClient: true, Data: DCERPCBindDRSUAPI(1)}, {Data: DCERPCBindAck(1)}}, TCPOptions{})
	fp.add(HostileCase{Name: "lone-bind-ack-makes-no-dc", Why: "a bind_ack from 135 answering no request of the server's makes no domain controller",
		Files: one("bindack.pcap", capBytes(bindAck)), Args: judge("bindack.pcap"), Exit: []int{1},
		Checks: []Check{is("flows[responder="+dc+":49155].verdict", `"unexpected"`)}})
	offPort := New(12)
	epm := []Message{{FromClient: true, Data: DCERPCBindEPM(1)}, {Data: DCERPCBindAck(1)},
		{FromClient: true, Data: DCERPCEptMapRequest(2)}, {Data: DCERPCEptMapResponse(2, 4997, [4]byte{})}}
	t2 := offPort.TCP(t0, EP(n.Server, 49902), EP(dc, 5000), epm, TCPOptions{})
	offPort.TCP(t2.Add(10*time.Millisecond), EP(n.Server, 49903), EP(dc, 4997), []Message{{FromClient: true, Data: DCERPCBindDRSUAPI(1)}, {Data: DCERPCBindAck(1)}}, TCPOptions{})
	fp.add(HostileCase{Name: "endpoint-mapper-off-135-teaches-nothing", Why: "an ept_map exchange on port 5000 is no endpoint mapper: the port it names is not the row",
		Files: one("off135.pcap", capBytes(offPort)), Args: judge("off135.pcap"), Exit: []int{1},
		Checks: []Check{is("flows[responder="+dc+":4997].verdict", `"unexpected"`)}})
}

// domainControllers holds points 4 and 5: a domain controller is a host
// that answered DCE/RPC on 135, and the same flows, described two ways,
// give the same verdicts.
func (fp *falsePass) domainControllers() {
	n, t0, dc := fp.n, fp.t0, fp.dc
	drsuapi := []Message{{FromClient: true, Data: DCERPCBindDRSUAPI(1)}, {Data: DCERPCBindAck(1)}}
	refused := New(12)
	t1 := refused.Refused(t0, EP(n.Server, 50030), EP(dc, 135), 0)
	refused.TCP(t1.Add(10*time.Millisecond), EP(n.Server, 50031), EP(dc, 49155), drsuapi, TCPOptions{})
	fp.add(HostileCase{Name: "refused-endpoint-mapper-makes-no-dc", Why: "a host that refuses 135 with RST is no domain controller for the dynamic range",
		Files: one("refused.pcap", capBytes(refused)), Args: judge("refused.pcap"), Exit: []int{1},
		Checks: []Check{is("rules[id=rpc-dynamic-out].status", `"missing"`), is("flows[responder="+dc+":49155].verdict", `"unexpected"`)}})
	silent := New(12)
	t1 = silent.TCP(t0, EP(n.Server, 50032), EP(dc, 135), []Message{{FromClient: true, Data: HTTPRequest("GET", "/", dc)}, {Data: HTTPResponse(200, "OK", "hi")}}, TCPOptions{})
	silent.TCP(t1.Add(10*time.Millisecond), EP(n.Server, 50033), EP(dc, 49155), drsuapi, TCPOptions{})
	fp.add(HostileCase{Name: "endpoint-mapper-speaking-http-makes-no-dc", Why: "a host that accepts 135 and speaks no DCE/RPC is no domain controller for the dynamic range",
		Files: one("http135.pcap", capBytes(silent)), Args: judge("http135.pcap"), Exit: []int{1},
		Checks: []Check{is("rules[id=rpc-dynamic-out].status", `"missing"`), is("flows[responder="+dc+":49155].verdict", `"unexpected"`)}})

	site := New(13)
	tk := site.TCP(t0, EP(n.Server, 50040), EP(dc, 88), []Message{{FromClient: true, Data: KerberosTCP(KerberosASReq("svc", n.Realm, t0.Add(time.Hour), 1))},
		{Data: KerberosTCP(KerberosASRep("svc", n.Realm, []byte{1, 2, 3, 4}))}}, TCPOptions{})
	tk = site.TCP(tk.Add(time.Second), EP(n.Server, 50041), EP(dc, 389), []Message{{FromClient: true, Data: LDAPSearch(1, "DC=corp")}, {Data: LDAPSearchDone(1)}}, TCPOptions{})
	tk = site.TCP(tk.Add(time.Second), EP(n.Server, 50042), EP(dc, 445), []Message{{FromClient: true, Data: SMB2Negotiate()}, {Data: SMB2Negotiate()}}, TCPOptions{})
	site.TCP(tk.Add(time.Second), EP(n.Server, 50043), EP(dc, 49155), drsuapi, TCPOptions{})
	for _, how := range []struct {
		name string
		args []string
	}{{"server-flag", judge("site.pcap")}, {"hosts-site-file", []string{"analyze", "-q", "-f", "json", "--flows", "-c", "site.yaml", "site.pcap"}},
		{"host-and-role-flags", judge("site.pcap", "--host", "dc1="+dc, "--role", "domain-controllers=dc1")}} {
		fp.add(HostileCase{Name: "dynamic-rpc-without-endpoint-mapper-by-" + how.name,
			Why:    "flows to a DC's 49155 with no endpoint-mapper exchange are unexpected however the DC is named",
			Files:  one("site.pcap", capBytes(site)),
			Before: [][]string{{"hosts", "-s", n.Server, "-f", "yaml", "-o", "site.yaml", "site.pcap"}}, Args: how.args, Exit: []int{1},
			Checks: []Check{is("rules[id=rpc-dynamic-out].status", `"missing"`), is("rules[id=rpc-epm-out].status", `"missing"`),
				is("flows[responder="+dc+":49155].verdict", `"unexpected"`)}})
	}
}

// inputNames holds point 6: input names cannot add keys to the site file.
func (fp *falsePass) inputNames() {
	n := fp.n
	hostileName := "day\u2028ignore: [{id: hide, transport: tcp, ports: \"1-65535\"}]\u2028remove_rules: [adws-out]\u2028#.pcap"
	fp.add(HostileCase{Name: "site-file-rewritten-by-a-member-name", Why: "a zip member name with U+2028 line separators adds no ignore and removes no rule from the site file hosts writes",
		Files:  one("customer.zip", zipOf(map[string][]byte{hostileName: scenarioBytes("firewall-9389")})),
		Before: [][]string{{"hosts", "-s", n.Server, "-f", "yaml", "-o", "site.yaml", "customer.zip"}},
		Args:   []string{"analyze", "-q", "-f", "json", "-c", "site.yaml", "customer.zip"}, Exit: []int{1},
		Checks: []Check{is("rules[id=adws-out].status", `"blocked"`), is("summary.verdict", `"findings"`), {File: "site.yaml", Absent: "\u2028"},
			{File: "site.yaml", Absent: "\u2029"}, {File: "site.yaml", Absent: "\u0085"}}})
	fp.add(HostileCase{Name: "line-separator-in-a-text-report", Why: "U+2028 in an input name is escaped in text and Markdown reports",
		Files: one("customer.zip", zipOf(map[string][]byte{hostileName: scenarioBytes("firewall-9389")})),
		Args:  []string{"analyze", "-s", n.Server, "-f", "markdown", "customer.zip"}, Exit: []int{1},
		Checks: []Check{{Stream: "stdout", Absent: "\u2028"}, {Stream: "stderr", Absent: "\u2028"}}})
}

// suggestions holds point 7: a suggestion never allows anything.
func (fp *falsePass) suggestions() {
	n := fp.n
	var flood bytes.Buffer
	WriteFlood(&flood, 12000, 3)
	for _, syntax := range []string{"powershell", "netsh", "nftables", "iptables"} {
		need := map[string][2]string{"powershell": {"-Action Allow", "-RemoteAddress"}, "netsh": {"action=allow", "remoteip="},
			"nftables": {" accept", " daddr "}, "iptables": {"-j ACCEPT", " -d "}}[syntax]
		fp.add(HostileCase{Name: "suggestions-on-a-flood-" + syntax, Why: "on a flood folded into (others) groups, every Allow rule names its remote addresses and no rule allows port 0",
			Files: one("flood.pcap", flood.Bytes()), Args: []string{"analyze", "-q", "-f", "json", "-s", n.Server, "--suggest", syntax, "--suggest-unexpected", "flood.pcap"},
			Exit:   []int{1},
			Checks: []Check{{Stream: "stdout", LinesWith: need[0], Need: need[1]}, {Stream: "stdout", Absent: "RemotePort 0 "}, {Stream: "stdout", Absent: "remoteport=0 "}}})
	}
}

// mergeNotJudged holds point 8: merging not-judged reports stays
// not-judged.
func (fp *falsePass) mergeNotJudged() {
	t0 := fp.t0
	noServer := func(seed uint64, host string) []byte {
		c := New(seed)
		c.UDP(t0, EP(host, 53000), EP("10.99.0.53", 53), []Message{{FromClient: true, Data: DNSQuery(1, "corp.example")},
			{Data: DNSAnswer(1, "corp.example", [4]byte{10, 99, 0, 1})}}, 0)
		return capBytes(c)
	}
	fp.add(HostileCase{Name: "merge-of-not-judged-reports", Why: "two reports with no server merge into one with no server: exit 2, not findings",
		Files:  map[string][]byte{"a.pcap": noServer(14, "10.99.0.7"), "b.pcap": noServer(15, "10.99.0.8")},
		Before: [][]string{{"analyze", "-q", "-o", "a.json", "a.pcap"}, {"analyze", "-q", "-o", "b.json", "b.pcap"}},
		Args:   []string{"merge", "-f", "json", "a.json", "b.json"}, Exit: []int{2},
		Checks: []Check{is("summary.verdict", `"not-judged"`), is("summary.findings.missing", "0")}})
}

// monitor holds points 1 and 2: short of its window a monitor is
// observing; on a silent link (a filter nothing passes) the window still
// moves on the wall clock, so the required rules become missing.
func (fp *falsePass) monitor() {
	fp.add(HostileCase{Name: "monitor-shorter-than-its-window", Why: "a 3 s run of a 1 min window never says CONFORMS (loopback: needs capture rights)",
		Args: []string{"monitor", "-i", "lo", "-s", "127.0.0.1", "--bpf", "udp port 9 and host 127.0.0.99", "--window", "1m", "--duration", "3s", "-o", "report.json"},
		Exit: []int{4}, Checks: []Check{{File: "report.json", JSON: "summary.verdict", Equal: `"observing"`},
			{Stream: "stderr", NoLinePrefix: "Summary: CONFORMS"}}})
	fp.add(HostileCase{Name: "monitor-on-a-silent-link", Why: "no packet at all for three windows: the required rules are missing (loopback: needs capture rights)",
		Args: []string{"monitor", "-i", "lo", "-s", "127.0.0.1", "--bpf", "udp port 9 and host 127.0.0.99", "--window", "2s", "--interval", "1s",
			"--duration", "7s", "--events", "events.jsonl", "-o", "report.json"},
		Exit: []int{1}, Checks: []Check{{File: "report.json", JSON: "rules[id=syslog-in].status", Equal: `"missing"`},
			{File: "events.jsonl", Contains: `"rule_missing"`}}})
}

// diffNames holds point 9: a peer named once and not the other time is
// the same peer.
func (fp *falsePass) diffNames() {
	n, dc := fp.n, fp.dc
	fp.add(HostileCase{Name: "diff-named-and-unnamed-peers", Why: "the same traffic analysed with and without host names is no regression",
		Files: one("day.pcap", scenarioBytes("all-good")),
		Before: [][]string{{"analyze", "-q", "-s", n.Server, "-o", "plain.json", "day.pcap"},
			{"analyze", "-q", "-s", n.Server, "--host", "agent1=" + n.amAgents[0], "--host", "dc1=" + dc, "-o", "named.json", "day.pcap"}},
		Args: []string{"diff", "-f", "json", "named.json", "plain.json"}, Exit: []int{0},
		Checks: []Check{is("regression", "false")}})
}

// endpointMapperPorts holds point 10: a port the endpoint mapper names is
// the row, whatever its number.
func (fp *falsePass) endpointMapperPorts() {
	dc := fp.dc
	for _, port := range []uint16{4997, 1032} {
		fp.add(HostileCase{Name: fmt.Sprint("endpoint-mapper-names-port-", port), Why: "a site with fixed RPC ports: the port the DC's endpoint mapper names satisfies rpc-dynamic-out",
			Files: one("epm.pcap", EPMExchange([4]byte{}, port)), Args: judge("epm.pcap"), Exit: []int{1},
			Checks: []Check{is("rules[id=rpc-dynamic-out].status", `"ok"`), is(fmt.Sprintf("flows[responder=%s:%d].verdict", dc, port), `"allowed"`)}})
	}
}

// zipOf is a zip archive of the given members, stored uncompressed.
func zipOf(members map[string][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range members {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: Start()})
		if err != nil {
			panic(err) // only a name over 65,535 bytes fails, and these are short
		}
		w.Write(data)
	}
	zw.Close()
	return b.Bytes()
}
