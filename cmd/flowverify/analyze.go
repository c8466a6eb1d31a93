package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/firewall"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

// analyzeCmd is what the analyze command was given.
type analyzeCmd struct {
	mf       matrixFlags
	of       outputFlags
	jobs     int
	quiet    bool
	baseline string
	stdout   io.Writer
	stderr   io.Writer
	environ  []string
}

func newAnalyzeCmd(stdout, stderr io.Writer, environ []string) *cobra.Command {
	c := &analyzeCmd{stdout: stdout, stderr: stderr, environ: environ}
	cmd := &cobra.Command{
		Use:   "analyze [flags] FILE|DIR...",
		Short: "Judge pcap/pcapng captures (plain or .gz) against the matrix",
		Long: `analyze reads capture files (several merge in time order) and judges every
flow and rule against the matrix.` + exitHelp,
		Example: `  flowverify analyze --server auto capture.pcapng
  flowverify analyze -s 192.0.2.10 --role domain-controllers=192.0.2.20,192.0.2.21 -o report.json day1.pcap.gz day2.pcap.gz`,
		Args: cobra.MinimumNArgs(1),
		RunE: c.run,
	}
	c.mf.register(cmd, "the server's addresses or host name, or auto (default) to infer them from the traffic")
	c.of.register(cmd)
	cmd.Flags().IntVarP(&c.jobs, "jobs", "j", 0, "cores: 1 reads and judges on one core; 0 (automatic) or N>1 reads and decodes beside the judging when there is a second core; the report is the same whatever -j says")
	cmd.Flags().BoolVarP(&c.quiet, "quiet", "q", false, "no progress bar")
	cmd.Flags().StringVar(&c.baseline, "baseline", "", "compare with a known-good JSON report: exit 1 on a regression instead of on findings")
	return cmd
}

func (c *analyzeCmd) run(cmd *cobra.Command, args []string) error {
	args = c.of.takeSuggestSyntax(cmd, args)
	if len(args) == 0 {
		return &exitError{exitUsage, fmt.Errorf("no capture file given")}
	}
	if err := c.of.check(cmd); err != nil {
		return &exitError{exitUsage, err}
	}
	m, err := c.mf.load(c.environ)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	files, err := expandInputs(args)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	if c.jobs < 0 {
		return &exitError{exitUsage, fmt.Errorf("--jobs %d: want 0 (automatic) or a positive number", c.jobs)}
	}
	// Every input is one stream in time order, whatever -j says: a flow
	// that spans rotated files is whole only there, and the server and the
	// learned endpoints are decided over all inputs. -j chooses only
	// whether reading and decoding run on a core beside the flow table;
	// the report is the same.
	pipeline := c.jobs > 1 || c.jobs == 0 && runtime.GOMAXPROCS(0) > 1
	r, err := analysis{m: m, files: files, withFlows: c.of.flows, progress: !c.quiet, pipeline: pipeline, stderr: c.stderr}.run()
	if err != nil {
		return err
	}
	// The flow list may be spilled to a temporary file (--flows).
	defer r.Flows.Close()
	if c.of.suggest != "" {
		if r.Suggestions, err = firewall.Suggest(m, r, c.of.suggestRequest()); err != nil {
			return err
		}
	}
	if err := c.of.write(c.stdout, c.stderr, r); err != nil {
		return &exitError{exitUsage, err}
	}
	if c.baseline != "" {
		return c.compare(m, r)
	}
	return exitFor(m, r)
}

// compare is --baseline: a regression against the known-good report,
// not the findings, decides the exit status, unless the input was
// damaged.
func (c *analyzeCmd) compare(m *matrix.Matrix, r *report.Report) error {
	base, err := report.Read(c.baseline)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	fmt.Fprintln(c.stderr, "Compared with the baseline", c.baseline+":")
	if err := diffReports(c.stderr, base, r, report.FormatText, false); err != nil {
		return err
	}
	if r.Summary.Damaged {
		return exitFor(m, r)
	}
	return nil
}

// analysis is one offline run of the pipeline: read, decode, flows,
// judge.
type analysis struct {
	m         *matrix.Matrix
	files     []string
	withFlows bool // the report lists every flow (--flows)
	progress  bool // a progress bar on stderr, when it is a terminal
	pipeline  bool // reading and decoding on a core beside the flow table
	stderr    io.Writer
}

func (a analysis) run() (*report.Report, error) {
	srcs, failed, err := openInputs(a.files, a.stderr)
	if err != nil {
		return nil, err
	}
	var prog classifier.Progress
	if a.progress {
		prog = progressBar(a.stderr, srcs)
	}
	r, err := classifier.Analyze(a.m, srcs, failed, classifier.Options{WithFlows: a.withFlows, Version: version, Progress: prog, Pipeline: a.pipeline})
	if err != nil {
		return nil, &exitError{exitUsage, err}
	}
	wordReport(r)
	return r, nil
}

// progressBar draws bytes read of the total, packets/s and an ETA on
// stderr, but only when stderr is a terminal.
func progressBar(stderr io.Writer, srcs []*capture.FileSource) classifier.Progress {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	var total int64
	for _, s := range srcs {
		total += s.Size()
	}
	bar := progressbar.NewOptions64(total, progressbar.OptionSetWriter(stderr), progressbar.OptionShowBytes(true),
		progressbar.OptionSetDescription("reading"), progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(200*time.Millisecond))
	start := time.Now()
	return func(bytes int64, packets uint64) {
		rate := float64(packets) / time.Since(start).Seconds()
		bar.Describe(fmt.Sprintf("reading (%.0f pkts/s)", rate))
		bar.Set64(bytes)
		if bytes >= total {
			bar.Finish()
		}
	}
}
