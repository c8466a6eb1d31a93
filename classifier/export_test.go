package classifier

import (
	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/report"
)

// AnalyzeSourcesNoRecognition exposes the pipeline without protocol
// recognition to the benchmarks.
var AnalyzeSourcesNoRecognition = func(m *Matrix, srcs []*capture.FileSource) (*report.Report, error) {
	return Analyze(m, srcs, nil, Options{Version: "bench", noRecog: true})
}
