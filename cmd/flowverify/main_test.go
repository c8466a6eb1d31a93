package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/internal/synth"
)

var update = flag.Bool("update", false, "rewrite golden files and the generated scenario captures (with -run Golden: "+updateGoldens+")")

const (
	scenarioDir = "../../testdata/scenarios"
	goldenDir   = "../../testdata/golden"
	pcapDir     = "../../testdata/pcaps"
	sampleFile  = "../../testdata/sample/threatmanager-day.pcap"
)

type result struct {
	code   int
	stdout string
	stderr string
}

func flowverify(t *testing.T, env []string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb, env)
	return result{code, out.String(), errb.String()}
}

func scenarioFile(s synth.Scenario) string {
	_, f := s.Build()
	name := s.Name + ".pcap"
	if f.NG {
		name = s.Name + ".pcapng"
	}
	if f.Gzip {
		name += ".gz"
	}
	return filepath.Join(scenarioDir, name)
}

// TestScenarioCapturesUpToDate keeps the committed scenario captures equal
// to what the generator writes today (-update rewrites them).
func TestScenarioCapturesUpToDate(t *testing.T) {
	for _, s := range synth.Scenarios() {
		c, f := s.Build()
		var buf bytes.Buffer
		if err := c.Write(&buf, f); err != nil {
			t.Fatal(err)
		}
		path := scenarioFile(s)
		if *update {
			os.MkdirAll(scenarioDir, 0o755)
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (%s writes it)", err, updateGoldens)
		}
		if f.Gzip {
			continue // gzip output depends on the compressor's version
		}
		if !bytes.Equal(got, buf.Bytes()) {
			t.Errorf("%s differs from the generator's output (%s rewrites it)", path, updateGoldens)
		}
	}
	var day bytes.Buffer
	if err := synth.Day(1).Write(&day, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	if *update {
		os.WriteFile(sampleFile, day.Bytes(), 0o644)
	} else if got, _ := os.ReadFile(sampleFile); !bytes.Equal(got, day.Bytes()) {
		t.Errorf("%s differs from flowverify-gen -scenario day (%s rewrites it)", sampleFile, updateGoldens)
	}
}

// normalize makes a report independent of where the test runs.
func normalize(t *testing.T, js string) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, js)
	}
	if ins, ok := doc["inputs"].([]any); ok {
		for _, in := range ins {
			m := in.(map[string]any)
			m["name"] = filepath.Base(m["name"].(string))
		}
	}
	if fl, ok := doc["flows"].([]any); ok {
		for _, f := range fl {
			m := f.(map[string]any)
			if n, ok := m["input"].(string); ok {
				m["input"] = filepath.Base(n)
			}
		}
	}
	out, _ := json.MarshalIndent(doc, "", "  ")
	return append(out, '\n')
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	checkGoldenFile(t, filepath.Join(goldenDir, name+".golden.json"), got)
}

// updateGoldens is the one command that rewrites every golden file (and
// the scenario captures) after a deliberate change.
const updateGoldens = "go test ./cmd/flowverify -run Golden -update"

// checkGoldenFile compares with a golden file, or rewrites it with -update.
// Only a test whose name holds Golden may call it, so that updateGoldens
// reaches every golden file.
func checkGoldenFile(t *testing.T, path string, got []byte) {
	t.Helper()
	if !strings.Contains(t.Name(), "Golden") {
		t.Fatalf("%s checks %s: a test with golden files has Golden in its name, or %q misses them", t.Name(), path, updateGoldens)
	}
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (%s writes it)", err, updateGoldens)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("differs from %s (%s rewrites it, after checking the change):\n%s", path, updateGoldens, firstDiff(want, got))
	}
}

func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "line " + strconv.Itoa(i+1) + ":\n- " + al[i] + "\n+ " + bl[i]
		}
	}
	return "lengths differ"
}

func TestGoldenScenarios(t *testing.T) {
	if *update {
		TestScenarioCapturesUpToDate(t)
	}
	for _, s := range synth.Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			r := flowverify(t, nil, "analyze", "--server", "auto", "-f", "json", "--flows", scenarioFile(s))
			if r.code > 1 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			checkGolden(t, s.Name, normalize(t, r.stdout))
		})
	}
}

// report decodes a JSON report for assertions.
type reportDoc struct {
	Schema string `json:"schema"`
	Server struct {
		Addresses []string `json:"addresses"`
		Source    string   `json:"source"`
		Evidence  []string `json:"evidence"`
	} `json:"server"`
	Inputs []struct {
		Name      string   `json:"name"`
		LinkTypes []string `json:"link_types"`
		Packets   int      `json:"packets"`
		Damaged   bool     `json:"damaged"`
		DamageAt  *int64   `json:"damage_offset"`
		Warnings  []string `json:"warnings"`
	} `json:"inputs"`
	Rules []struct {
		ID        string         `json:"id"`
		Status    string         `json:"status"`
		Reason    string         `json:"reason"`
		Flows     int            `json:"flows"`
		Protocols map[string]int `json:"protocols"`
		Evidence  []string       `json:"evidence"`
		Peers     []struct {
			Address string `json:"address"`
			Status  string `json:"status"`
		} `json:"peers"`
	} `json:"rules"`
	Unexpected []struct {
		Transport string `json:"transport"`
		Direction string `json:"direction"`
		Port      int    `json:"port"`
		Peer      string `json:"peer"`
		Flows     int    `json:"flows"`
		Failed    int    `json:"failed"`
		Hint      string `json:"hint"`
	} `json:"unexpected"`
	Blocked []struct {
		Rule     string `json:"rule"`
		Reason   string `json:"reason"`
		ICMPCode *int   `json:"icmp_code"`
		Attempts int    `json:"attempts"`
	} `json:"blocked"`
	Summary struct {
		Verdict   string         `json:"verdict"`
		Findings  map[string]int `json:"findings"`
		Packets   int            `json:"packets"`
		Flows     int            `json:"flows"`
		Fragments int            `json:"fragments"`
		Guessed   int            `json:"guessed_direction"`
		Damaged   bool           `json:"damaged"`
		Infra     int            `json:"infrastructure"`
		NonIP     int            `json:"non_ip"`
	} `json:"summary"`
	Flows []struct {
		Transport string   `json:"transport"`
		Initiator string   `json:"initiator"`
		Responder string   `json:"responder"`
		Guessed   bool     `json:"guessed"`
		Direction string   `json:"direction"`
		State     string   `json:"state"`
		ConnState string   `json:"conn_state"`
		Verdict   string   `json:"verdict"`
		Reason    string   `json:"reason"`
		Rule      string   `json:"rule"`
		Fragments int      `json:"fragments"`
		Protocol  string   `json:"protocol"`
		Notes     []string `json:"notes"`
	} `json:"flows"`
}

func analyzeJSON(t *testing.T, args ...string) (reportDoc, result) {
	t.Helper()
	r := flowverify(t, nil, append([]string{"analyze", "-f", "json", "--flows"}, args...)...)
	var doc reportDoc
	if r.code <= 1 || r.code == 3 {
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("exit %d, stdout not JSON: %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
		}
	}
	return doc, r
}

// ruleReason is a rule's status and reason.
func (d reportDoc) ruleReason(t *testing.T, id string) (status, reason string) {
	t.Helper()
	for _, r := range d.Rules {
		if r.ID == id {
			return r.Status, r.Reason
		}
	}
	t.Fatalf("no rule %s", id)
	return "", ""
}

// ruleStatus is the status of rule id, false when there is no such rule.
func (d reportDoc) ruleStatus(id string) (string, bool) {
	for _, r := range d.Rules {
		if r.ID == id {
			return r.Status, true
		}
	}
	return "", false
}

func (d reportDoc) rule(t *testing.T, id string) (status string, flows int) {
	t.Helper()
	for _, r := range d.Rules {
		if r.ID == id {
			return r.Status, r.Flows
		}
	}
	t.Fatalf("no rule %s", id)
	return "", 0
}

func TestSampleDayNamesEveryRule(t *testing.T) {
	doc, r := analyzeJSON(t, "--server", "auto", sampleFile)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (findings): %s", r.code, r.stderr)
	}
	if doc.Schema != "flowverify/report/v1" || doc.Server.Source != "auto" || doc.Server.Addresses[0] != "10.20.0.10" || len(doc.Server.Evidence) < 7 {
		t.Fatalf("server %+v", doc.Server)
	}
	want := map[string]string{
		"syslog-in": "ok", "amqp-in": "ok", "console-8080": "ok", "access-analyzer-8080": "not-seen",
		"postgresql-out": "ok", "kerberos-out": "ok", "rpc-epm-out": "ok", "ldap-out": "ok",
		"adws-out": "partial", "rpc-dynamic-out": "ok", "action-service-out": "ok",
	}
	if len(doc.Rules) != len(want) {
		t.Fatalf("%d rules", len(doc.Rules))
	}
	for id, st := range want {
		if got, _ := doc.rule(t, id); got != st {
			t.Errorf("%s = %s, want %s", id, got, st)
		}
	}
	var blocked9389 int
	for _, b := range doc.Blocked {
		if b.Rule == "adws-out" && b.Reason == "no-answer" && b.Attempts == 4 {
			blocked9389++
		}
	}
	if blocked9389 != 8 {
		t.Errorf("%d blocked adws-out attempts with 4 SYNs, want 8 (one per hour)", blocked9389)
	}
	ports := map[int]bool{}
	for _, u := range doc.Unexpected {
		ports[u.Port] = true
	}
	for _, p := range []int{53, 445, 3268, 88} {
		if !ports[p] {
			t.Errorf("unexpected traffic on %d not reported", p)
		}
	}
}

func TestScenarioVerdicts(t *testing.T) {
	t.Run("firewall drops 9389", func(t *testing.T) {
		doc, r := analyzeJSON(t, filepath.Join(scenarioDir, "firewall-9389.pcap"))
		if r.code != 1 {
			t.Fatalf("exit %d", r.code)
		}
		if st, n := doc.rule(t, "adws-out"); st != "blocked" || n != 2 {
			t.Fatalf("adws-out %s with %d flows", st, n)
		}
		for _, f := range doc.Flows {
			if strings.HasSuffix(f.Responder, ":9389") && (f.Verdict != "blocked" || f.ConnState != "S0" || !strings.HasPrefix(f.Reason, "no-answer")) {
				t.Errorf("9389 flow %+v", f)
			}
		}
	})
	t.Run("missing domain-controller row", func(t *testing.T) {
		doc, _ := analyzeJSON(t, filepath.Join(scenarioDir, "missing-dc.pcap"))
		if st, _ := doc.rule(t, "adws-out"); st != "missing" || doc.Summary.Findings["missing"] != 1 {
			t.Fatalf("adws-out %s, findings %v", st, doc.Summary.Findings)
		}
	})
	t.Run("failures", func(t *testing.T) {
		doc, _ := analyzeJSON(t, filepath.Join(scenarioDir, "failures.pcap"))
		reasons := map[string]string{}
		for _, b := range doc.Blocked {
			code := -1
			if b.ICMPCode != nil {
				code = *b.ICMPCode
			}
			reasons[b.Rule] = b.Reason + ":" + strconv.Itoa(code)
		}
		want := map[string]string{"action-service-out": "refused:-1", "ldap-out": "unreachable:13", "syslog-in": "unreachable:3"}
		for k, v := range want {
			if reasons[k] != v {
				t.Errorf("%s blocked as %q, want %q", k, reasons[k], v)
			}
		}
		if doc.Summary.Findings["unexpected"] != 4 {
			t.Errorf("unexpected groups %d", doc.Summary.Findings["unexpected"])
		}
	})
	t.Run("mid-stream guesses are marked", func(t *testing.T) {
		doc, _ := analyzeJSON(t, filepath.Join(scenarioDir, "midstream.pcap"))
		guessed := 0
		for _, f := range doc.Flows {
			if f.Transport == "tcp" {
				// The LDAP flows carry the DC's answer; the AMQP one only
				// the agent's data and the server's ACKs, which the
				// evidence rule does not count as an answer.
				want := "allowed"
				if strings.HasSuffix(f.Responder, ":10001") {
					want = "unconfirmed"
				}
				if !f.Guessed || f.State != "midstream" || f.Verdict != want {
					t.Errorf("tcp flow %+v, want verdict %s", f, want)
				}
				guessed++
			}
		}
		if guessed != 3 || doc.Summary.Guessed != 3 {
			t.Fatalf("%d guessed tcp flows, summary %d", guessed, doc.Summary.Guessed)
		}
		if st, _ := doc.rule(t, "ldap-out"); st != "ok" {
			t.Fatalf("ldap-out %s", st)
		}
	})
	t.Run("local PostgreSQL over loopback", func(t *testing.T) {
		doc, _ := analyzeJSON(t, filepath.Join(scenarioDir, "pcapng-two-interfaces.pcapng"))
		if st, _ := doc.rule(t, "postgresql-out"); st != "ok" {
			t.Fatalf("postgresql-out %s", st)
		}
		if len(doc.Inputs[0].LinkTypes) != 2 {
			t.Fatalf("link types %v", doc.Inputs[0].LinkTypes)
		}
	})
	t.Run("protocol mismatches", func(t *testing.T) {
		doc, _ := analyzeJSON(t, filepath.Join(scenarioDir, "mismatch.pcap"))
		want := map[string]string{"amqp-in": "ok", "ldap-out": "mismatch", "adws-out": "mismatch", "rpc-dynamic-out": "ok"}
		for id, st := range want {
			if got, _ := doc.rule(t, id); got != st {
				t.Errorf("%s = %s, want %s", id, got, st)
			}
		}
		verdicts := map[string]string{}
		for _, f := range doc.Flows {
			verdicts[f.Responder[strings.LastIndex(f.Responder, ":")+1:]+"/"+f.Protocol] = f.Verdict
		}
		for k, v := range map[string]string{"10001/tls": "allowed", "389/http": "mismatch", "389/ldap": "allowed", "9389/tls": "mismatch"} {
			if verdicts[k] != v {
				t.Errorf("%s verdict %q, want %q", k, verdicts[k], v)
			}
		}
		if doc.Summary.Findings["mismatch"] != 2 {
			t.Errorf("findings %v", doc.Summary.Findings)
		}
	})
	t.Run("fragments", func(t *testing.T) {
		doc, _ := analyzeJSON(t, filepath.Join(scenarioDir, "fragments.pcap"))
		if doc.Summary.Fragments != 2 || len(doc.Flows) != 1 || doc.Flows[0].Fragments != 2 {
			t.Fatalf("fragments %d flows %+v", doc.Summary.Fragments, doc.Flows)
		}
	})
	for _, name := range []string{"vlan.pcap", "qinq.pcap", "sll2.pcap", "ipv6.pcap", "gzip.pcap.gz", "all-good.pcap"} {
		t.Run(name, func(t *testing.T) {
			doc, _ := analyzeJSON(t, filepath.Join(scenarioDir, name))
			for _, id := range []string{"syslog-in", "amqp-in", "kerberos-out", "rpc-epm-out", "ldap-out", "adws-out", "rpc-dynamic-out"} {
				if st, _ := doc.rule(t, id); st != "ok" {
					t.Errorf("%s = %s", id, st)
				}
			}
		})
	}
}

func TestExitStatuses(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join(scenarioDir, "all-good.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pcap")
	os.WriteFile(cut, good[:len(good)-30], 0o600)
	notCap := filepath.Join(dir, "notes.txt")
	os.WriteFile(notCap, []byte("meeting notes, not a capture\n"), 0o600)
	garbage := filepath.Join(dir, "garbage.pcap")
	os.WriteFile(garbage, append([]byte{0xd4, 0xc3, 0xb2, 0xa1, 9, 9}, good[6:]...), 0o600)

	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"conforms", []string{"analyze", filepath.Join(scenarioDir, "all-good.pcap")}, 0, ""},
		{"findings", []string{"analyze", filepath.Join(scenarioDir, "firewall-9389.pcap")}, 1, ""},
		{"findings not failed on", []string{"analyze", "--fail-on", "missing", filepath.Join(scenarioDir, "firewall-9389.pcap")}, 0, ""},
		{"cut in a record", []string{"analyze", cut}, 3, "cut.pcap: damaged at byte offset"},
		{"not a capture", []string{"analyze", notCap}, 2, "not a pcap or pcapng capture"},
		{"garbage version", []string{"analyze", garbage}, 2, "garbage.pcap"},
		{"missing file", []string{"analyze", filepath.Join(dir, "nope.pcap")}, 2, "nope.pcap"},
		{"bad flag value", []string{"analyze", "--fail-on", "sometimes", cut}, 2, "--fail-on"},
		{"bad role", []string{"analyze", "--role", "dcs=10.0.0.1", cut}, 2, "dcs"},
		{"server not inferable", []string{"analyze", filepath.Join(pcapDir, "arkime_dns_udp.pcap")}, 2, "no server could be inferred"},
		{"damage outranks no server", []string{"analyze", filepath.Join(pcapDir, "suricata_corrupt_record_smtp.pcap")}, 3, "byte offset 3695"},
		{"damaged public capture", []string{"analyze", "-s", "10.7.29.101", filepath.Join(pcapDir, "suricata_corrupt_record_smtp.pcap")}, 3, "byte offset 3695"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := flowverify(t, nil, c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.stderr) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", r.code, c.code, r.stderr, c.stderr)
			}
			if (c.code == 3 || strings.Contains(c.name, "server")) && !strings.Contains(r.stdout, "Summary:") {
				t.Fatalf("damaged input and input without a server must still print the report:\n%s", r.stdout)
			}
		})
	}
}

func TestOutputsAndFormats(t *testing.T) {
	dir := t.TempDir()
	js, jl, txt := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.jsonl"), filepath.Join(dir, "r.txt")
	r := flowverify(t, nil, "analyze", "--flows", "-o", js, "-o", jl, "-o", txt, filepath.Join(scenarioDir, "failures.pcap"))
	if r.code != 1 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
	st, err := os.Stat(js)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("json report: %v mode %v", err, st.Mode())
	}
	lines, _ := os.ReadFile(jl)
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(string(lines)), "\n") {
		var f map[string]any
		if err := json.Unmarshal([]byte(l), &f); err != nil || f["verdict"] == nil || f["conn_state"] == nil {
			t.Fatalf("jsonl line %q: %v", l, err)
		}
		n++
	}
	var doc reportDoc
	b, _ := os.ReadFile(js)
	json.Unmarshal(b, &doc)
	if n != len(doc.Flows) || n != doc.Summary.Flows {
		t.Fatalf("%d jsonl lines, %d flows in JSON, summary %d", n, len(doc.Flows), doc.Summary.Flows)
	}
	text, _ := os.ReadFile(txt)
	for _, want := range []string{"RULE", "Blocked attempts (3)", "Unexpected traffic (4 groups)", "Summary: FINDINGS"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("text report lacks %q", want)
		}
	}
}

func TestRulesCommand(t *testing.T) {
	r := flowverify(t, nil, "rules")
	for _, id := range []string{"syslog-in", "amqp-in", "console-8080", "access-analyzer-8080", "postgresql-out", "kerberos-out",
		"rpc-epm-out", "ldap-out", "adws-out", "rpc-dynamic-out", "action-service-out", "Communication Direction"} {
		if !strings.Contains(r.stdout, id) {
			t.Errorf("rules output lacks %s", id)
		}
	}
	md := flowverify(t, []string{"FLOWVERIFY_ROLES_DOMAIN_CONTROLLERS=10.0.0.21"}, "rules", "-f", "markdown")
	if !strings.Contains(md.stdout, "| `ldap-out` | Outbound | TCP | 389 |") || !strings.Contains(md.stdout, "domain-controllers: 10.0.0.21/32") {
		t.Fatalf("markdown:\n%s", md.stdout)
	}
	bad := flowverify(t, []string{"FLOWVERIFY_NOPE=1"}, "rules")
	if bad.code != 2 || !strings.Contains(bad.stderr, "FLOWVERIFY_NOPE") {
		t.Fatalf("unknown env: %d %s", bad.code, bad.stderr)
	}
}

// TestReportShapeV1 holds the JSON to the key names docs/design.md fixes for
// flowverify/report/v1.
func TestReportShapeV1(t *testing.T) {
	r := flowverify(t, nil, "analyze", "-f", "json", "--flows", filepath.Join(scenarioDir, "failures.pcap"))
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	need := func(where string, obj any, keys ...string) {
		m, ok := obj.(map[string]any)
		if !ok {
			t.Fatalf("%s is not an object", where)
		}
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%s lacks %q", where, k)
			}
		}
	}
	first := func(key string) any {
		list, ok := doc[key].([]any)
		if !ok || len(list) == 0 {
			t.Fatalf("%s is empty or not a list", key)
		}
		return list[0]
	}
	need("report", doc, "schema", "tool", "inputs", "server", "window", "rules", "unexpected", "blocked", "summary", "flows")
	if doc["schema"] != "flowverify/report/v1" {
		t.Errorf("schema %v", doc["schema"])
	}
	need("tool", doc["tool"], "name", "version")
	need("inputs[0]", first("inputs"), "name", "link_types", "packets", "bytes", "first", "last", "drops")
	need("server", doc["server"], "addresses", "source", "evidence")
	need("window", doc["window"], "start", "end")
	rule := first("rules")
	need("rules[0]", rule, "id", "description", "direction", "transport", "ports", "role", "required", "status", "flows", "packets", "bytes", "peers", "protocols")
	need("rules[0].peers[0]", rule.(map[string]any)["peers"].([]any)[0], "address", "status", "flows")
	need("unexpected[0]", first("unexpected"), "transport", "direction", "port", "peer", "protocol", "flows", "first", "last", "hint")
	need("blocked[0]", first("blocked"), "rule", "initiator", "responder", "reason", "attempts")
	need("summary", doc["summary"], "verdict", "findings", "packets", "flows", "ignored", "evicted", "dropped")
	need("summary.findings", doc["summary"].(map[string]any)["findings"], "missing", "blocked", "mismatch", "unexpected")
	fl := first("flows")
	need("flows[0]", fl, "transport", "initiator", "responder", "guessed", "direction", "state", "conn_state", "protocol", "verdict", "reason", "packets", "bytes", "first", "last")
	need("flows[0].packets", fl.(map[string]any)["packets"], "initiator", "responder")
	for _, k := range []string{"first", "last"} {
		s := fl.(map[string]any)[k].(string)
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil || !strings.HasSuffix(s, "Z") {
			t.Errorf("flows[0].%s = %q is not RFC 3339 UTC", k, s)
		}
	}
}

// TestEveryJobsCountReportsEveryInput: whatever -j says, every input is
// in the report as -j 0 lists it (a non-capture and a capture cut short
// both damaged, with their offsets) and the exit status is the same.
func TestEveryJobsCountReportsEveryInput(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"all-good.pcap", "firewall-9389.pcap"} {
		data, err := os.ReadFile(filepath.Join(scenarioDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if name == "firewall-9389.pcap" {
			os.WriteFile(filepath.Join(dir, "cut.pcap"), data[:len(data)*2/3], 0o644)
		}
	}
	os.WriteFile(filepath.Join(dir, "notes.pcap"), []byte("not a capture at all\n"), 0o644)
	type input struct {
		Name    string `json:"name"`
		Packets int    `json:"packets"`
		Damaged bool   `json:"damaged"`
		At      *int64 `json:"damage_offset"`
	}
	var want []input
	wantCode := -1
	for _, j := range []string{"0", "1", "2", "4"} {
		r := flowverify(t, nil, "analyze", "-q", "-j", j, "-f", "json", "--server", "10.20.0.10", dir)
		var d struct{ Inputs []input }
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
			t.Fatalf("-j %s: %v %s", j, err, r.stderr)
		}
		if j == "0" {
			want, wantCode = d.Inputs, r.code
			if r.code != exitDamaged || len(want) != 4 {
				t.Fatalf("-j 0: exit %d, inputs %+v; want 3 and all four", r.code, want)
			}
			continue
		}
		if r.code != wantCode || !reflect.DeepEqual(d.Inputs, want) {
			t.Errorf("-j %s: exit %d, inputs %+v; -j 0: exit %d, inputs %+v", j, r.code, d.Inputs, wantCode, want)
		}
	}
}
