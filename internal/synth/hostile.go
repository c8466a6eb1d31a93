package synth

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// HostileCase is one input crafted as an attacker or a careless tool would
// write it, with the command that reads it and what flowverify promises.
type HostileCase struct {
	Name string `json:"name"`
	Why  string `json:"why"`
	// Files are written into the case's own directory; Links are symlinks
	// there (name -> target), which the run must leave as they were.
	Files map[string][]byte `json:"-"`
	Links map[string]string `json:"links,omitempty"`
	// Before are commands run first, in order, whatever their exit
	// status: the steps that make the files Args reads (a site file from
	// hosts, the reports that merge or diff read).
	Before [][]string `json:"before,omitempty"`
	// Args run in the case's directory, so that names reach the output as
	// the user typed them.
	Args   []string `json:"args"`
	Exit   []int    `json:"exit"`
	Checks []Check  `json:"checks"`
}

// Check is one expectation about a text: Stream (stdout, the default, or
// stderr), or File, a file the run wrote in the case's directory. With
// JSON set, the path is looked up in that text as a JSON document (keys,
// [key=value] selectors of array elements, and # for a length) and its
// value must encode as Equal. Otherwise the text must hold Contains and
// must not hold Absent, every line holding LinesWith must hold Need too,
// none of its lines may start with NoLinePrefix, and none be longer than
// MaxLine.
type Check struct {
	JSON         string `json:"json,omitempty"`
	Equal        string `json:"equal,omitempty"`
	Stream       string `json:"stream,omitempty"`
	File         string `json:"file,omitempty"`
	Contains     string `json:"contains,omitempty"`
	Absent       string `json:"absent,omitempty"`
	LinesWith    string `json:"lines_with,omitempty"`
	Need         string `json:"need,omitempty"`
	NoLinePrefix string `json:"no_line_prefix,omitempty"`
	MaxLine      int    `json:"max_line,omitempty"` // no line longer, in characters
}

func is(path, equal string) Check { return Check{JSON: path, Equal: equal} }
func says(stream, text string) Check {
	return Check{Stream: stream, Contains: text}
}

// hostileServer is the server of every capture of the corpus.
const hostileServer = "10.20.0.10"

func judge(file string, extra ...string) []string {
	return append(append([]string{"analyze", "-q", "-f", "json", "--flows", "-s", hostileServer}, extra...), file)
}

// HostileCorpus builds every case.
func HostileCorpus() []HostileCase {
	var cs []HostileCase
	for _, group := range []func() []HostileCase{verdictCases, timeCases, outputCases, readingCases, reportCases} {
		cs = append(cs, group()...)
	}
	return cs
}

func one(file string, data []byte) map[string][]byte { return map[string][]byte{file: data} }

// verdictCases: crafted traffic that must not forge a verdict.
func verdictCases() []HostileCase {
	var cs []HostileCase
	add := func(c HostileCase) { cs = append(cs, c) }
	n := DefaultNet()
	t0 := Start()
	// Learned endpoints vouch for their own host; the port they name is
	// the row whatever its number, unless strict_range holds the rule to
	// its ports.
	strict := []byte("rules:\n  - id: rpc-dynamic-out\n    strict_range: true\n")
	for _, e := range []struct {
		name, why string
		ip        [4]byte
		port      uint16
		to        string
		strict    bool
		verdict   string
	}{
		{"epm-names-another-host", "an endpoint-mapper reply from a DC naming 203.0.113.66:50000 allows nothing there", [4]byte{203, 0, 113, 66}, 50000, "203.0.113.66:50000", false, "unexpected"},
		{"epm-names-a-port-outside-the-rule", "with strict_range a reply naming the DC's 3389 does not open 3389: the rule says 49152-65535", [4]byte{}, 3389, n.DCs[0] + ":3389", true, "unexpected"},
		{"epm-names-a-fixed-port", "a reply naming the DC's 4997 (a fixed NTDS port) is the row: the rule's range is what Windows uses unconfigured", [4]byte{}, 4997, n.DCs[0] + ":4997", false, "allowed"},
	} {
		files, args := one("epm.pcap", EPMExchange(e.ip, e.port)), judge("epm.pcap")
		if e.strict {
			files["strict.yaml"], args = strict, judge("epm.pcap", "-c", "strict.yaml")
		}
		add(HostileCase{Name: e.name, Why: e.why, Files: files, Args: args, Exit: []int{1},
			Checks: []Check{is("flows[responder="+e.to+"].verdict", `"`+e.verdict+`"`)}})
	}
	// ok needs an answer.
	for _, p := range []struct {
		name  string
		flags uint8
		port  uint16
		rule  string
	}{{"unanswered-fin-to-ldap", FlagFIN, 389, "ldap-out"}, {"unanswered-ack-to-kerberos", FlagACK, 88, "kerberos-out"}, {"flagless-to-epm", 0, 135, "rpc-epm-out"}} {
		c := New(9)
		for i := 0; i < 3; i++ {
			c.Probe(t0.Add(time.Duration(i)*time.Second), EP(n.Server, uint16(50000+i)), EP(n.DCs[0], p.port), p.flags, 0)
		}
		add(HostileCase{Name: p.name, Why: "three unanswered probes are failed attempts, never a working rule", Files: one("probe.pcap", capBytes(c)),
			Args: judge("probe.pcap"), Exit: []int{1}, Checks: []Check{is("rules[id="+p.rule+"].status", `"blocked"`), is("unexpected.#", "0")}})
	}
	xmas := New(9)
	xmas.Probe(t0, EP(n.TPAgents[0], 40000), EP(n.Server, 10001), FlagFIN|FlagPSH|FlagURG, 0)
	add(HostileCase{Name: "xmas-to-amqp", Why: "a scanner's FIN+PSH+URG to 10001 is an attempt on 10001, not the server's traffic from 40000",
		Files: one("xmas.pcap", capBytes(xmas)), Args: judge("xmas.pcap"), Exit: []int{1},
		Checks: []Check{is("rules[id=amqp-in].status", `"blocked"`), is("unexpected.#", "0")}})
	split := New(9)
	for i := 0; i < 3; i++ {
		split.SplitSYN(t0.Add(time.Duration(i)*time.Second), EP(n.Server, uint16(50000+i)), EP(n.DCs[0], 389), 8, 0)
	}
	add(HostileCase{Name: "syn-split-after-8-bytes", Why: "SYNs whose first fragment carries 8 bytes of TCP are attempts on 389, not on port 0",
		Files: one("split.pcap", capBytes(split)), Args: judge("split.pcap"), Exit: []int{1},
		Checks: []Check{is("rules[id=ldap-out].status", `"blocked"`), is("unexpected.#", "0")}})
	add(HostileCase{Name: "undecoded-encapsulations", Why: "LDAP inside QinQ 0x9100, GRE, ERSPAN and VXLAN is counted and named, not silently gone",
		Files: one("tunnels.pcap", TunnelFrames()), Args: judge("tunnels.pcap"), Exit: []int{0, 1},
		Checks: []Check{is("summary.undecoded.GRE", "2"), is("summary.undecoded.ERSPAN", "1"), is("summary.undecoded.VXLAN (udp/4789)", "1"),
			is("summary.undecoded.QinQ (ethertype 0x9100)", "3")}})
	return cs
}

// timeCases: timestamps that lie.
func timeCases() []HostileCase {
	var cs []HostileCase
	add := func(c HostileCase) { cs = append(cs, c) }
	n := DefaultNet()
	t0 := Start()
	// Timestamps that lie.
	good := scenarioBytes("all-good")
	add(HostileCase{Name: "zero-timestamp-mid-capture", Why: "one packet stamped 1970 moves neither end of the window",
		Files: one("zero.pcap", pcapWithRecordTime(good, 5, 0, false)), Args: judge("zero.pcap"), Exit: []int{0},
		Checks: []Check{is("window.start", `"`+windowStart(good)+`"`), says("stdout", "1 packet had a timestamp far from the packets around them")}})
	early := New(9)
	early.Probe(time.Unix(0, 0), EP(n.Server, 50100), EP(n.DCs[0], 389), FlagSYN, 0)
	early.TCP(t0, EP(n.Server, 50101), EP(n.DCs[0], 389), []Message{{FromClient: true, Data: LDAPSearch(1, "DC=corp")}, {Data: LDAPSearchDone(1)}}, TCPOptions{})
	add(HostileCase{Name: "syn-at-time-zero", Why: "a SYN stamped 0 before the real traffic is not a blocked attempt",
		Files: one("early.pcap", capBytes(early)), Args: judge("early.pcap"), Exit: []int{1},
		Checks: []Check{is("rules[id=ldap-out].status", `"ok"`), is("rules[id=ldap-out].blocked", "0")}})
	add(HostileCase{Name: "negative-if-tsoffset", Why: "a negative pcapng if_tsoffset shifts the clock back; the window keeps both ends",
		Files: one("offset.pcapng", ngWithTSOffset(-3600)), Args: judge("offset.pcapng"), Exit: []int{0, 1},
		Checks: []Check{is("window.start", `"2026-03-02T08:00:00Z"`), is("window.end", `"2026-03-02T08:00:01Z"`)}})
	add(HostileCase{Name: "huge-if-tsoffset", Why: "an if_tsoffset of 2^62 s is refused by name, not overflowed",
		Files: one("offset.pcapng", ngWithTSOffset(1<<62)), Args: judge("offset.pcapng"), Exit: []int{2, 3},
		Checks: []Check{says("stderr", "offset.pcapng: damaged at byte offset 28: if_tsoffset"), says("stderr", "out of range")}})
	return cs
}

// outputCases: names that must not subvert the output or redirect a file.
func outputCases() []HostileCase {
	var cs []HostileCase
	good := scenarioBytes("all-good")
	add := func(c HostileCase) { cs = append(cs, c) }
	// Output that crafted names must not subvert.
	fw := scenarioBytes("firewall-9389")
	add(HostileCase{Name: "terminal-escapes-in-a-name", Why: "a file name with escapes and a newline neither clears the screen nor forges a summary line",
		Files: one("a\x1b[2J\x1b[31mFAKE\nSummary: CONFORMS.pcap", fw),
		Args:  []string{"analyze", "-s", hostileServer, "a\x1b[2J\x1b[31mFAKE\nSummary: CONFORMS.pcap"}, Exit: []int{1},
		Checks: []Check{{Stream: "stdout", NoLinePrefix: "Summary: CONFORMS"}, {Stream: "stderr", NoLinePrefix: "Summary: CONFORMS"},
			says("stdout", "Summary: FINDINGS")}})
	add(HostileCase{Name: "formula-in-a-name", Why: "a name starting with = is not a spreadsheet formula in the flows CSV",
		Files: one("=HYPERLINK(1+1).pcap", fw), Args: []string{"analyze", "-q", "--flows", "-f", "flows-csv", "-s", hostileServer, "=HYPERLINK(1+1).pcap"},
		Exit: []int{1}, Checks: []Check{says("stdout", "HYPERLINK(1+1).pcap")}})
	add(HostileCase{Name: "shell-in-a-rule-id", Why: "a rule id that would break out of a netsh argument is refused at load, naming the key",
		Files: one("inject.yaml", []byte("rules:\n  - id: 'a\" & calc.exe & \"b'\n    direction: inbound\n    transport: tcp\n    ports: \"7000\"\n    role: console-clients\n")),
		Args:  []string{"firewall", "-c", "inject.yaml", "--syntax", "netsh"}, Exit: []int{2},
		Checks: []Check{says("stderr", ".id:"), says("stderr", "a name is letters, digits")}})
	add(HostileCase{Name: "report-path-is-a-symlink", Why: "-o never writes through a symlink planted at its path",
		Files: map[string][]byte{"day.pcap": good, "victim": []byte("precious\n")}, Links: map[string]string{"report.json": "victim"},
		Args: []string{"analyze", "-q", "-s", hostileServer, "-o", "report.json", "day.pcap"}, Exit: []int{2},
		Checks: []Check{says("stderr", "report.json")}})

	add(HostileCase{Name: "events-path-is-a-symlink", Why: "--events never appends through a symlink planted at its path (monitor on loopback: needs capture rights)",
		Files: map[string][]byte{"victim": []byte("precious\n")}, Links: map[string]string{"events.jsonl": "victim"},
		Args: []string{"monitor", "-i", "lo", "-s", "127.0.0.1", "--duration", "1s", "--events", "events.jsonl"}, Exit: []int{2},
		Checks: []Check{says("stderr", "events.jsonl: is a symbolic link")}})
	return cs
}

// readingCases: what tshark reads must be read, and limits said plainly.
func readingCases() []HostileCase {
	var cs []HostileCase
	good := scenarioBytes("all-good")
	add := func(c HostileCase) { cs = append(cs, c) }
	// Read what tshark reads.
	for _, minor := range []uint16{0, 1, 2, 3} {
		v := append([]byte(nil), good...)
		binary.LittleEndian.PutUint16(v[6:8], minor)
		add(HostileCase{Name: fmt.Sprintf("pcap-version-2.%d", minor), Why: "every 2.x pcap header is read, as libpcap reads it",
			Files: one("v.pcap", v), Args: judge("v.pcap"), Exit: []int{0}, Checks: []Check{is("inputs.0.packets", fmt.Sprint(recordCount(good)))}})
	}
	add(HostileCase{Name: "caplen-over-origlen", Why: "a record longer than its original length is read as the smaller and said",
		Files: one("long.pcap", pcapWithRecordTime(good, 3, -1, true)), Args: judge("long.pcap"), Exit: []int{0},
		Checks: []Check{is("inputs.0.damaged", "false"), says("stdout", "captured length over their original length")}})
	add(HostileCase{Name: "long-gzip-name", Why: "a gzip header naming a 2,000-byte file name is read",
		Files: one("named.pcap.gz", gzipNamed(good, strings.Repeat("n", 2000))), Args: judge("named.pcap.gz"), Exit: []int{0},
		Checks: []Check{is("inputs.0.packets", fmt.Sprint(recordCount(good)))}})
	add(HostileCase{Name: "cumulative-interface-drops", Why: "interface statistics of 10, 20 and 30 drops mean 30 lost, not 60",
		Files: one("drops.pcapng", ngWithDrops(10, 20, 30)), Args: judge("drops.pcapng"), Exit: []int{0, 1},
		Checks: []Check{is("inputs.0.drops", "30")}})
	add(HostileCase{Name: "same-file-twice", Why: "a file given twice is read once, with a warning",
		Files: one("day.pcap", good), Args: []string{"analyze", "-q", "-f", "json", "-s", hostileServer, "day.pcap", "./day.pcap"}, Exit: []int{0},
		Checks: []Check{is("summary.packets", fmt.Sprint(recordCount(good))), says("stderr", "read once")}})
	for _, j := range []string{"0", "2"} {
		add(HostileCase{Name: "not-a-capture-j" + j, Why: "a file that is no capture is listed as damaged whatever -j says",
			Files: map[string][]byte{"day.pcap": good, "notes.pcap": []byte("not a capture at all\n")},
			Args:  []string{"analyze", "-q", "-f", "json", "-j", j, "-s", hostileServer, "day.pcap", "notes.pcap"}, Exit: []int{3},
			Checks: []Check{is("inputs.#", "2"), is("inputs.1.damaged", "true")}})
	}
	add(HostileCase{Name: "pcapng-65536-interfaces", Why: "65,536 unused interface blocks are summarised, not listed one by one",
		Files: one("idbs.pcapng", ngManyInterfaces(65536)), Args: []string{"analyze", "-s", hostileServer, "idbs.pcapng"}, Exit: []int{0, 1, 3},
		Checks: []Check{says("stdout", "Input:  idbs.pcapng (pcapng, EN10MB) 1 packet"), {Stream: "stdout", MaxLine: 120}}})
	add(HostileCase{Name: "config-with-120000-port-ranges", Why: "a config of 120,000 port ranges is refused with the limit, not slowly obeyed",
		Files: map[string][]byte{"ranges.yaml": manyRanges(120000), "day.pcap": good},
		Args:  []string{"analyze", "-q", "-c", "ranges.yaml", "-s", hostileServer, "day.pcap"}, Exit: []int{2},
		Checks: []Check{says("stderr", "ranges.yaml:6: rules[wide].ports"), says("stderr", "more than 1024")}})
	return cs
}

// reportCases: reports edited by hand or by a broken tool.
func reportCases() []HostileCase {
	var cs []HostileCase
	add := func(c HostileCase) { cs = append(cs, c) }
	// Reports edited by hand or by a broken tool.
	base := hostileReport(`"ok"`, "5")
	add(HostileCase{Name: "diff-rule-disappears", Why: "a rule that was ok and is absent now is a regression",
		Files: map[string][]byte{"base.json": base, "cur.json": hostileReportWithoutRules()},
		Args:  []string{"diff", "base.json", "cur.json"}, Exit: []int{1}, Checks: []Check{says("stdout", "ldap-out")}})
	add(HostileCase{Name: "diff-bogus-status", Why: "an unknown status is an error naming the file and the key",
		Files: map[string][]byte{"base.json": base, "cur.json": hostileReport(`"bogus-status"`, "5")},
		Args:  []string{"diff", "base.json", "cur.json"}, Exit: []int{2}, Checks: []Check{says("stderr", "cur.json"), says("stderr", "rules[0].status")}})
	add(HostileCase{Name: "merge-at-the-largest-count", Why: "counts at the largest int saturate when added, never wrap to negative",
		Files: map[string][]byte{"a.json": hostileReport(`"ok"`, "9223372036854775807"), "b.json": hostileReport(`"ok"`, "9223372036854775807")},
		Args:  []string{"merge", "-f", "json", "a.json", "b.json"}, Exit: []int{0, 1},
		Checks: []Check{is("rules[id=ldap-out].allowed", "9223372036854775807"), is("rules[id=ldap-out].status", `"ok"`)}})
	add(HostileCase{Name: "merge-negative-count", Why: "a negative count is an error naming the key",
		Files: map[string][]byte{"a.json": hostileReport(`"ok"`, "-2"), "b.json": base},
		Args:  []string{"merge", "a.json", "b.json"}, Exit: []int{2}, Checks: []Check{says("stderr", "a.json"), says("stderr", "negative")}})
	return cs
}

// WriteHostileCorpus lays the corpus out in dir, one directory per case,
// with MANIFEST.json listing every case and its expected outcome.
func WriteHostileCorpus(dir string, cs []HostileCase) error {
	for _, c := range cs {
		cd := filepath.Join(dir, c.Name)
		if err := os.MkdirAll(cd, 0o755); err != nil {
			return err
		}
		for name, data := range c.Files {
			if err := os.WriteFile(filepath.Join(cd, name), data, 0o644); err != nil {
				return err
			}
		}
		for name, target := range c.Links {
			if err := os.Symlink(target, filepath.Join(cd, name)); err != nil {
				return err
			}
		}
	}
	js, err := json.MarshalIndent(cs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "MANIFEST.json"), append(js, '\n'), 0o644)
}

func capBytes(c *Capture) []byte {
	var b bytes.Buffer
	c.Write(&b, Format{})
	return b.Bytes()
}

func scenarioBytes(name string) []byte {
	s, _ := Lookup(name)
	c, f := s.Build()
	var b bytes.Buffer
	c.Write(&b, f)
	return b.Bytes()
}

// EPMExchange: the server asks the first DC's endpoint mapper, which names
// ip:port (ip zero: the DC itself), and then connects there.
func EPMExchange(ip [4]byte, port uint16) []byte {
	n := DefaultNet()
	c := New(7)
	epm := []Message{{FromClient: true, Data: DCERPCBindEPM(1)}, {Data: DCERPCBindAck(1)},
		{FromClient: true, Data: DCERPCEptMapRequest(2)}, {Data: DCERPCEptMapResponse(2, port, ip)}}
	t1 := c.TCP(Start(), EP(n.Server, 49900), EP(n.DCs[0], 135), epm, TCPOptions{})
	target := EP(n.DCs[0], port)
	if ip != [4]byte{} {
		target = Endpoint{addr: netip.AddrFrom4(ip), Port: port}
	}
	dyn := []Message{{FromClient: true, Data: DCERPCBindDRSUAPI(1)}, {Data: DCERPCBindAck(1)}}
	c.TCP(t1.Add(10*time.Millisecond), EP(n.Server, 49901), target, dyn, TCPOptions{})
	return capBytes(c)
}

func manyRanges(n int) []byte {
	var b strings.Builder
	b.WriteString("rules:\n  - id: wide\n    direction: inbound\n    transport: tcp\n    role: console-clients\n    ports: \"")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d", 1+i%65000)
	}
	b.WriteString("\"\n")
	return []byte(b.String())
}

// hostileReport is a minimal report of one rule with the given status and
// allowed count (JSON text, so that any number can be written).
func hostileReport(status, allowed string) []byte {
	return []byte(`{"schema":"flowverify/report/v1","tool":{"name":"flowverify","version":"test"},
"matrix":{"name":"threatmanager","profile":"threatmanager"},"inputs":[],"server":{"addresses":["10.20.0.10"],"source":"flag"},
"window":{"start":"2026-03-02T09:00:00Z","end":"2026-03-02T10:00:00Z"},
"rules":[{"id":"ldap-out","direction":"outbound","transport":"tcp","ports":"389","role":"domain-controllers","required":true,
"status":` + status + `,"flows":5,"allowed":` + allowed + `,"blocked":0,"mismatch":0,"packets":10,"bytes":1000,"peers":[{"address":"10.20.0.21","status":"ok","flows":5,"allowed":5,"blocked":0}],"protocols":{"ldap":5}}],
"unexpected":[],"blocked":[],"summary":{"verdict":"conforms","findings":{"blocked":0,"mismatch":0,"missing":0,"partial":0,"unexpected":0},
"packets":10,"flows":5,"allowed":5,"ignored":0,"transit":0,"local":0,"evicted":0,"dropped":0,"fragments":0,"non_ip":0,"infrastructure":0,
"guessed_direction":0,"max_active_flows":1,"damaged":false}}
`)
}

func hostileReportWithoutRules() []byte {
	return bytes.Replace(hostileReport(`"ok"`, "5"), []byte(`"rules":[{`), []byte(`"rules":[],"x":[{`), 1)
}
