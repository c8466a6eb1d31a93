package report

import (
	"strings"
	"testing"
)

const readbackHead = `{"schema":"flowverify/report/v1",`

// An unknown word is placed at its key, not at its entry: the types'
// UnmarshalText errors carry no path of their own.
func TestReadBackNamesTheField(t *testing.T) {
	for in, path := range map[string]string{
		`"blocked":[{"rule":"x","reason":"bogus","attempts":1}]}`:              "blocked[0].reason",
		`"unexpected":[{"transport":"udp","direction":"sideways","port":53}]}`: "unexpected[0].direction",
		`"rules":[{"id":"x","status":"ok","direction":"sideways"}]}`:           "rules[0].direction",
		`"server":{"source":"bogus"}}`:                                         "server.source",
		`"summary":{"findings":{"bogus":1}}}`:                                  "summary.findings",
	} {
		_, err := Parse("r.json", []byte(readbackHead+in))
		if err == nil || !strings.Contains(err.Error(), path+":") {
			t.Errorf("%s: %v, want the path %s", in, err, path)
		}
	}
}

// A key given twice is an edit gone wrong, not the last one winning:
// encoding/json would keep the second summary, drop every rule for the
// second "rules", and the flow list read both "flows".
func TestReadBackRefusesRepeatedKeys(t *testing.T) {
	for in, want := range map[string]string{
		`"summary":{"verdict":"findings"},"summary":{"verdict":"conforms"}}`:                                                     "summary: given twice",
		`"rules":[{"id":"x","status":"missing"}],"rules":[]}`:                                                                    "rules: given twice",
		`"flows":[{"first":"2026-03-02T09:00:01Z","initiator":"a"}],"flows":[{"first":"2026-03-02T09:00:01Z","initiator":"a"}]}`: "flows: given twice",
		`"rules":[{"id":"x","status":"ok"},{"id":"y","status":"ok","status":"missing"}]}`:                                        "rules[1].status: given twice",
		`"rules":[{"id":"x","status":"ok","ID":"y"}]}`:                                                                           `rules[0].ID: given twice (json reads it as "id")`,
		`"rules":[{"id":"x","status":"ok","protocols":{"ldap":1,"ldap":2}}]}`:                                                    "rules[0].protocols.ldap: given twice",
		`"flows":[{"first":"2026-03-02T09:00:01Z"},{"first":"2026-03-02T09:00:01Z","initiator":"a","initiator":"b"}]}`:           "flows[1].initiator: given twice",
		`"extra":{"a":{"b":1,"b":2}}}`:                                                                                           "extra.a.b: given twice",
		`"extra":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`:                                                   "nested deeper than 64 levels",
	} {
		r, err := Parse("r.json", []byte(readbackHead+in))
		if err == nil {
			r.Flows.Close()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
	// A map's keys are as written: two that differ in case are two keys.
	r, err := Parse("r.json", []byte(readbackHead+`"rules":[{"id":"x","status":"ok","protocols":{"ldap":1,"LDAP":2}}]}`))
	if err != nil || len(r.Rules[0].Protocols) != 2 {
		t.Errorf("protocols ldap and LDAP: %v", err)
	}
}

// Transports, addresses, ports and times are checked like the other
// words: diff and the renderings print them as they are.
func TestReadBackChecksValues(t *testing.T) {
	for in, want := range map[string]string{
		`"rules":[{"id":"x","status":"ok","transport":"sctp"}]}`:                              "rules[0].transport",
		`"unexpected":[{"transport":"sctp","direction":"outbound","port":53}]}`:               "unexpected[0].transport",
		`"unexpected":[{"transport":"ip-proto-256","direction":"outbound"}]}`:                 "unexpected[0].transport",
		`"unexpected":[{"transport":"udp","direction":"outbound","port":53,"peer":"x"}]}`:     "unexpected[0].peer",
		`"rules":[{"id":"x","status":"ok","ports":"0"}]}`:                                     "rules[0].ports",
		`"rules":[{"id":"x","status":"ok","ports":"88,9-1"}]}`:                                "rules[0].ports",
		`"rules":[{"id":"x","status":"ok","peers":[{"address":"not-an-ip","status":"ok"}]}]}`: "rules[0].peers[0].address",
		`"blocked":[{"rule":"x","reason":"refused","attempts":1,"first":"yesterday"}]}`:       "blocked[0].first",
		`"blocked":[{"rule":"x","reason":"refused","attempts":1,"initiator":"10.0.0.1:0"}]}`:  "blocked[0].initiator",
		`"server":{"addresses":["10.0.0.1","10.0.0.300"],"source":"auto"}}`:                   "server.addresses[1]",
		`"window":{"start":"2026-03-02 09:00:00"}}`:                                           "window.start",
	} {
		_, err := Parse("r.json", []byte(readbackHead+in))
		if err == nil || !strings.Contains(err.Error(), want+":") {
			t.Errorf("%s: %v, want the path %s", in, err, want)
		}
	}
	// What the writer writes for ICMP and for the folded peers reads back.
	for _, in := range []string{
		`"unexpected":[{"transport":"icmp6","direction":"outbound","port":0,"peer":"2001:db8::1","icmp_type":1,"icmp_code":4}]}`,
		`"unexpected":[{"transport":"ip-proto-47","direction":"outbound","port":0,"peer":"(others)"}]}`,
		`"blocked":[{"rule":"x","reason":"unreachable","attempts":1,"initiator":"10.0.0.1","responder":"[2001:db8::1]:53"}]}`,
		`"rules":[{"id":"x","status":"ok","transport":"udp","ports":"88,464,49152-65535"}]}`,
	} {
		if _, err := Parse("r.json", []byte(readbackHead+in)); err != nil {
			t.Errorf("%s: %v", in, err)
		}
	}
}
