package classifier

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
)

const (
	tmServer = "10.20.0.10"
	dc       = "10.20.0.20"
	agent    = "10.20.1.41"
	router   = "10.20.0.1"
)

// flowsOf writes c as a pcap with genuine headers, reads it back through
// the decoder and the flow table, and returns the flows that ended.
func flowsOf(t *testing.T, c *synth.Capture) []flow.Flow {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Write(&buf, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	src, err := capture.NewSource("case", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	mg := capture.NewMerger([]*capture.FileSource{src})
	defer mg.Close()
	tb := flow.NewTable(flow.DefaultConfig())
	var ended []flow.Flow
	tb.OnEnd = func(f *flow.Flow) { ended = append(ended, *f) }
	var p capture.Packet
	for {
		err := mg.Next(&p)
		if err != nil {
			break
		}
		tb.Add(&p)
	}
	tb.Flush()
	return ended
}

// TestEvidenceRule judges flows built from packets, through the facts the
// engine reads of them, against the default matrix: a rule's flow is
// allowed only when it shows the peer answering (docs/design.md, "The
// evidence rule"), blocked when it shows how it failed, and unconfirmed
// otherwise. Nothing is recognised: the flows are judged by their packets
// alone.
func TestEvidenceRule(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	srv := func(port uint16) synth.Endpoint { return synth.EP(tmServer, port) }
	search := [][]byte{synth.LDAPSearch(1, "dc=corp,dc=example"), synth.LDAPSearch(2, "dc=corp,dc=example")}
	syslog := synth.Syslog5424(134, t0, "fs01", "activity", "file opened")
	cases := []struct {
		name    string
		build   func(c *synth.Capture)
		twoWay  bool // judge syslog-in as a rule that needs a reply
		rule    string
		verdict matrix.Verdict
		block   matrix.BlockReason
	}{
		{"one-way data: two LDAP searches, no handshake, no reply", func(c *synth.Capture) {
			c.OneWay(t0, srv(50100), synth.EP(dc, 389), synth.FlagACK|synth.FlagPSH, search)
		}, false, "ldap-out", matrix.Unconfirmed, matrix.NoFailure},
		{"the same segments without payload", func(c *synth.Capture) {
			c.OneWay(t0, srv(50100), synth.EP(dc, 389), synth.FlagACK, [][]byte{nil, nil})
		}, false, "ldap-out", matrix.Blocked, matrix.NoAnswer},
		{"three lone SYN/ACKs from the DC", func(c *synth.Capture) {
			c.OneWay(t0, synth.EP(dc, 389), srv(50101), synth.FlagSYN|synth.FlagACK, [][]byte{nil, nil, nil})
		}, false, "ldap-out", matrix.Unconfirmed, matrix.NoFailure},
		{"S0: SYNs unanswered", func(c *synth.Capture) {
			c.Unanswered(t0, srv(50102), synth.EP(dc, 389), []time.Duration{time.Second, 2 * time.Second}, 0)
		}, false, "ldap-out", matrix.Blocked, matrix.NoAnswer},
		{"REJ: the SYN answered by RST", func(c *synth.Capture) {
			c.Refused(t0, srv(50103), synth.EP(dc, 389), 0)
		}, false, "ldap-out", matrix.Blocked, matrix.Refused},
		{"SYN and SYN/ACK, the handshake never completed", func(c *synth.Capture) {
			c.Probe(t0, srv(50104), synth.EP(dc, 389), synth.FlagSYN, 0)
			c.Probe(t0.Add(time.Millisecond), synth.EP(dc, 389), srv(50104), synth.FlagSYN|synth.FlagACK, 0)
		}, false, "ldap-out", matrix.Unconfirmed, matrix.NoFailure},
		{"a completed handshake, no data", func(c *synth.Capture) {
			c.TCP(t0, srv(50105), synth.EP(dc, 389), nil, synth.TCPOptions{})
		}, false, "ldap-out", matrix.Allowed, matrix.NoFailure},
		{"mid-stream with the responder's data", func(c *synth.Capture) {
			c.TCP(t0, srv(50106), synth.EP(dc, 389), []synth.Message{{FromClient: true, Data: search[0]}, {Data: synth.LDAPSearchDone(1)}},
				synth.TCPOptions{SkipSYN: true, Close: synth.CloseNone})
		}, false, "ldap-out", matrix.Allowed, matrix.NoFailure},
		{"one_way UDP: syslog received by the server", func(c *synth.Capture) {
			c.UDP(t0, synth.EP(agent, 51000), srv(10000), []synth.Message{{FromClient: true, Data: syslog}}, 0)
		}, false, "syslog-in", matrix.Allowed, matrix.NoFailure},
		{"UDP without a reply, for a rule that needs one", func(c *synth.Capture) {
			c.UDP(t0, synth.EP(agent, 51000), srv(10000), []synth.Message{{FromClient: true, Data: syslog}}, 0)
		}, true, "syslog-in", matrix.Unconfirmed, matrix.NoFailure},
		{"UDP with a reply", func(c *synth.Capture) {
			c.UDP(t0, synth.EP(agent, 51000), srv(10000), []synth.Message{{FromClient: true, Data: syslog}, {Data: []byte("ok")}}, 0)
		}, true, "syslog-in", matrix.Allowed, matrix.NoFailure},
		{"UDP answered by ICMP port unreachable", func(c *synth.Capture) {
			c.ICMPBlocked(t0, synth.EP(agent, 51000), srv(10000), synth.Unreachable{Router: netip.MustParseAddr(router), Code: 3, UDP: syslog}, 0)
		}, true, "syslog-in", matrix.Blocked, matrix.Unreachable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := matrix.Load(matrix.LoadOptions{Server: []string{tmServer}})
			if err != nil {
				t.Fatal(err)
			}
			for i := range m.Rules {
				if tc.twoWay && m.Rules[i].ID == "syslog-in" {
					m.Rules[i].OneWay = false
				}
			}
			c := synth.New(7)
			tc.build(c)
			rec := newRecognizer()
			cx := &matrix.Context{Servers: matrix.NewServerSet([]netip.Addr{netip.MustParseAddr(tmServer)}),
				DCs: &matrix.DCs{ByEPM: map[netip.Addr]bool{}}, Evidence: rec, Explain: true, Ports: matrix.NewNamedPorts(m)}
			judged := 0
			for _, f := range flowsOf(t, c) {
				var (
					fa matrix.FlowFacts
					j  matrix.Judgement
				)
				rec.facts(&f, &fa)
				m.Judge(&fa, cx, &j)
				if j.Rule < 0 {
					continue // the ICMP error's own flow, if any
				}
				judged++
				if got := m.Rules[j.Rule].ID; got != tc.rule {
					t.Errorf("rule %s, want %s", got, tc.rule)
				}
				if j.Verdict != tc.verdict || j.Block != tc.block {
					t.Errorf("%s (%q), want %s (%q); flow %s history %s: %s", j.Verdict, j.Block, tc.verdict, tc.block, f.String(), f.HistoryString(), j.Reason)
				}
			}
			if judged != 1 {
				t.Errorf("%d flows matched a rule, want 1", judged)
			}
		})
	}
}
