package report

import (
	"strings"
	"testing"

	"github.com/flowverify/flowverify/classifier/matrix"
)

// TestRowLabels: a row's address reads with its host when the site names
// one, and alone otherwise.
func TestRowLabels(t *testing.T) {
	for _, c := range []struct {
		name, got, want string
	}{
		{"unexpected named", Unexpected{Peer: "10.20.0.21", Host: "dc1"}.PeerLabel(), "dc1 (10.20.0.21)"},
		{"unexpected unnamed", Unexpected{Peer: "10.20.0.21"}.PeerLabel(), "10.20.0.21"},
		{"unexpected others", Unexpected{Peer: "(others)"}.PeerLabel(), "(others)"},
		{"blocked initiator", Blocked{Initiator: "10.20.0.10:49815", InitiatorHost: "tm"}.InitiatorLabel(), "tm (10.20.0.10:49815)"},
		{"blocked responder v6", Blocked{Responder: "[2001:db8::22]:389", ResponderHost: "dc2"}.ResponderLabel(), "dc2 ([2001:db8::22]:389)"},
		{"blocked responder unnamed", Blocked{Responder: "10.20.0.22:389", InitiatorHost: "tm"}.ResponderLabel(), "10.20.0.22:389"},
		{"scanner", Scan{Scanner: "172.16.0.8", ScannerHost: "lab-nmap"}.ScannerLabel(), "lab-nmap (172.16.0.8)"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
}

// TestScanLineNamesHosts: the scan's line and details name the scanner
// and the targets the site knows, index for index, and count in words.
func TestScanLineNamesHosts(t *testing.T) {
	base := Scan{Scanner: "172.16.0.8", Transport: "tcp", First: "a", Last: "b"}
	for _, c := range []struct {
		name          string
		edit          func(*Scan)
		line, details string
	}{
		{"one target named", func(s *Scan) {
			s.ScannerHost, s.Targets, s.TargetHosts, s.Hosts, s.Ports, s.Tried, s.Answered, s.PortList = "nmap", []string{"10.0.0.1"}, []string{"dc1"}, 1, 998, 998, 2, "1-998"
		}, "nmap (172.16.0.8) probed 998 ports of dc1 (10.0.0.1), 2 accepted", "tcp 1-998, a .. b"},
		{"one target unnamed", func(s *Scan) {
			s.Targets, s.Hosts, s.Ports, s.Tried, s.Answered, s.PortList = []string{"10.0.0.1"}, 1, 1, 1, 0, "22"
		}, "172.16.0.8 probed 1 port of 10.0.0.1, 0 accepted", "tcp 22, a .. b"},
		{"sweep, some named", func(s *Scan) {
			s.Targets, s.TargetHosts, s.Hosts, s.Ports, s.Tried, s.PortList = []string{"10.0.0.1", "10.0.0.2"}, []string{"", "dc2"}, 3, 1, 3, "445"
		}, "172.16.0.8 probed tcp/445 on 3 hosts, 0 accepted", "tcp 445, a .. b; hosts 10.0.0.1, dc2 (10.0.0.2) and 1 more"},
		{"many ports of many hosts", func(s *Scan) {
			s.Targets, s.Hosts, s.Ports, s.Tried, s.PortList, s.Folded = []string{"10.0.0.1", "10.0.0.2"}, 2, 2, 4, "22-23", 1
		}, "172.16.0.8 probed 2 ports on 2 hosts (4 targets), 0 accepted",
			"tcp 22-23, a .. b; hosts 10.0.0.1, 10.0.0.2; 1 unexpected flow folded in, not listed as unexpected"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := base
			c.edit(&s)
			if got := s.Line(); got != c.line {
				t.Errorf("line %q, want %q", got, c.line)
			}
			if got := s.Details(); got != c.details {
				t.Errorf("details %q, want %q", got, c.details)
			}
		})
	}
}

// TestEndHost: a flow's end, as reports write it, finds its host by the
// address alone, whatever its port or family.
func TestEndHost(t *testing.T) {
	r := &Report{Hosts: []Host{{Name: "dc1", Addresses: []string{"10.20.0.21", "2001:db8::21"}}, {Name: "tm", Addresses: []string{"10.20.0.10"}}}}
	names := r.hostNames()
	for _, c := range []struct{ end, want string }{
		{"10.20.0.21:389", "dc1"},
		{"[2001:db8::21]:88", "dc1"},
		{"2001:db8::21", "dc1"}, // ICMP: no port
		{"10.20.0.10", "tm"},
		{"10.20.0.22:389", ""},
		{"(others)", ""},
		{"", ""},
	} {
		if got := endHost(names, c.end); got != c.want {
			t.Errorf("endHost(%q) = %q, want %q", c.end, got, c.want)
		}
	}
	if got := endHost((&Report{}).hostNames(), "10.20.0.21:389"); got != "" {
		t.Errorf("a report without hosts names %q", got)
	}
}

// TestFormatsNameHosts: each human format and the CSVs show the names a
// report's rows carry; the same report without them shows addresses only.
func TestFormatsNameHosts(t *testing.T) {
	named := func() *Report {
		r := smallReport()
		r.Hosts = []Host{{Name: "dc2", Addresses: []string{"10.0.0.22"}}, {Name: "tm", Addresses: []string{"10.0.0.10"}}}
		r.Blocked[0].InitiatorHost, r.Blocked[0].ResponderHost = "tm", "dc2"
		r.Unexpected[0].Host = "jump"
		r.Flows = NewFlowList()
		r.Flows.Add(Flow{Transport: "tcp", Initiator: "10.0.0.10:50000", Responder: "10.0.0.22:9389", Verdict: matrix.Blocked}, 0)
		return r
	}
	for _, c := range []struct {
		format string
		want   []string
	}{
		{FormatText, []string{"tm (10.0.0.10:50000)  dc2 (10.0.0.22:9389)", "jump (10.0.5.9)"}},
		{FormatMarkdown, []string{"`adws-out` tm (10.0.0.10:50000) → dc2 (10.0.0.22:9389)", "with jump (10.0.5.9)"}},
		{FormatJUnit, []string{"jump (10.0.5.9) (rdp, 4 flows)"}},
		{FormatFlowsCSV, []string{",initiator_host,responder_host\n", ",tm,dc2\n"}},
	} {
		t.Run(c.format, func(t *testing.T) {
			out := render(t, named(), c.format)
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("lacks %q:\n%s", w, out)
				}
			}
			plain := render(t, smallReport(), c.format)
			for _, name := range []string{"tm (", "dc2 (", "jump ("} {
				if strings.Contains(plain, name) {
					t.Errorf("without hosts it says %q:\n%s", name, plain)
				}
			}
		})
	}
}

// TestDiffTextNamesHosts: the diff's unexpected lines name the host and
// count flows in words.
func TestDiffTextNamesHosts(t *testing.T) {
	for _, c := range []struct {
		u    Unexpected
		want string
	}{
		{Unexpected{Transport: "tcp", Direction: matrix.Outbound, Port: 3268, Peer: "10.20.0.21", Host: "dc1", Protocol: "ldap", Flows: 1},
			"TCP 3268 dc1 (10.20.0.21) (ldap, 1 flow)\n"},
		{Unexpected{Transport: "udp", Direction: matrix.Outbound, Port: 53, Peer: "10.20.0.21", Protocol: "dns", Flows: 2},
			"UDP 53 10.20.0.21 (dns, 2 flows)\n"},
	} {
		var b strings.Builder
		if err := WriteDiffText(&b, Diff{NewUnexpected: []Unexpected{c.u}}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), c.want) {
			t.Errorf("diff text lacks %q:\n%s", c.want, b.String())
		}
	}
}
