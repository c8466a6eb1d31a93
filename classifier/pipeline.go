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
	return analyzeSources(m, srcs, unread, withFlows, version, true, nil)
}

// Progress is told the bytes read from disk and the packets seen so far.
type Progress func(bytes int64, packets uint64)

// AnalyzeWithProgress is AnalyzeSources reporting progress every 64k packets.
func AnalyzeWithProgress(m *Matrix, srcs []*capture.FileSource, unread []*capture.InputStats, withFlows bool, version string, p Progress) (*report.Report, error) {
	return analyzeSources(m, srcs, unread, withFlows, version, true, p)
}

// analyzeSources can switch protocol recognition off, so benchmarks can
// show what recognition costs.
func analyzeSources(m *Matrix, srcs []*capture.FileSource, unread []*capture.InputStats, withFlows bool, version string, recognise bool, progress Progress) (*report.Report, error) {
	merger := capture.NewMerger(srcs)
	defer merger.Close()
	an := NewAnalyzer(m)
	var names []string
	for _, s := range srcs {
		names = append(names, s.Name())
	}
	an.ListFlows(withFlows, names)
	an.Stream()
	table := flow.NewTable(m.FlowConfig())
	an.Attach(table)
	if !recognise {
		table.OnPayload = nil
	}
	var pkt capture.Packet
	var n uint64
	readBytes := func() int64 {
		var b int64
		for _, s := range srcs {
			b += s.ReadBytes()
		}
		return b
	}
	for merger.Next(&pkt) == nil {
		table.Add(&pkt)
		n++
		if progress != nil && n&0xffff == 0 {
			progress(readBytes(), n)
		}
	}
	if progress != nil {
		progress(readBytes(), n)
	}
	table.Flush()
	inputs := append(merger.Stats(), unread...)
	return an.Report(Meta{ToolVersion: version, Inputs: inputs, Table: table.C, WithFlows: withFlows})
}
