package matrix

import "testing"

// A weak_evidence entry and the capture point are checked as a row's keys
// are: a bad value is an error naming the key and the file.
func TestWeakEvidenceKeysNameTheKey(t *testing.T) {
	weak := func(entry string) string { return "site:\n  weak_evidence:\n    - " + entry + "\n" }
	for _, c := range []struct {
		name, body string
		want       []string
	}{
		{"bad transport", weak(`{transport: sctp, ports: "1", direction: outbound, evidence: 1}`), []string{"site.weak_evidence[0].transport"}},
		{"no ports", weak(`{transport: tcp, direction: outbound, evidence: 1}`), []string{"site.weak_evidence[0].ports"}},
		{"local", weak(`{transport: tcp, ports: "1", direction: local, evidence: 1}`), []string{"site.weak_evidence[0].direction", "inbound"}},
		{"no weight", weak(`{transport: tcp, ports: "1", direction: outbound}`), []string{"site.weak_evidence[0].evidence", "1 to 100"}},
		{"misspelt part", weak(`{transport: tcp, ports: "1", direction: outbound, evidence: 1, only_with: dcs}`), []string{"site.weak_evidence[0].only_with", "did you mean dc"}},
		{"unknown key", weak(`{transport: tcp, ports: "1", direction: outbound, evidence: 1, wieght: 2}`), []string{"wieght"}},
		{"too many ports", weak(`{transport: tcp, ports: "1-40", direction: outbound, evidence: 1}`), []string{"site.weak_evidence[0]", "more than 32"}},
		{"share too low", "site:\n  capture_point: {share: 50}\n", []string{"site.capture_point.share", "51-100"}},
		{"no flows", "site:\n  capture_point: {min_flows: 0}\n", []string{"site.capture_point.min_flows", "1 or more"}},
		{"negative weight", "site:\n  capture_point: {evidence: -1}\n", []string{"site.capture_point.evidence"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantLoadError(t, c.body, c.want)
		})
	}
}

// The site's weak evidence and capture point are the file's: a site that
// lists its own replaces the profile's list, keeps the profile's keys it
// leaves out of capture_point, and a bidirectional row is a kind on both
// sides.
func TestWeakEvidenceFromTheFile(t *testing.T) {
	m, err := Load(LoadOptions{ConfigFile: writeConfig(t, `site:
  weak_evidence:
    - {transport: udp, ports: "53", direction: outbound, service: DNS, only_with: dc, evidence: 2}
  capture_point: {share: 95}
`)})
	if err != nil {
		t.Fatal(err)
	}
	var weak []ServerEvidence
	both := map[bool]bool{}
	for _, e := range m.ServerEvidence() {
		if e.Weak {
			weak = append(weak, e)
		}
		if e.Source == "console-8080" {
			both[e.Responder] = true
		}
	}
	if len(weak) != 1 || weak[0].Text != "opens DNS udp/53" || weak[0].Weight != 2 || weak[0].OnlyWith != "dc" || weak[0].Responder {
		t.Errorf("weak evidence %+v", weak)
	}
	if cp := m.CapturePoint(); cp != (CapturePoint{Share: 95, MinFlows: 10, Weight: 2}) {
		t.Errorf("capture point %+v", cp)
	}
	if !both[true] || !both[false] {
		t.Errorf("console-8080 is bidirectional: kinds on both sides, got %v", both)
	}
}

// Only an answer shows a kind: a failed attempt never does, and a
// one_way row's datagram shows it without a reply.
func TestEvidenceShownOnlyByAnswers(t *testing.T) {
	tcpKind := ServerEvidence{Transport: TCP, Port: 88}
	syslog := ServerEvidence{Transport: UDP, Port: 10000, Responder: true, OneWay: true}
	dns := ServerEvidence{Transport: UDP, Port: 53}
	for _, c := range []struct {
		name string
		kind ServerEvidence
		f    FlowFacts
		want bool
	}{
		{"handshake", tcpKind, FlowFacts{Transport: TCP, IniPkts: 3, ResPkts: 1, SYNs: 1, Handshake: true}, true},
		{"unanswered SYNs", tcpKind, FlowFacts{Transport: TCP, IniPkts: 3, SYNs: 3, Opening: OpeningUnanswered}, false},
		{"refused", tcpKind, FlowFacts{Transport: TCP, IniPkts: 1, ResPkts: 1, SYNs: 1, Opening: OpeningRefused}, false},
		{"SYN/ACK never completed", tcpKind, FlowFacts{Transport: TCP, IniPkts: 1, ResPkts: 1, SYNs: 1, ResSYNACK: true}, false},
		{"ICMP unreachable", tcpKind, FlowFacts{Transport: TCP, IniPkts: 1, SYNs: 1, Unreach: true}, false},
		{"syslog datagram", syslog, FlowFacts{Transport: UDP, IniPkts: 5}, true},
		{"syslog refused by ICMP", syslog, FlowFacts{Transport: UDP, IniPkts: 1, Unreach: true}, false},
		{"DNS answered", dns, FlowFacts{Transport: UDP, IniPkts: 1, ResPkts: 1}, true},
		{"DNS unanswered", dns, FlowFacts{Transport: UDP, IniPkts: 2}, false},
	} {
		if got := c.kind.Shows(&c.f); got != c.want {
			t.Errorf("%s: shows %v, want %v", c.name, got, c.want)
		}
	}
}
