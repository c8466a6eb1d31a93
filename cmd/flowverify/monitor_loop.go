package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/live"
	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/firewall"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/classifier/publish"
	"github.com/flowverify/flowverify/report"
)

// How a monitor runs once it is set up: batches into the flow table, an
// evaluation and a summary every interval, snapshots of the -o files, a
// reload on SIGHUP, and on SIGINT, SIGTERM or --duration the final report.

// run opens the monitor, watches until it is stopped and writes the final
// report.
func (c *monitorCmd) run(parent context.Context, m *matrix.Matrix) error {
	if parent == nil {
		parent = context.Background()
	}
	run, err := c.open(m)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	defer run.close()
	if c.f.user != "" {
		// Everything that needs root is open: capture handles, the event
		// file, the metrics socket, the pcap directory. Reports written at
		// the end need a directory this user may write.
		if err := dropPrivileges(c.f.user); err != nil {
			return &exitError{exitUsage, err}
		}
		fmt.Fprintf(c.stderr, "flowverify: running as %s\n", c.f.user)
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	if c.f.duration > 0 {
		ctx, cancel = context.WithTimeout(ctx, c.f.duration)
		defer cancel()
	}
	run.watch(ctx, cancel)
	return run.finish()
}

// watch runs the live loop until ctx ends or a signal stops it.
func (run *monitorRun) watch(ctx context.Context, cancel func()) {
	// Until one full window has been watched the answer is observing:
	// the first line says so rather than leave it to the first summary.
	fmt.Fprintf(run.stderr, "flowverify: monitoring %s (server %s, window %s; observing until one full window has passed); events to %s\n", strings.Join(run.live.Names(), ", "),
		joinAddrs(run.servers), run.f.window, orStdout(run.f.events))
	run.live.Start(ctx)
	run.lastSnap = time.Now()
	run.ev = &liveEvaluator{mo: run.mo, live: run.live, metrics: run.metrics, events: run.events, withFlows: run.of.flows, sinks: run.sinks}
	control := make(chan func())
	stopSignals := handleSignals(ctx, cancel, control, run.stderr, run.reload)
	defer stopSignals()
	run.mo.RunLive(run.live, classifier.LiveTimes{Events: 2 * time.Second, Summary: run.f.interval}, control, run.hooks())
	if err := run.live.Err(); err != nil {
		fmt.Fprintln(run.stderr, "flowverify:", err)
	}
}

// reload is SIGHUP, run on the live loop: --events is opened again and
// the matrix loaded again; every flow is kept.
func (run *monitorRun) reload() {
	run.reopenEvents()
	nm, err := run.mf.load(run.environ)
	if err != nil {
		fmt.Fprintln(run.stderr, "flowverify: reload refused, keeping the old matrix:", err)
		return
	}
	run.mo.SetMatrix(nm)
	run.m = nm
	run.events.Write(report.Event{Time: time.Now().UTC().Format(time.RFC3339Nano), Type: report.EventReload, Reason: "matrix " + nm.Name + " (profile " + nm.Profile + ")"})
	fmt.Fprintln(run.stderr, "flowverify: matrix reloaded; flows kept")
}

// reopenEvents opens --events again by name and sends later events there:
// after logrotate moved the file, they go to a new one.
func (run *monitorRun) reopenEvents() {
	if run.eventFile == nil {
		return
	}
	if err := run.eventFile.Reopen(); err != nil {
		fmt.Fprintln(run.stderr, "flowverify: reopening --events, keeping the old file:", err)
		return
	}
	fmt.Fprintln(run.stderr, "flowverify: --events reopened:", run.f.events)
}

// hooks connects the live loop to the evaluator, the summary line and
// --write-pcap.
func (run *monitorRun) hooks() classifier.LiveHooks {
	ev := run.ev
	h := classifier.LiveHooks{Events: ev.emit, Stats: ev.stats, Summary: func() {
		r, err := ev.evaluate(false)
		if err != nil {
			fmt.Fprintln(run.stderr, "flowverify:", err)
			return
		}
		run.events.Write(classifier.SummaryEvent(r))
		printSummary(run.stderr, r)
		run.snapshot(r)
		if run.page != nil {
			run.page.setReport(r)
		}
	}}
	if run.rot != nil {
		h.Record = run.rot.Write
		h.RecordFailed = func(err error) {
			fmt.Fprintln(run.stderr, "flowverify: --write-pcap:", err)
			run.rot.Close()
		}
	}
	return h
}

// snapshot rewrites every -o report file when --snapshot-interval has
// passed, so a run of days never loses its report to a failure at the
// end. A failed write is an event and a line, never the end of the run.
func (run *monitorRun) snapshot(r *report.Report) {
	every, outputs := run.f.snapshot, run.of.outputs
	if every <= 0 || len(outputs) == 0 || time.Since(run.lastSnap) < every {
		return
	}
	run.lastSnap = time.Now()
	for _, out := range outputs {
		if out == "-" {
			continue
		}
		format, _ := report.FormatFromPath(out)
		if err := writeFileAtomic(out, func(w io.Writer) error { return writeReport(w, r, format) }); err != nil {
			msg := fmt.Sprintf("snapshot of %s failed: %v", out, cause(err))
			fmt.Fprintln(run.stderr, "flowverify:", msg)
			run.events.Write(report.Event{Time: time.Now().UTC().Format(time.RFC3339Nano), Type: report.EventSnapshotFailed, Reason: msg})
		}
	}
}

// finish judges the last window and writes the final report in every
// requested format.
func (run *monitorRun) finish() error {
	ev := run.ev
	ev.emit(ev.mo.Events(ev.live.Stats()))
	r, err := ev.evaluate(true)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	for _, a := range run.sinks {
		a.close() // the last findings are delivered, or counted as not
		if w := a.summary(); w != "" {
			r.Warnings = append(r.Warnings, w)
		}
	}
	if run.of.suggest != "" {
		if r.Suggestions, err = firewall.Suggest(run.m, r, run.of.suggestRequest()); err != nil {
			return err
		}
	}
	out := run.stdout
	if run.f.events == "" && len(run.of.outputs) == 0 {
		// The event stream owns stdout; the final text report goes to stderr.
		out = run.stderr
	}
	if err := run.of.write(out, run.stderr, r); err != nil {
		return &exitError{exitUsage, err}
	}
	return exitFor(run.m, r)
}

// handleSignals stops the monitor on SIGINT and SIGTERM and runs reload on
// the live loop (through control) on SIGHUP, until ctx ends.
func handleSignals(ctx context.Context, cancel func(), control chan<- func(), stderr io.Writer, reload func()) (stop func()) {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case s := <-sigs:
				if s == syscall.SIGHUP {
					select {
					case control <- reload:
					case <-ctx.Done():
						return
					}
					continue
				}
				fmt.Fprintf(stderr, "flowverify: %s: stopping\n", s)
				cancel()
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}

// liveEvaluator judges the monitor's window into a report with the
// interfaces' counters, and keeps the metrics and the event stream fed.
type liveEvaluator struct {
	mo        *classifier.Monitor
	live      *live.Capture
	metrics   *publish.Metrics
	events    *publish.EventWriter
	withFlows bool
	sinks     []*alertSink
}

func (ev *liveEvaluator) emit(evs []report.Event) {
	for _, e := range evs {
		ev.events.Write(e)
	}
}

// stats feeds the interfaces' counters and the table's size to the metrics.
func (ev *liveEvaluator) stats(stats []capture.IfaceStats) {
	if ev.metrics == nil {
		return
	}
	for _, s := range stats {
		ev.metrics.Interface(s.Name, s.Packets, s.Bytes, s.Dropped+s.IfDropped)
	}
	ev.metrics.Table(ev.mo.Table().Len(), ev.mo.Table().C.Evicted)
}

func (ev *liveEvaluator) evaluate(final bool) (*report.Report, error) {
	drops := uint64(0)
	for _, s := range ev.live.Stats() {
		drops += s.Dropped + s.IfDropped
		if ev.metrics != nil {
			ev.metrics.Interface(s.Name, s.Packets, s.Bytes, s.Dropped+s.IfDropped)
		}
	}
	r, evs, err := ev.mo.Report(version, final && ev.withFlows, drops)
	if err != nil {
		return nil, err
	}
	wordReport(r)
	ev.emit(evs)
	if ev.metrics != nil {
		ev.metrics.Evaluation(r, float64(time.Now().Unix()))
		ev.metrics.Table(ev.mo.Table().Len(), ev.mo.Table().C.Evicted)
	}
	return r, nil
}

// printSummary is the line on stderr every interval. It leads with the
// summary verdict, so that a run shorter than its window reads
// "observing (5s of 20s observed)", never as a pass.
func printSummary(w io.Writer, r *report.Report) {
	var parts []string
	for _, rr := range r.Rules {
		if rr.Status != matrix.StatusOK && rr.Status != matrix.StatusNotSeen {
			parts = append(parts, rr.ID+"="+string(rr.Status))
		}
	}
	rules := strings.Join(parts, " ")
	switch {
	case rules != "":
	case r.Summary.Verdict == matrix.OutcomeConforms:
		rules = "all rules ok or optional"
	case r.Summary.Verdict == matrix.OutcomeObserving:
		rules = "no finding yet; a rule never tried is missing only after a full window"
	default:
		rules = "no rule failing"
	}
	verdict := string(r.Summary.Verdict)
	if p := r.Progress(); p != "" {
		verdict += " (" + p + ")"
	}
	fmt.Fprintf(w, "flowverify: %s window %s..%s: %s: %s; %d unexpected groups; %d flows, %d dropped\n",
		time.Now().Format(time.TimeOnly), r.Window.Start, r.Window.End, verdict, rules, len(r.Unexpected), r.Summary.Flows, r.Summary.Dropped)
}

func joinAddrs(a []netip.Addr) string {
	var s []string
	for _, x := range a {
		s = append(s, x.String())
	}
	return strings.Join(s, ", ")
}

func orStdout(s string) string {
	if s == "" {
		return "stdout"
	}
	return s
}
