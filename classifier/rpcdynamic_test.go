package classifier_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
	"github.com/flowverify/flowverify/report"
)

const (
	rpcServer = "10.20.0.10"
	rpcDC     = "10.20.0.21"
)

// dynamicFlow is the server's DRSUAPI conversation with the DC on port:
// what rpc-dynamic-out is about.
func dynamicFlow(c *synth.Capture, t time.Time, sport, port uint16) time.Time {
	dyn := []synth.Message{{FromClient: true, Data: synth.DCERPCBindDRSUAPI(1)}, {Data: synth.DCERPCBindAck(1)}}
	return c.TCP(t, synth.EP(rpcServer, sport), synth.EP(rpcDC, port), dyn, synth.TCPOptions{})
}

// epmExchange is client asking the DC's endpoint mapper, which names
// port on addr.
func epmExchange(c *synth.Capture, t time.Time, client synth.Endpoint, port uint16, addr [4]byte) time.Time {
	epm := []synth.Message{{FromClient: true, Data: synth.DCERPCBindEPM(1)}, {Data: synth.DCERPCBindAck(1)},
		{FromClient: true, Data: synth.DCERPCEptMapRequest(2)}, {Data: synth.DCERPCEptMapResponse(2, port, addr)}}
	return c.TCP(t, client, synth.EP(rpcDC, 135), epm, synth.TCPOptions{})
}

func analyzeCapture(t *testing.T, c *synth.Capture, opt matrix.LoadOptions) *report.Report {
	t.Helper()
	data := testcaps.Bytes(t, func(w io.Writer) error { return c.Write(w, synth.Format{}) })
	if opt.Server == nil {
		opt.Server = []string{rpcServer}
	}
	m, err := matrix.Load(opt)
	if err != nil {
		t.Fatal(err)
	}
	r, err := classifier.Analyze(m, testcaps.Sources(t, "case", data), nil, classifier.Options{Version: "test", WithFlows: true})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ruleOf(t *testing.T, r *report.Report, id string) report.Rule {
	t.Helper()
	for _, rr := range r.Rules {
		if rr.ID == id {
			return rr
		}
	}
	t.Fatalf("no rule %s", id)
	return report.Rule{}
}

// verdictTo is the verdict of the flow to the DC's port, with its notes.
func verdictTo(t *testing.T, r *report.Report, port uint16) (string, string) {
	t.Helper()
	want := fmt.Sprintf("%s:%d", rpcDC, port)
	var found []string
	for _, f := range r.Flows.All() {
		if f.Responder == want {
			found = append(found, f.Verdict.String(), strings.Join(append([]string{f.Reason}, f.Notes...), "; "))
		}
	}
	if len(found) != 2 {
		t.Fatalf("%d flows to %s", len(found)/2, want)
	}
	return found[0], found[1]
}

// A domain controller for rpc-dynamic-out is a host that answered DCE/RPC
// on 135 (issue 27, item 4): a reset on 135, or 135 accepted by something
// that speaks no DCE/RPC, vouches for none of the host's dynamic range.
func TestDCMustAnswerDCERPC(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		on135  func(c *synth.Capture) time.Time
		status matrix.Status
		flow   string
	}{
		{"135 refused by RST", func(c *synth.Capture) time.Time {
			return c.Refused(t0, synth.EP(rpcServer, 49801), synth.EP(rpcDC, 135), 0)
		}, matrix.StatusMissing, "unexpected"},
		{"135 accepted, HTTP spoken", func(c *synth.Capture) time.Time {
			return c.TCP(t0, synth.EP(rpcServer, 49801), synth.EP(rpcDC, 135), []synth.Message{{FromClient: true, Data: synth.HTTPRequest("GET", "/", "dc")},
				{Data: synth.HTTPResponse(200, "OK", "hello")}}, synth.TCPOptions{})
		}, matrix.StatusMissing, "unexpected"},
		{"135 accepted, nothing said", func(c *synth.Capture) time.Time {
			return c.TCP(t0, synth.EP(rpcServer, 49801), synth.EP(rpcDC, 135), nil, synth.TCPOptions{})
		}, matrix.StatusMissing, "unexpected"},
		{"a DCE/RPC bind_ack on 135", func(c *synth.Capture) time.Time {
			return c.TCP(t0, synth.EP(rpcServer, 49801), synth.EP(rpcDC, 135), []synth.Message{{FromClient: true, Data: synth.DCERPCBindEPM(1)},
				{Data: synth.DCERPCBindAck(1)}}, synth.TCPOptions{})
		}, matrix.StatusOK, "allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := synth.New(3)
			end := tc.on135(c)
			dynamicFlow(c, end.Add(10*time.Millisecond), 49802, 49155)
			r := analyzeCapture(t, c, matrix.LoadOptions{})
			if rr := ruleOf(t, r, "rpc-dynamic-out"); rr.Status != tc.status {
				t.Errorf("rpc-dynamic-out %s (%s; %v), want %s", rr.Status, rr.Reason, rr.Evidence, tc.status)
			}
			if v, why := verdictTo(t, r, 49155); v != tc.flow {
				t.Errorf("flow to 49155 %s (%s), want %s", v, why, tc.flow)
			}
		})
	}
}

// A role that lists the DC does not stand in for the endpoint mapper
// (issue 27, item 5): with Kerberos and LDAP to the DC, flows to its
// 49155 and no 135 at all, rpc-dynamic-out is not ok however the site is
// described, and the same flows are unexpected either way.
func TestDynamicRangeNeedsThisCapturesEvidence(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	build := func() *synth.Capture {
		c := synth.New(5)
		krb := []synth.Message{{FromClient: true, Data: synth.KerberosTCP(synth.KerberosASReq("svc", "CORP.EXAMPLE", t0.Add(time.Hour), 1))},
			{Data: synth.KerberosTCP(synth.KerberosError(25, "CORP.EXAMPLE", t0))}}
		end := c.TCP(t0, synth.EP(rpcServer, 49801), synth.EP(rpcDC, 88), krb, synth.TCPOptions{})
		ldap := []synth.Message{{FromClient: true, Data: synth.LDAPSearch(1, "DC=corp,DC=example")}, {Data: synth.LDAPSearchDone(1)}}
		end = c.TCP(end.Add(time.Millisecond), synth.EP(rpcServer, 49802), synth.EP(rpcDC, 389), ldap, synth.TCPOptions{})
		dynamicFlow(c, end.Add(time.Millisecond), 49803, 49155)
		return c
	}
	for _, opt := range []matrix.LoadOptions{{}, {Roles: map[string][]string{"domain-controllers": {rpcDC}}}} {
		r := analyzeCapture(t, build(), opt)
		if rr := ruleOf(t, r, "rpc-dynamic-out"); rr.Status == matrix.StatusOK {
			t.Errorf("roles %v: rpc-dynamic-out ok (%v) with no endpoint-mapper evidence", opt.Roles, rr.Evidence)
		}
		if v, why := verdictTo(t, r, 49155); v != "unexpected" {
			t.Errorf("roles %v: flow to 49155 %s (%s), want unexpected", opt.Roles, v, why)
		}
	}
}

// Learned ports are the row (issue 27, item 10): a port the DC's endpoint
// mapper named in a reply to the server satisfies rpc-dynamic-out
// whatever its number, as on sites that fix NTDS and Netlogon ports, and
// the report says it lies outside the documented range; strict_range
// holds the rule to its ports. The address constraint stays: a reply
// naming another host, or one to another client's request, allows
// nothing.
func TestLearnedPortsAreTheRow(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	dcIP := [4]byte{10, 20, 0, 21}
	strict := writeFile(t, "strict.yaml", "rules:\n  - id: rpc-dynamic-out\n    strict_range: true\n")
	cases := []struct {
		name   string
		client synth.Endpoint
		named  [4]byte
		config string
		status matrix.Status
		flow   string
		note   string
	}{
		{"fixed NTDS and Netlogon ports", synth.EP(rpcServer, 49801), dcIP, "", matrix.StatusOK, "allowed", "outside the rule's documented range 49152-65535"},
		{"strict_range", synth.EP(rpcServer, 49801), dcIP, strict, matrix.StatusMissing, "unexpected", ""},
		{"the reply names another host", synth.EP(rpcServer, 49801), [4]byte{10, 20, 0, 99}, "", matrix.StatusMissing, "unexpected", ""},
		{"the reply answered another client", synth.EP("10.20.5.5", 50001), dcIP, "", matrix.StatusMissing, "unexpected", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := synth.New(9)
			at := t0
			for i, port := range []uint16{4997, 1032} {
				client := tc.client
				client.Port += uint16(10 * i)
				at = epmExchange(c, at.Add(time.Millisecond), client, port, tc.named)
				at = dynamicFlow(c, at.Add(time.Millisecond), 49900+uint16(i), port)
			}
			opt := matrix.LoadOptions{ConfigFile: tc.config}
			r := analyzeCapture(t, c, opt)
			rr := ruleOf(t, r, "rpc-dynamic-out")
			if rr.Status != tc.status {
				t.Errorf("rpc-dynamic-out %s (%s; %v), want %s", rr.Status, rr.Reason, rr.Evidence, tc.status)
			}
			for _, port := range []uint16{4997, 1032} {
				v, why := verdictTo(t, r, port)
				if v != tc.flow || !strings.Contains(why, tc.note) {
					t.Errorf("flow to %d: %s (%s), want %s noting %q", port, v, why, tc.flow, tc.note)
				}
			}
			if tc.status == matrix.StatusOK && !strings.Contains(strings.Join(rr.Evidence, "; "), "outside the documented range 49152-65535 (4997, 1032)") {
				t.Errorf("the rule does not note the ports outside its range: %v", rr.Evidence)
			}
		})
	}
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
