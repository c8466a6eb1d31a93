package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/internal/synth"
)

const shapesDir = "../../testdata/real/shapes"

// inventoryDoc is what these tests read of 'hosts -f json'.
type inventoryDoc struct {
	Damaged bool `json:"damaged"`
	Inputs  []struct {
		Name     string `json:"name"`
		DamageAt *int64 `json:"damage_offset"`
	} `json:"inputs"`
	Server struct {
		Addresses  []string `json:"addresses"`
		Source     string   `json:"source"`
		Candidates []struct {
			Address string `json:"address"`
		} `json:"candidates"`
	} `json:"server"`
	Hosts []struct {
		Addresses []string      `json:"addresses"`
		Serves    []servicePort `json:"serves"`
		Refused   []portsDoc    `json:"refused"`
		NoAnswer  []portsDoc    `json:"no_answer"`
		Tried     []portsDoc    `json:"tried"`
	} `json:"hosts"`
}

type servicePort struct {
	Transport string `json:"transport"`
	Port      int    `json:"port"`
	Protocol  string `json:"protocol"`
}

type portsDoc struct {
	Transport string `json:"transport"`
	Ports     string `json:"ports"`
	Count     int    `json:"count"`
}

func readInventory(t *testing.T, r result) inventoryDoc {
	t.Helper()
	var d inventoryDoc
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("exit %d, stdout not JSON: %v\n%s", r.code, err, r.stderr)
	}
	return d
}

// TestHostsDamagedCorpus runs hosts over every case of the damaged corpus
// as TestDamagedCorpus runs analyze: the same exit status (3 up to the
// damage, with the file and its byte offset in the message and in the
// JSON; 2 for nothing read; 0 for a file read fully), and no panic.
func TestHostsDamagedCorpus(t *testing.T) {
	pcap, ng := goodCaptures(t)
	dir := t.TempDir()
	cases := synth.DamagedCorpus(pcap, ng)
	if err := synth.WriteDamagedCorpus(dir, cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if c.Kind == "unreadable" {
			continue // root reads anything; TestDamagedCorpus covers the refusal
		}
		t.Run(c.Name, func(t *testing.T) {
			path := filepath.Join(dir, c.Name)
			r := flowverify(t, nil, "hosts", "--server", "10.20.0.10", "-f", "json", path)
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Fatalf("panic:\n%s", r.stderr)
			}
			want := c.Exit
			if want == -1 {
				want = 0 // hosts has no findings
			}
			if r.code != want {
				t.Fatalf("exit %d, want %d: %s", r.code, want, r.stderr)
			}
			if c.Want != "" && !strings.Contains(r.stderr+r.stdout, c.Want) {
				t.Errorf("message %q lacks %q", r.stderr, c.Want)
			}
			if want != exitDamaged {
				return
			}
			d := readInventory(t, r)
			at := d.Inputs[0].DamageAt
			if !d.Damaged || at == nil || !strings.Contains(r.stderr, c.Name) || !strings.Contains(r.stderr, fmt.Sprintf("byte offset %d", *at)) {
				t.Fatalf("exit 3 without the damaged file and its offset: damaged %v, offset %v, %s", d.Damaged, at, r.stderr)
			}
			txt := flowverify(t, nil, "hosts", "--server", "10.20.0.10", path)
			if txt.code != exitDamaged || !strings.Contains(txt.stdout, "DAMAGED") || !strings.Contains(txt.stdout, fmt.Sprintf("byte offset %d", *at)) {
				t.Errorf("text: exit %d, no damage at %d in\n%s", txt.code, *at, txt.stdout)
			}
		})
	}
}

// shapeStatuses runs analyze and maps each rule to its status.
func shapeStatuses(t *testing.T, args ...string) map[string]string {
	t.Helper()
	d, r := analyzeDoc(t, args...)
	if r.code > 1 && r.code != exitInconclusive {
		t.Fatalf("analyze %v: exit %d %s", args, r.code, r.stderr)
	}
	out := map[string]string{}
	for _, rule := range d.Rules {
		out[rule.ID] = rule.Status
	}
	return out
}

// analyzeDoc runs analyze -f json and reads the report whatever the exit
// status (an inconclusive one, 4, writes it too).
func analyzeDoc(t *testing.T, args ...string) (reportDoc, result) {
	t.Helper()
	r := flowverify(t, nil, append([]string{"analyze", "-q", "-f", "json"}, args...)...)
	var d reportDoc
	if r.code != exitUsage {
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
			t.Fatalf("exit %d, stdout not JSON: %v\n%s", r.code, err, r.stderr)
		}
	}
	return d, r
}

// TestHostsSiteFileJudgesAsServer: on each lab shape (testdata/real/
// README.md), hosts infers the server analyze infers, and the site file
// of 'hosts -f yaml' judges every rule as --server with the shape's
// server does. A scan decides no server: hosts -f yaml exits 2 with the
// hosts that answered as commented choices (never the scanner), and the
// choice uncommented judges with that server.
func TestHostsSiteFileJudgesAsServer(t *testing.T) {
	cases := []struct {
		shape, server string
		flags         []string
		decided       bool
	}{
		{"console-action-8080", "10.99.0.10", nil, true},
		{"postgres-5435", "10.99.0.10", nil, true},
		{"postgres-5439", "10.99.0.10", nil, true},
		{"kerberos-udp88", "10.99.0.10", nil, true},
		{"ldaps-636", "10.99.0.10", nil, true},
		{"ldaps-636", "10.99.0.10", []string{"-p", "threatmanager-3.0"}, true},
		{"dc-talk", "10.99.0.10", nil, true},
		{"syslog-tcp-pg-dns", "10.99.0.10", nil, true},
		{"syslog-tcp-pg-dns", "10.99.0.10", []string{"-p", "threatmanager-3.0"}, true},
		{"loopback", "127.0.0.1", nil, true},
		{"loopback", "127.0.0.1", []string{"-p", "threatmanager-3.0"}, true},
		// Told the server, hosts describes the scanned site too.
		{"nmap-scan-tm", "10.99.0.10", []string{"-s", "10.99.0.10"}, true},
		{"nmap-scan-tm", "10.99.0.10", nil, false},
		{"nmap-scan", "10.99.0.21", nil, false},
	}
	for _, c := range cases {
		t.Run(strings.Join(append([]string{c.shape}, c.flags...), " "), func(t *testing.T) {
			file := filepath.Join(shapesDir, c.shape+".pcap")
			inv := readInventory(t, flowverify(t, nil, append(append([]string{"hosts", "-f", "json"}, c.flags...), file)...))
			an, _ := analyzeDoc(t, append(slices.Clone(c.flags), file)...)
			if got, want := strings.Join(inv.Server.Addresses, ","), strings.Join(an.Server.Addresses, ","); got != want {
				t.Errorf("hosts infers server %q, analyze %q", got, want)
			}
			site := filepath.Join(t.TempDir(), "site.yaml")
			w := flowverify(t, nil, append(append([]string{"hosts", "-f", "yaml", "-o", site}, c.flags...), file)...)
			data, err := os.ReadFile(site)
			if err != nil {
				t.Fatalf("hosts -f yaml: exit %d %s", w.code, w.stderr)
			}
			if !c.decided {
				checkUndecidedSite(t, w, string(data), c.server, site, file)
				return
			}
			if w.code != 0 {
				t.Fatalf("hosts -f yaml: exit %d %s", w.code, w.stderr)
			}
			withFile := shapeStatuses(t, append(append([]string{"-c", site}, c.flags...), file)...)
			profile := slices.DeleteFunc(slices.Clone(c.flags), func(s string) bool { return s == "-s" || s == c.server })
			withServer := shapeStatuses(t, append(append([]string{"-s", c.server}, profile...), file)...)
			if fmt.Sprint(withFile) != fmt.Sprint(withServer) {
				t.Errorf("analyze -c site.yaml:\n  %v\nanalyze -s %s:\n  %v\nsite file:\n%s", withFile, c.server, withServer, data)
			}
		})
	}
}

var choiceLine = regexp.MustCompile(`(?m)^# server: \[(.*)\]$`)

// checkUndecidedSite: exit 2, no key but comments, the server among the
// choices and the scanner not, and the choice uncommented judges with it.
func checkUndecidedSite(t *testing.T, w result, data, server, site, file string) {
	t.Helper()
	if w.code != exitUsage || !strings.Contains(w.stderr, "no server could be inferred") {
		t.Errorf("hosts -f yaml: exit %d, want %d: %s", w.code, exitUsage, w.stderr)
	}
	for _, l := range strings.Split(strings.TrimSpace(data), "\n") {
		if !strings.HasPrefix(l, "#") {
			t.Fatalf("a line that is no comment in an undecided site file: %q\n%s", l, data)
		}
	}
	var choices []string
	for _, m := range choiceLine.FindAllStringSubmatch(data, -1) {
		choices = append(choices, m[1])
	}
	if !slices.Contains(choices, server) || slices.Contains(choices, "10.99.0.31") {
		t.Fatalf("choices %v: want %s, never the scanner 10.99.0.31\n%s", choices, server, data)
	}
	chosen := strings.Replace(data, "# server: ["+server+"]", "server: ["+server+"]", 1)
	if err := os.WriteFile(site, []byte(chosen), 0o644); err != nil {
		t.Fatal(err)
	}
	d, r := analyzeDoc(t, "-c", site, file)
	if r.code == exitUsage || strings.Join(d.Server.Addresses, ",") != server {
		t.Errorf("the choice uncommented: exit %d, server %v, want %s: %s", r.code, d.Server.Addresses, server, r.stderr)
	}
}

// TestHostsServesOnlyAnswered: a port that refused (an RST to the SYN) or
// never answered is not served, and the opener only tried it; a SYN/ACK
// that a SYN scan resets still shows the port listening.
func TestHostsServesOnlyAnswered(t *testing.T) {
	cases := []struct {
		file, host       string
		serves           []int
		refused, silent  string
		triedBy, triedTo string
	}{
		// nftables drops 9389 on the DC; nothing listens on 3268 (RST).
		{"../../testdata/real/lab-site.pcap", "10.99.0.21", []int{88, 389}, "3268", "9389", "10.99.0.10", "3268,9389"},
		{filepath.Join(shapesDir, "nmap-scan.pcap"), "10.99.0.21", []int{88, 389, 636}, "1-87,89-388,390-635,637-1000", "", "10.99.0.31", "1-87,89-388,390-635,637-1000"},
		{filepath.Join(shapesDir, "nmap-scan-tm.pcap"), "10.99.0.10", []int{8080, 10001}, "1-998", "", "10.99.0.31", "1-998"},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			d := readInventory(t, flowverify(t, nil, "hosts", "-f", "json", c.file))
			ports := func(ps []portsDoc) string {
				var out []string
				for _, p := range ps {
					out = append(out, p.Transport+"/"+p.Ports)
				}
				return strings.Join(out, " ")
			}
			want := func(s string) string {
				if s == "" {
					return ""
				}
				return "tcp/" + s
			}
			found := map[string]bool{}
			for _, h := range d.Hosts {
				a := strings.Join(h.Addresses, ",")
				found[a] = true
				switch a {
				case c.host:
					var served []int
					for _, s := range h.Serves {
						served = append(served, s.Port)
					}
					if fmt.Sprint(served) != fmt.Sprint(c.serves) || ports(h.Refused) != want(c.refused) || ports(h.NoAnswer) != want(c.silent) {
						t.Errorf("%s serves %v, refused %q, no answer %q; want %v, %q, %q", a, served, ports(h.Refused), ports(h.NoAnswer), c.serves, c.refused, c.silent)
					}
				case c.triedBy:
					if ports(h.Tried) != want(c.triedTo) {
						t.Errorf("%s tried %q, want %q", a, ports(h.Tried), c.triedTo)
					}
				}
			}
			if !found[c.host] || !found[c.triedBy] {
				t.Fatalf("hosts %v lack %s or %s", found, c.host, c.triedBy)
			}
		})
	}
}

// TestHostsLoopback: on the server's own loopback the server is 127.0.0.1,
// and nothing says no address receives syslog while it does.
func TestHostsLoopback(t *testing.T) {
	r := flowverify(t, nil, "hosts", filepath.Join(shapesDir, "loopback.pcap"))
	for _, want := range []string{"Server: 127.0.0.1 (auto)", "receives syslog on udp/10000", "--server tm"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.code != 0 || strings.Contains(r.stdout, "no address receives") {
		t.Errorf("exit %d, or says no address receives syslog:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestGoldenHostsUndecided: without a server, the text lists the
// candidates with their evidence and the --server line analyze names, and
// the command to list the site again; the site file offers them as
// commented choices. Two sites' servers tie; a scan has no candidate.
func TestGoldenHostsUndecided(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		want  string
		named string // the candidates analyze names, as hosts must
	}{
		{"two-servers", []string{filepath.Join(scenarioDir, "all-good.pcap"), "../../testdata/real/lab-site.pcap"}, "try --server with the right one of 10.20.0.10, 10.99.0.10", "10.20.0.10, 10.99.0.10"},
		{"nmap-scan-tm", []string{filepath.Join(shapesDir, "nmap-scan-tm.pcap")}, "flowverify hosts --server ADDR", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			an := flowverify(t, nil, append([]string{"analyze", "-q"}, c.files...)...)
			txt := flowverify(t, nil, append([]string{"hosts"}, c.files...)...)
			yml := flowverify(t, nil, append([]string{"hosts", "-f", "yaml"}, c.files...)...)
			if txt.code != exitUsage || yml.code != exitUsage || an.code != exitUsage {
				t.Fatalf("exit %d (text), %d (yaml), %d (analyze), want %d", txt.code, yml.code, an.code, exitUsage)
			}
			if !strings.Contains(txt.stdout, c.want) || !strings.Contains(txt.stderr, strings.TrimPrefix(c.want, "flowverify hosts ")) {
				t.Errorf("text lacks %q:\n%s%s", c.want, txt.stdout, txt.stderr)
			}
			// The candidate analyze names is the one hosts names.
			if named := c.named; named != "" && (!strings.Contains(an.stderr, named) || !strings.Contains(txt.stderr, named)) {
				t.Errorf("analyze and hosts name different candidates (want %q):\n%s\n%s", named, an.stderr, txt.stderr)
			}
			for i, s := range []string{txt.stdout, yml.stdout} {
				for _, f := range c.files {
					s = strings.ReplaceAll(s, filepath.Dir(f)+"/", "")
				}
				checkGoldenFile(t, filepath.Join(goldenDir, "hosts", "undecided-"+c.name+[]string{".text", ".yaml"}[i]), []byte(s))
			}
		})
	}
}

// TestHostsRerunKeepsTheSite: the line that lists the site again with a
// server keeps the flags that shape it, and quotes a file name a shell
// would split.
func TestHostsRerunKeepsTheSite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(shapesDir, "nmap-scan-tm.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "scan.pcap")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := flowverify(t, nil, "hosts", "-p", "threatmanager-3.0", "-f", "yaml", file)
	want := "flowverify hosts --server ADDR --profile threatmanager-3.0 '" + file + "' -f yaml"
	if r.code != exitUsage || !strings.Contains(r.stdout, want) {
		t.Errorf("exit %d, lacks %q:\n%s", r.code, want, r.stdout)
	}
}
