package firewall

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
)

// TestSuggestNeverAllowsEverything hands Suggest typed rows that have no
// single peer or port and checks, in every syntax, that each becomes a
// comment saying why, while a row with a peer and a port becomes a rule
// naming both.
func TestSuggestNeverAllowsEverything(t *testing.T) {
	m, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	peer := netip.MustParseAddr("198.51.100.7")
	for _, c := range []struct {
		name string
		row  report.UnexpectedAgg
		rule bool   // an Allow rule is written
		why  string // else the comment says this
	}{
		{"peer and port", report.UnexpectedAgg{Transport: matrix.UDP, Dir: matrix.Outbound, Peer: peer, Port: 5353}, true, ""},
		{"inbound peer and port", report.UnexpectedAgg{Transport: matrix.TCP, Dir: matrix.Inbound, Peer: peer, Port: 8443}, true, ""},
		{"folded outbound", report.UnexpectedAgg{Transport: matrix.UDP, Dir: matrix.Outbound, Folded: true, Flows: 4998}, false, "4998 flows to further peers"},
		{"folded inbound", report.UnexpectedAgg{Transport: matrix.TCP, Dir: matrix.Inbound, Folded: true, Flows: 3}, false, "inbound TCP from every address"},
		{"port 0", report.UnexpectedAgg{Transport: matrix.UDP, Dir: matrix.Outbound, Peer: peer, Port: 0}, false, "port 0 is no service's port"},
		{"no peer", report.UnexpectedAgg{Transport: matrix.TCP, Dir: matrix.Outbound, Port: 445}, false, "no remote address is known"},
		{"no ports", report.UnexpectedAgg{Transport: 47, Dir: matrix.Outbound, Peer: peer}, false, "TCP and UDP ports only"},
	} {
		for _, syntax := range Syntaxes() {
			r := &report.Report{Aggregates: &report.Aggregates{FoldLimit: 10000, Unexpected: []report.UnexpectedAgg{c.row}}}
			got, err := Suggest(m, r, Request{Syntax: syntax, Unexpected: true, ListFlows: "the flow list"})
			if err != nil || len(got) != 1 {
				t.Fatalf("%s/%s: %v %+v", c.name, syntax, err, got)
			}
			cmds := strings.Join(got[0].Commands, "\n")
			comment := strings.HasPrefix(cmds, "# ") || strings.HasPrefix(cmds, "REM ")
			switch {
			case c.rule && (comment || !strings.Contains(cmds, peer.String()) || !strings.Contains(cmds, "443") && !strings.Contains(cmds, "5353")):
				t.Errorf("%s/%s: want a rule naming the peer and port, got %q", c.name, syntax, cmds)
			case !c.rule && (!comment || len(got[0].Commands) != 1 || !strings.Contains(cmds, c.why)):
				t.Errorf("%s/%s: want one comment saying %q, got %q", c.name, syntax, c.why, cmds)
			}
		}
	}
	// ICMP has no port: a note, no command.
	icmp := &report.Report{Aggregates: &report.Aggregates{Unexpected: []report.UnexpectedAgg{{Transport: capture.ProtoICMP, Dir: matrix.Outbound, Peer: peer, ICMP: true, ICMPType: 8}}}}
	if got, _ := Suggest(m, icmp, Request{Syntax: PowerShell, Unexpected: true}); len(got) != 1 || got[0].Commands != nil || !strings.Contains(got[0].Note, "echo") {
		t.Errorf("ICMP: %+v", got)
	}
}

// TestSuggestRefusesTextOnlyReport: a report read back from JSON lists its
// findings as text only, and rules are not rebuilt from text.
func TestSuggestRefusesTextOnlyReport(t *testing.T) {
	m, _ := matrix.Load(matrix.LoadOptions{})
	r := &report.Report{Unexpected: []report.Unexpected{{Transport: "udp", Direction: matrix.Outbound, Peer: "(others)"}}}
	if _, err := Suggest(m, r, Request{Syntax: PowerShell, Unexpected: true}); !errors.Is(err, errNoAggregates) {
		t.Fatalf("got %v, want ErrNoAggregates", err)
	}
	if got, err := Suggest(m, &report.Report{}, Request{Syntax: PowerShell, Unexpected: true}); err != nil || len(got) != 0 {
		t.Fatalf("an empty report: %v %v", got, err)
	}
}
