package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
)

// verdicts is what must not depend on how the site is described: every
// rule's status and every flow's verdict and rule.
type verdicts struct {
	rules map[string]string
	flows map[string]string
}

func verdictsOf(t *testing.T, how string, args ...string) verdicts {
	t.Helper()
	r := flowverify(t, nil, append([]string{"analyze", "-f", "json", "--flows", "-q"}, args...)...)
	if r.code == 2 {
		t.Fatalf("%s: exit 2: %s", how, r.stderr)
	}
	var doc struct {
		Rules []struct{ ID, Status string }
		Flows []struct {
			Transport, Initiator, Responder, First, Verdict, Rule string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%s: exit %d, not JSON: %v\n%s", how, r.code, err, r.stderr)
	}
	v := verdicts{rules: map[string]string{}, flows: map[string]string{}}
	for _, rr := range doc.Rules {
		v.rules[rr.ID] = rr.Status
	}
	for _, f := range doc.Flows {
		k := f.Transport + " " + f.Initiator + " -> " + f.Responder + " at " + f.First
		for n := 2; v.flows[k] != ""; n++ { // one tuple twice in one instant
			k = fmt.Sprintf("%s #%d", k, n)
		}
		v.flows[k] = f.Verdict + " " + f.Rule
	}
	return v
}

// differences lists, at most a few, what b says otherwise than a.
func differences(a, b verdicts) []string {
	var out []string
	for _, pair := range []struct {
		what string
		x, y map[string]string
	}{{"rule", a.rules, b.rules}, {"flow", a.flows, b.flows}} {
		keys := make([]string, 0, len(pair.x)+len(pair.y))
		for k := range pair.x {
			keys = append(keys, k)
		}
		for k := range pair.y {
			if _, ok := pair.x[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if pair.x[k] != pair.y[k] {
				out = append(out, fmt.Sprintf("%s %s: %q vs %q", pair.what, k, pair.x[k], pair.y[k]))
			}
		}
	}
	if len(out) > 8 {
		out = append(out[:8], fmt.Sprintf("... %d more", len(out)-8))
	}
	return out
}

// dynamicWithoutEPM is issue 27's item 5: Kerberos, LDAP and SMB to a DC
// and flows to its TCP 49155, with no endpoint mapper at all. A role that
// lists the DC (as hosts -f yaml writes it) once let rpc-dynamic-out
// match by range, while -s left the same flows unexpected.
func dynamicWithoutEPM(t *testing.T) string {
	n := synth.DefaultNet()
	s := synth.NewSite(n, 27)
	t0 := synth.Start()
	s.Syslog(t0, 2)
	s.AMQP(t0, 1)
	dc := n.DCs[0]
	srv := func(p uint16) synth.Endpoint { return synth.EP(n.Server, p) }
	krb := []synth.Message{{FromClient: true, Data: synth.KerberosTCP(synth.KerberosASReq("svc", n.Realm, t0.Add(time.Hour), 1))},
		{Data: synth.KerberosTCP(synth.KerberosError(25, n.Realm, t0))}}
	at := s.C.TCP(t0.Add(time.Second), srv(49901), synth.EP(dc, 88), krb, synth.TCPOptions{})
	ldap := []synth.Message{{FromClient: true, Data: synth.LDAPSearch(1, "DC=corp,DC=example")}, {Data: synth.LDAPSearchDone(1)}}
	at = s.C.TCP(at.Add(time.Millisecond), srv(49902), synth.EP(dc, 389), ldap, synth.TCPOptions{})
	at = s.C.TCP(at.Add(time.Millisecond), srv(49903), synth.EP(dc, 445), []synth.Message{{FromClient: true, Data: synth.SMB2Negotiate()}}, synth.TCPOptions{})
	for i := range uint16(3) {
		dyn := []synth.Message{{FromClient: true, Data: synth.DCERPCBindDRSUAPI(1)}, {Data: synth.DCERPCBindAck(1)}}
		at = s.C.TCP(at.Add(time.Millisecond), srv(49904+i), synth.EP(dc, 49155), dyn, synth.TCPOptions{})
	}
	path := filepath.Join(t.TempDir(), "dynamic-without-epm.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := s.C.Write(f, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	return path
}

// The same flows give the same verdicts however the site is described
// (issue 27, item 5): for every capture under testdata, and item 5's,
// analyze with -s and the server's addresses, with the --host, --server
// and --role flags hosts prints, and with -c and the matrix file hosts -f
// yaml writes, must agree on every rule's status and every flow's verdict.
func TestSiteDescriptionsAgree(t *testing.T) {
	paths := append(testcaps.Paths(t), dynamicWithoutEPM(t))
	compared := 0
	for _, path := range paths {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			r := flowverify(t, nil, "hosts", "-f", "json", path)
			var inv struct {
				Server struct {
					Addresses []string
					Source    string
				}
				Flags []string
			}
			if err := json.Unmarshal([]byte(r.stdout), &inv); err != nil {
				t.Fatalf("hosts -f json: exit %d, %v\n%s", r.code, err, r.stderr)
			}
			if inv.Server.Source == "none" || len(inv.Server.Addresses) == 0 {
				t.Skipf("no server can be inferred from %s", name)
			}
			y := flowverify(t, nil, "hosts", "-f", "yaml", path)
			site := filepath.Join(t.TempDir(), "site.yaml")
			if err := os.WriteFile(site, []byte(y.stdout), 0o600); err != nil {
				t.Fatal(err)
			}
			var flags []string
			for _, f := range inv.Flags {
				name, value, _ := strings.Cut(f, " ")
				flags = append(flags, name, value)
			}
			byServer := verdictsOf(t, "-s", "-s", strings.Join(inv.Server.Addresses, ","), path)
			byFlags := verdictsOf(t, "flags", append(flags, path)...)
			byFile := verdictsOf(t, "-c", "-c", site, path)
			if d := differences(byServer, byFlags); len(d) > 0 {
				t.Errorf("-s and the --host/--role flags disagree:\n  %s", strings.Join(d, "\n  "))
			}
			if d := differences(byServer, byFile); len(d) > 0 {
				t.Errorf("-s and -c %s disagree:\n  %s", "site.yaml", strings.Join(d, "\n  "))
			}
			compared++
		})
	}
	if compared < 10 {
		t.Errorf("only %d captures compared", compared)
	}
}
