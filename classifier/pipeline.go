package classifier

import (
	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/report"
)

// AnalyzeSources runs the offline pipeline over opened sources: merge in
// time order, decode, build flows, judge them. unread lists inputs that
// could not be opened, so the report still names them.
func AnalyzeSources(m *Matrix, srcs []*capture.FileSource, unread []*capture.InputStats, withFlows bool, version string) (*report.Report, error) {
	return analyzeSources(m, srcs, unread, withFlows, version, true)
}

// analyzeSources can switch protocol recognition off, so benchmarks can
// show what recognition costs.
func analyzeSources(m *Matrix, srcs []*capture.FileSource, unread []*capture.InputStats, withFlows bool, version string, recognise bool) (*report.Report, error) {
	merger := capture.NewMerger(srcs)
	defer merger.Close()
	an := NewAnalyzer(m)
	table := flow.NewTable(m.FlowConfig())
	an.Attach(table)
	if !recognise {
		table.OnPayload = nil
	}
	var pkt capture.Packet
	for merger.Next(&pkt) == nil {
		table.Add(&pkt)
	}
	table.Flush()
	inputs := append(merger.Stats(), unread...)
	return an.Report(Meta{ToolVersion: version, Inputs: inputs, Table: table.C, WithFlows: withFlows})
}
