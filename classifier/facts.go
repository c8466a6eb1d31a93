package classifier

import (
	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/classifier/protocol"
)

// The seam between the flow table and the matrix: the matrix judges
// facts, not the table's records, and sets the table's limits.

// facts fills fa with what judging reads of f: its ends and counters, and
// what recognition made of it. fa is the caller's, reused from flow to
// flow: judging a million flows allocates nothing for it.
func (r *recognizer) facts(f *flow.Flow, fa *matrix.FlowFacts) {
	ini, res, resPort := f.Ends()
	iniPort := f.Key.PortA
	if !f.InitIsA {
		iniPort = f.Key.PortB
	}
	*fa = matrix.FlowFacts{
		Ini: *ini, Res: *res, IniPort: iniPort, ResPort: resPort,
		Transport: f.Key.Proto, First: f.First,
		IniPkts: f.Pkts[flow.Orig], ResPkts: f.Pkts[flow.Resp], SYNs: f.SYNs,
		Handshake: f.Handshake(), IniData: f.SentData(flow.Orig), ResData: f.SentData(flow.Resp),
		ResSYNACK: f.SentSYNACK(flow.Resp), Guessed: f.Guessed,
		Unreach: f.Unreach, ICMPv6: f.ICMPv6, ICMPCode: f.ICMPCode,
	}
	if f.Key.Proto == capture.ProtoTCP {
		fa.Opening = opening(f.ConnState())
	}
	fa.Protocol, fa.Confidence, fa.Recognised = r.protocol(f)
	fa.AnsweredRPC = r.answeredRPC(f)
}

// opening reads a TCP flow's Zeek conn_state as judging needs it.
func opening(connState string) matrix.Opening {
	switch connState {
	case "S0", "RSTOS0", "SH":
		return matrix.OpeningUnanswered
	case "REJ":
		return matrix.OpeningRefused
	}
	return matrix.OpeningOther
}

// flowConfig derives the flow table's settings from the matrix: its
// limits, and the ports that tell a server's end from a client's.
func flowConfig(m *matrix.Matrix) flow.Config {
	c := flow.Config{
		MaxFlows:     m.Limits.MaxFlows,
		TCPTimeout:   m.Limits.TCPTimeout,
		UDPTimeout:   m.Limits.UDPTimeout,
		ClosedLinger: m.Limits.ClosedLinger,
	}
	ps, ans := new(flow.PortSet), new(flow.PortSet)
	for _, p := range protocol.Ports().ServerPorts() {
		ps.Add(p)
	}
	for _, p := range m.ServicePorts() {
		ps.Add(p)
	}
	for _, p := range protocol.Ports().AnsweringUDPPorts() {
		ans.Add(p)
	}
	c.ServicePorts, c.AnswerPorts = ps, ans
	return c
}
