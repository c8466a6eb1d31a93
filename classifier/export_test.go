package classifier

import (
	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
)

// AnalyzeSourcesNoRecognition exposes the pipeline without protocol
// recognition to the benchmarks.
var AnalyzeSourcesNoRecognition = func(m *matrix.Matrix, srcs []*capture.FileSource) (*report.Report, error) {
	r, _, err := analyze(m, srcs, nil, Options{Version: "bench"}, noRecognition)
	return r, err
}

// AnalyzePipelinedNoRecognition is the pipelined run without recognition:
// if it is no faster than with it, reading and decoding set the pace.
var AnalyzePipelinedNoRecognition = func(m *matrix.Matrix, srcs []*capture.FileSource) (*report.Report, error) {
	r, _, err := analyze(m, srcs, nil, Options{Version: "bench", Pipeline: true}, noRecognition)
	return r, err
}

// noRecognition switches protocol recognition off for a run.
func noRecognition(_ *analyzer, t *flow.Table) { t.OnPayload = nil }
