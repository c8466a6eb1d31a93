package classifier_test

import (
	"encoding/json"
	"io"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
	"github.com/flowverify/flowverify/report"
)

// The generator puts an address behind the MAC 02:00 and its last 32
// bits: 10.20.1.41 and 2001:db8:0:20::a14:129 are one dual-stack NIC,
// and 2001:db8:0:21::a14:129 a third address behind it, as behind a
// router's.
const (
	pairServer4 = "10.20.0.10"
	pairServer6 = "2001:db8:0:20::a14:a"
	pairAgent4  = "10.20.1.41"
	pairAgent6  = "2001:db8:0:20::a14:129"
	pairOther6  = "2001:db8:0:21::a14:129"
	pairAgentNo = "10.20.1.42" // an IPv4-only agent: behind a MAC of its own
	pairMAC     = "02:00:0a:14:01:29"
)

// amqpTo is one AMQP connection from an agent address to the server's
// address of the same family; refused, the server answers RST.
func amqpTo(c *synth.Capture, at time.Time, agent string, port uint16, refused bool) {
	srv := pairServer4
	if netip.MustParseAddr(agent).Is6() {
		srv = pairServer6
	}
	if refused {
		c.Refused(at, synth.EP(agent, port), synth.EP(srv, 10001), 0)
		return
	}
	msgs := []synth.Message{{FromClient: true, Data: synth.AMQPHeader091()}, {Data: synth.AMQPConnectionStart()}}
	c.TCP(at, synth.EP(agent, port), synth.EP(srv, 10001), msgs, synth.TCPOptions{})
}

type amqpCall struct {
	agent   string
	refused bool
}

// pairCapture is the bytes of a capture of the calls, a second apart.
func pairCapture(t *testing.T, calls []amqpCall) []byte {
	c := synth.New(29)
	at := synth.Start()
	for i, k := range calls {
		amqpTo(c, at.Add(time.Duration(i)*time.Second), k.agent, uint16(50100+i), k.refused)
	}
	return testcaps.Bytes(t, func(w io.Writer) error { return c.Write(w, synth.Format{}) })
}

// monitorReport replays data into a monitor and takes its report, as a
// summary interval does.
func monitorReport(t *testing.T, m *matrix.Matrix, data []byte) *report.Report {
	t.Helper()
	mo := classifier.NewMonitor(m, classifier.MonitorConfig{Window: time.Hour, ServerSource: matrix.ServerFromFlag,
		Servers: []netip.Addr{netip.MustParseAddr(pairServer4), netip.MustParseAddr(pairServer6)}})
	mg := capture.NewMerger(testcaps.Sources(t, "pairs", data))
	defer mg.Close()
	var p capture.Packet
	for mg.Next(&p) == nil {
		mo.Packet(&p)
	}
	r, _, err := mo.Report("test", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// peerRow is a peer row as the test compares it.
type peerRow struct {
	key     string
	addrs   []string
	status  matrix.Status
	flows   int
	allowed int
	blocked int
}

func rowsOf(rr report.Rule) []peerRow {
	var out []peerRow
	for _, p := range rr.Peers {
		out = append(out, peerRow{p.Key(), p.Addresses, p.Status, p.Flows, p.Allowed, p.Blocked})
	}
	return out
}

// TestMonitorPairsAStationsAddresses: the monitor, and analyze on the
// same bytes, show a dual-stack agent as one peer with both addresses,
// named by its MAC, as hosts pairs it; a MAC with a third address behind
// it pairs none; and a host reached on one family and refused on the
// other stays two rows, the rule partial: no pass from a pair.
func TestMonitorPairsAStationsAddresses(t *testing.T) {
	both := []string{pairAgent4, pairAgent6}
	cases := []struct {
		name   string
		calls  []amqpCall
		want   []peerRow
		status matrix.Status
	}{
		{"dual-stack agent", []amqpCall{{agent: pairAgent4}, {agent: pairAgent6}, {agent: pairAgent6}, {agent: pairAgentNo}},
			[]peerRow{{pairMAC, both, matrix.StatusOK, 3, 3, 0}, {pairAgentNo, nil, matrix.StatusOK, 1, 1, 0}}, matrix.StatusOK},
		{"a third address behind the MAC", []amqpCall{{agent: pairAgent4}, {agent: pairAgent6}, {agent: pairOther6}},
			[]peerRow{{pairAgent4, nil, matrix.StatusOK, 1, 1, 0}, {pairAgent6, nil, matrix.StatusOK, 1, 1, 0}, {pairOther6, nil, matrix.StatusOK, 1, 1, 0}},
			matrix.StatusOK},
		{"refused on IPv6", []amqpCall{{agent: pairAgent4}, {agent: pairAgent6, refused: true}},
			[]peerRow{{pairAgent4, nil, matrix.StatusOK, 1, 1, 0}, {pairAgent6, nil, matrix.StatusBlocked, 1, 0, 1}}, matrix.StatusPartial},
		{"both families refused", []amqpCall{{agent: pairAgent4, refused: true}, {agent: pairAgent6, refused: true}, {agent: pairAgentNo}},
			[]peerRow{{pairMAC, both, matrix.StatusBlocked, 2, 0, 2}, {pairAgentNo, nil, matrix.StatusOK, 1, 1, 0}}, matrix.StatusPartial},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := pairCapture(t, tc.calls)
			m, err := matrix.Load(matrix.LoadOptions{Server: []string{pairServer4, pairServer6}})
			if err != nil {
				t.Fatal(err)
			}
			an, err := classifier.Analyze(m, testcaps.Sources(t, "pairs", data), nil, classifier.Options{Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			for how, r := range map[string]*report.Report{"monitor": monitorReport(t, m, data), "analyze": an} {
				rr := ruleOf(t, r, "amqp-in")
				if got := rowsOf(rr); !slices.EqualFunc(got, tc.want, func(x, y peerRow) bool {
					return x.key == y.key && slices.Equal(x.addrs, y.addrs) && x.status == y.status && x.flows == y.flows && x.allowed == y.allowed && x.blocked == y.blocked
				}) {
					t.Errorf("%s: peers %+v, want %+v", how, got, tc.want)
				}
				if rr.Status != tc.status {
					t.Errorf("%s: amqp-in %s (%s), want %s", how, rr.Status, rr.Reason, tc.status)
				}
				// A folded row is a report's peer like any other: it reads back.
				if data, err := json.Marshal(r); err != nil {
					t.Fatal(err)
				} else if _, err := report.Parse(how, data); err != nil {
					t.Errorf("%s: the report does not read back: %v", how, err)
				}
			}
		})
	}
}
