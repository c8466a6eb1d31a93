package classifier_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
	"github.com/flowverify/flowverify/report"
)

// forgedDay analyzes the sample day (server 10.20.0.10, answering its
// agents all day) with forged traffic built by attack merged in time
// order.
func forgedDay(t *testing.T, attack func(s *shape)) *report.Report {
	t.Helper()
	m, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	day, err := os.ReadFile("../testdata/sample/threatmanager-day.pcap")
	if err != nil {
		t.Fatal(err)
	}
	s := newShape(2828)
	s.t = time.Date(2026, 3, 2, 16, 30, 0, 0, time.UTC) // after the day
	attack(s)
	r, err := classifier.Analyze(m, testcaps.Sources(t, "day", day, s.bytes(t)), nil, classifier.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// forgedServer is the host the forgeries make out to be the server.
const forgedServer = "10.20.9.9"

// forgeRival forges, about ninety packets, every kind of evidence for
// forgedServer: the agents (agents) streaming to it, it opening the
// domain controllers' services.
func forgeRival(s *shape, agents ...string) {
	for _, agent := range agents {
		s.udp(agent, forgedServer, 10000, []byte("<13>Mar  2 09:00:00 agent fs: event"), nil)
		s.tcp(agent, forgedServer, 10001, []byte("AMQP\x00\x00\x09\x01"), []byte{1, 0, 0})
		s.http8080(agent, forgedServer)
	}
	for _, dc := range []string{"10.20.0.21", "10.20.0.22"} {
		for _, p := range []uint16{88, 135, 389, 9389, 8080, 3268, 445, 636, 5432} {
			s.tcp(forgedServer, dc, p, []byte("q"), []byte("a"))
		}
		s.krbUDP(forgedServer, dc)
		s.dns(forgedServer, dc)
		s.udp(forgedServer, dc, 389, []byte{0x30}, []byte{0x30})
	}
}

// The sample day's agents.
var dayAgents = []string{"10.20.1.31", "10.20.1.32", "10.20.1.33"}

// TestForgedTrafficDoesNotMoveServer: crafted traffic that fakes a scan
// by the server or by its peers, or a rival with every kind of evidence,
// does not take the server away without saying so. When the forgery is big enough to
// tie, both addresses are candidates with their evidence.
func TestForgedTrafficDoesNotMoveServer(t *testing.T) {
	for _, c := range []struct {
		name   string
		attack func(s *shape)
		server string
		// words are each in a line of the evidence, or of the
		// candidates' when no server.
		words []string
		// candidates that must be offered, each with evidence, when no
		// server.
		candidates []string
		scans      []string // the scanners the report lists
	}{
		{"3000 spoofed SYNs from the server to ports nobody answers", func(s *shape) {
			for i := range 3000 {
				s.t = s.t.Add(time.Millisecond)
				s.c.Unanswered(s.t, s.ep("10.20.0.10"), synth.EP(fmt.Sprintf("10.20.200.%d", i%250+1), uint16(1000+i)), nil, 0)
			}
		}, "10.20.0.10", []string{"decided by weight 30",
			"10.20.0.10 probed 3001 ports on 251 hosts (3001 targets), 0 accepted: a scan, but it answers the matrix's inbound evidence from peers that scan nothing"},
			nil, []string{"10.20.0.10"}},
		{"SYNs spoofed from both domain controllers", func(s *shape) {
			for _, dc := range []string{"10.20.0.21", "10.20.0.22"} {
				for i := range 150 {
					s.t = s.t.Add(time.Millisecond)
					s.c.Unanswered(s.t, s.ep(dc), synth.EP(fmt.Sprintf("10.20.200.%d", i%250+1), uint16(1000+i)), nil, 0)
				}
			}
		}, "10.20.0.10", []string{"opens Kerberos tcp/88 to 2 peers", "decided by weight 30",
			"10.20.0.21 probed 150 ports on 150 hosts (150 targets), 0 accepted: a scan, never evidence of the server"},
			nil, []string{"10.20.0.21", "10.20.0.22"}},
		{"a forged rival on the server's agents", func(s *shape) { forgeRival(s, dayAgents...) },
			"10.20.0.10", []string{"10.20.9.9 serves and opens the matrix's traffic too, for the same peers: one server and a forgery or a move; 10.20.0.10 is at one end of 159 answered flows on the matrix's ports against 33"},
			nil, nil},
		{"a forged rival and 3000 UDP exchanges on a port no rule names", func(s *shape) {
			forgeRival(s, dayAgents...)
			for i := range 3000 {
				s.udp(forgedServer, fmt.Sprintf("10.20.%d.%d", 100+i/250, i%250+1), 7777, []byte{1}, []byte{1})
			}
		}, "10.20.0.10", []string{"against 33, at least 2 times as many"}, nil, nil},
		{"a forged rival with as many syslog datagrams as the server's flows", func(s *shape) {
			forgeRival(s, dayAgents...)
			for i := range 150 {
				s.udp(dayAgents[i%3], forgedServer, 10000, []byte("<13>Mar  2 09:00:00 agent fs: event"), nil)
			}
		}, "", []string{"10.20.9.9, 10.20.0.10 each both serve and open the matrix's traffic, as only a server does: two servers, no strongest candidate"},
			[]string{"10.20.0.10", "10.20.9.9"}, nil},
		{"a forged rival on agents of its own: two sites", func(s *shape) { forgeRival(s, "10.20.7.31", "10.20.7.32") },
			"", []string{"two servers, no strongest candidate"}, []string{"10.20.0.10", "10.20.9.9"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := forgedDay(t, c.attack)
			lines := slices.Clone(r.Server.Evidence)
			offered := map[string]bool{}
			for _, cand := range r.Server.Candidates {
				lines = append(lines, cand.Evidence...)
				offered[cand.Address] = slices.Contains(cand.Evidence, "receives syslog on udp/10000 from 3 peers") ||
					slices.Contains(cand.Evidence, "receives syslog on udp/10000 from 2 peers")
			}
			if got := strings.Join(r.Server.Addresses, ","); got != c.server {
				t.Errorf("server %q, want %q", got, c.server)
			}
			all := strings.Join(lines, "\n")
			for _, w := range c.words {
				if !strings.Contains(all, w) {
					t.Errorf("no %q in the evidence:\n%s", w, all)
				}
			}
			for _, a := range c.candidates {
				if !offered[a] {
					t.Errorf("%s is not a candidate with its syslog evidence: %+v", a, r.Server.Candidates)
				}
			}
			var scanners []string
			for _, sc := range r.Scans {
				scanners = append(scanners, sc.Scanner)
			}
			slices.Sort(scanners)
			if !slices.Equal(scanners, c.scans) {
				t.Errorf("scans %v, want %v", scanners, c.scans)
			}
		})
	}
}
