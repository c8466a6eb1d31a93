package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/firewall"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

// matrixFlags are the flags every command that judges traffic shares.
type matrixFlags struct {
	profile  string
	config   string
	server   []string
	hosts    []string
	roles    []string
	failOn   []string
	maxFlows int
}

// register adds the flags of the commands that judge traffic: the
// matrix's, the server, what fails the run and the flow cap.
func (f *matrixFlags) register(cmd *cobra.Command, serverHelp string) {
	f.registerMatrix(cmd)
	fl := cmd.Flags()
	fl.StringSliceVarP(&f.server, "server", "s", nil, serverHelp)
	fl.StringSliceVar(&f.failOn, "fail-on", nil, "findings that make the exit status 1: missing,blocked,mismatch,unexpected,partial, all or none")
	fl.IntVar(&f.maxFlows, "max-flows", 0, "cap on flows held at once (0: config value)")
}

// registerMatrix adds the flags that shape the matrix alone (rules,
// firewall): the commands that read no traffic take no more.
func (f *matrixFlags) registerMatrix(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "matrix file (YAML) merged over the profile, rule by rule")
	fl.StringVarP(&f.profile, "profile", "p", "", "shipped matrix (see 'flowverify profiles'; default threatmanager)")
	fl.StringArrayVar(&f.hosts, "host", nil, "a host with all its addresses, NAME=ADDR,... (repeatable): one peer whichever address it uses")
	fl.StringArrayVar(&f.roles, "role", nil, "role members, NAME=HOST|ADDR|CIDR,... (repeatable)")
}

func (f *matrixFlags) load(environ []string) (*matrix.Matrix, error) {
	opt := matrix.LoadOptions{ConfigFile: f.config, Environ: environ, Server: f.server, Profile: f.profile}
	if len(f.roles) > 0 {
		opt.Roles = map[string][]string{}
		for _, r := range f.roles {
			name, addrs, ok := strings.Cut(r, "=")
			if !ok || name == "" {
				return nil, fmt.Errorf("--role %q: want NAME=ADDR or NAME=CIDR, several separated by commas", r)
			}
			opt.Roles[name] = append(opt.Roles[name], addrs)
		}
	}
	for _, h := range f.hosts {
		name, addrs, ok := strings.Cut(h, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--host %q: want NAME=ADDR, several addresses separated by commas", h)
		}
		if opt.Hosts == nil {
			opt.Hosts = map[string][]string{}
		}
		opt.Hosts[name] = append(opt.Hosts[name], addrs)
	}
	if f.failOn != nil {
		opt.FailOn = f.failOn
	}
	m, err := matrix.Load(opt)
	if err != nil {
		return nil, wordLoadError(err)
	}
	if f.maxFlows < 0 {
		return nil, fmt.Errorf("--max-flows must not be negative")
	}
	if f.maxFlows > 0 {
		m.Limits.MaxFlows = f.maxFlows
	}
	return m, nil
}

type outputFlags struct {
	format            string
	formatSet         bool // -f given: the report goes to stdout beside any -o files
	outputs           []string
	flows             bool
	suggest           string
	suggestUnexpected bool
}

func (o *outputFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&o.format, "format", "f", "text", "report format: "+strings.Join(report.KnownFormats(), "|"))
	fl.StringArrayVarP(&o.outputs, "output", "o", nil, "write the report to FILE (repeatable; format from the extension)")
	fl.BoolVar(&o.flows, "flows", false, "include every flow with its verdict (JSON), or one flow per line (jsonl)")
	fl.StringVar(&o.suggest, "suggest", "", "propose firewall rules for blocked attempts: powershell (default), netsh, nftables, iptables")
	fl.Lookup("suggest").NoOptDefVal = firewall.PowerShell
	fl.BoolVar(&o.suggestUnexpected, "suggest-unexpected", false, "with --suggest, also write rules that would allow the unexpected traffic")
}

// takeSuggestSyntax lets "--suggest powershell" work as well as
// "--suggest=powershell": with an optional value, pflag leaves the syntax
// among the arguments.
func (o *outputFlags) takeSuggestSyntax(cmd *cobra.Command, args []string) []string {
	if !cmd.Flags().Changed("suggest") || len(args) == 0 || !contains(firewall.Syntaxes(), args[0]) {
		return args
	}
	if _, err := os.Stat(args[0]); err == nil {
		return args // a capture file that happens to be called "netsh"
	}
	o.suggest = args[0]
	return args[1:]
}

// check validates the output flags and, before any input is read, that
// every -o file can be written where the user asked: a run over a large
// capture must not end in a path error.
func (o *outputFlags) check(cmd *cobra.Command) error {
	o.formatSet = cmd.Flags().Changed("format")
	if !contains(report.KnownFormats(), o.format) {
		return fmt.Errorf("--format %q: known formats are %s", o.format, strings.Join(report.KnownFormats(), ", "))
	}
	if o.suggest != "" && !contains(firewall.Syntaxes(), o.suggest) {
		return fmt.Errorf("--suggest %q: use %s", o.suggest, strings.Join(firewall.Syntaxes(), ", "))
	}
	if o.suggestUnexpected && o.suggest == "" {
		o.suggest = firewall.PowerShell
	}
	if o.format == "flows-csv" {
		o.flows = true // a flow list without the flows would be a header alone
	}
	for _, out := range o.outputs {
		if f, _ := report.FormatFromPath(out); f == "flows-csv" {
			o.flows = true
		}
		if out == "-" {
			continue
		}
		if _, ok := report.FormatFromPath(out); !ok {
			return fmt.Errorf("--output %q: cannot tell the format from the extension (use .json, .jsonl, .html, .xml, .csv, .flows.csv, .md or .txt)", out)
		}
		if err := writable(out); err != nil {
			return fmt.Errorf("--output %s: %w", out, err)
		}
	}
	return nil
}

// write renders the report: to stdout when no -o names a file (or when
// -f or -o - asks for it beside them); to each file through a temporary
// name and a rename, so an interrupted run never leaves half a report.
// With files, stderr gets the summary line and "wrote PATH" for each, so
// -o never silences a run.
func (o *outputFlags) write(stdout, stderr io.Writer, r *report.Report) error {
	if len(o.outputs) == 0 {
		return writeReport(stdout, r, o.format)
	}
	toStdout := o.formatSet
	var wrote []string
	for _, out := range o.outputs {
		if out == "-" {
			toStdout = true
			continue
		}
		format, _ := report.FormatFromPath(out)
		if err := writeFileAtomic(out, func(w io.Writer) error { return writeReport(w, r, format) }); err != nil {
			return fmt.Errorf("--output %s: %w", out, cause(err))
		}
		wrote = append(wrote, out)
	}
	if toStdout {
		if err := writeReport(stdout, r, o.format); err != nil {
			return err
		}
	}
	fmt.Fprintln(stderr, report.SummaryLine(r))
	for _, w := range wrote {
		fmt.Fprintln(stderr, "wrote", w)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func newAnalyzeCmd(stdout, stderr io.Writer, environ []string) *cobra.Command {
	var mf matrixFlags
	var of outputFlags
	var jobs int
	var quiet bool
	var baseline string
	cmd := &cobra.Command{
		Use:   "analyze [flags] FILE|DIR...",
		Short: "Judge pcap/pcapng captures (plain or .gz) against the matrix",
		Long: `analyze reads capture files (several merge in time order) and judges every
flow and rule against the matrix.` + exitHelp,
		Example: `  flowverify analyze --server auto capture.pcapng
  flowverify analyze -s 192.0.2.10 --role domain-controllers=192.0.2.20,192.0.2.21 -o report.json day1.pcap.gz day2.pcap.gz`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			args = of.takeSuggestSyntax(cmd, args)
			if len(args) == 0 {
				return &exitError{exitUsage, fmt.Errorf("no capture file given")}
			}
			if err := of.check(cmd); err != nil {
				return &exitError{exitUsage, err}
			}
			m, err := mf.load(environ)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			var r *report.Report
			files, ferr := expandInputs(args)
			switch {
			case ferr != nil:
				return &exitError{exitUsage, ferr}
			case jobs < 0:
				return &exitError{exitUsage, fmt.Errorf("--jobs %d: want 0 (automatic) or a positive number", jobs)}
			default:
				// Every input is one stream in time order, whatever -j says:
				// a flow that spans rotated files is whole only there, and
				// the server and the learned endpoints are decided over all
				// inputs. -j chooses only whether reading and decoding run
				// on a core beside the flow table; the report is the same.
				pipeline := jobs > 1 || jobs == 0 && runtime.GOMAXPROCS(0) > 1
				r, err = analyzeFiles(m, files, of.flows, stderr, !quiet, pipeline)
			}
			if err != nil {
				return err
			}
			// The flow list may be spilled to a temporary file (--flows).
			defer r.Flows.Close()
			if of.suggest != "" {
				if r.Suggestions, err = firewall.Suggest(m, r, of.suggestRequest()); err != nil {
					return err
				}
			}
			if err := of.write(stdout, stderr, r); err != nil {
				return &exitError{exitUsage, err}
			}
			if baseline != "" {
				base, err := report.Read(baseline)
				if err != nil {
					return &exitError{exitUsage, err}
				}
				fmt.Fprintln(stderr, "Compared with the baseline", baseline+":")
				if err := diffReports(stderr, base, r, "text", false); err != nil {
					return err
				}
				if r.Summary.Damaged {
					return exitFor(m, r)
				}
				return nil
			}
			return exitFor(m, r)
		},
	}
	mf.register(cmd, "the server's addresses or host name, or auto (default) to infer them from the traffic")
	of.register(cmd)
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "cores: 1 reads and judges on one core; 0 (automatic) or N>1 reads and decodes beside the judging when there is a second core; the report is the same whatever -j says")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	cmd.Flags().StringVar(&baseline, "baseline", "", "compare with a known-good JSON report: exit 1 on a regression instead of on findings")
	return cmd
}

// exitFor maps a report to the exit status (matrix.ExitStatus): 3 for
// damaged input (the report is still written), 2 with no server, 1 for
// findings named by --fail-on, 4 when the evidence does not show
// conformance (a rule never answered, a monitor short of its window),
// else 0.
func exitFor(m *matrix.Matrix, r *report.Report) error {
	switch code := matrix.ExitStatus(r.Facts(), m.FailsOn, r.Summary.Damaged); code {
	case matrix.ExitDamaged:
		return &exitError{exitDamaged, newDamagedError(r)}
	case matrix.ExitNotJudged:
		msg := "no server could be inferred (" + strings.Join(r.Server.Evidence, "; ") + ")"
		if len(r.Server.Candidates) > 0 {
			msg += "; the strongest candidate is " + r.Server.Candidates[0].Address + ": try --server " + r.Server.Candidates[0].Address
		} else {
			msg += "; 'flowverify hosts FILE' lists every host seen; pass --server ADDR"
		}
		return &exitError{exitUsage, &notJudgedError{msg, r.Server.Err}}
	case matrix.ExitConforms:
		return nil
	case matrix.ExitInconclusive:
		return &exitError{exitInconclusive, nil}
	default:
		return &exitError{code, nil}
	}
}

// expandInputs turns directories into the capture files inside them.
func expandInputs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range entries {
			n := strings.ToLower(e.Name())
			if e.Type().IsRegular() && captureName(n) {
				names = append(names, filepath.Join(a, e.Name()))
			}
		}
		sort.Strings(names)
		if len(names) == 0 {
			return nil, fmt.Errorf("%s: no capture files (*.pcap, *.pcapng, *.cap, compressed .gz, .zst or .xz, or .zip archives) in the directory", a)
		}
		out = append(out, names...)
	}
	return out, nil
}

// openInputs opens every file (zip archives as their members). The ones
// that cannot be read are listed as damaged at offset 0, members that are
// no capture as skipped; a single unreadable file is an error.
func openInputs(files []string, stderr io.Writer) ([]*capture.FileSource, []*capture.InputStats, error) {
	var srcs []*capture.FileSource
	var failed []*capture.InputStats
	unreadable := func(name string, err error) {
		fmt.Fprintln(stderr, "flowverify:", err)
		failed = append(failed, &capture.InputStats{Name: name, Damage: &capture.DamageError{File: name, Err: err}})
	}
	var seen []os.FileInfo
	var seenName []string
	for _, name := range files {
		if st, err := os.Stat(name); err == nil {
			dup := ""
			for i, o := range seen {
				if os.SameFile(o, st) {
					dup = seenName[i]
				}
			}
			if dup != "" {
				// Given twice (a glob and a name, a link): counted twice
				// it would double every flow without a word.
				fmt.Fprintf(stderr, "flowverify: %s: the same file as %s, read once\n", name, dup)
				failed = append(failed, &capture.InputStats{Name: name, Warnings: []string{"the same file as " + dup + ": read once"}})
				continue
			}
			seen, seenName = append(seen, st), append(seenName, name)
		}
		ins, err := capture.OpenInputs(name)
		if err != nil {
			if len(files) == 1 {
				return nil, nil, &exitError{exitUsage, err}
			}
			unreadable(name, err)
			continue
		}
		for _, in := range ins {
			if in.NotCapture {
				fmt.Fprintf(stderr, "flowverify: %s: not a capture, skipped\n", in.Name)
				failed = append(failed, &capture.InputStats{Name: in.Name, Warnings: []string{"not a pcap or pcapng capture: skipped"}})
				continue
			}
			if in.Err != nil {
				unreadable(in.Name, in.Err)
				continue
			}
			if len(files) > capture.ParkAbove {
				in.Source.Park() // closed until the merge reaches it
			}
			srcs = append(srcs, in.Source)
		}
	}
	if len(srcs) == 0 {
		return nil, nil, &exitError{exitUsage, errors.New("no input could be read")}
	}
	return srcs, failed, nil
}

// captureName says whether a directory entry looks like a capture: in a
// directory only names decide (a given file is judged by its content).
func captureName(n string) bool {
	for _, comp := range []string{"", ".gz", ".zst", ".xz"} {
		for _, ext := range []string{".pcap", ".pcapng", ".cap"} {
			if strings.HasSuffix(n, ext+comp) {
				return true
			}
		}
	}
	return strings.HasSuffix(n, ".zip")
}

// analyzeFiles runs the offline pipeline: read, decode, flows, judge.
func analyzeFiles(m *matrix.Matrix, files []string, withFlows bool, stderr io.Writer, progress, pipeline bool) (*report.Report, error) {
	srcs, failed, err := openInputs(files, stderr)
	if err != nil {
		return nil, err
	}
	var prog classifier.Progress
	if progress {
		prog = progressBar(stderr, srcs)
	}
	r, err := classifier.Analyze(m, srcs, failed, classifier.Options{WithFlows: withFlows, Version: version, Progress: prog, Pipeline: pipeline})
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
