package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
)

type monitorFlags struct {
	ifaces        []string
	bpf           string
	snaplen       int
	promisc       bool
	bufferSize    int
	immediate     bool
	window        time.Duration
	interval      time.Duration
	events        string
	eventLog      bool
	eventsMaxSize int64
	eventsKeep    int
	metricsListen string
	duration      time.Duration
	writePcap     string
	pcapSize      int64
	pcapCount     int
	user          string
	snapshot      time.Duration
	http          string
	webhook       string
	syslog        string
}

func newMonitorCmd(stdout, stderr io.Writer, environ []string) *cobra.Command {
	var mf matrixFlags
	var of outputFlags
	var f monitorFlags
	cmd := &cobra.Command{
		Use:   "monitor -i IFACE [-i IFACE2 ...] [flags]",
		Short: "Watch interfaces live: rolling verdicts, an event stream, Prometheus metrics",
		Long: `monitor captures from one or more interfaces (for example the NIC and the
loopback, where a local PostgreSQL talks) into one flow table and judges the
rules over a sliding window. Findings stream as JSON lines (stdout or
--events FILE) the moment they happen: a blocked flow, unexpected traffic
seen for the first time, a rule that became missing or recovered, kernel
drops. A summary goes to stderr every --interval. SIGINT/SIGTERM stop and
write the final report in every requested format; SIGHUP reloads the matrix
and keeps every flow. Until one full --window has been observed the verdict
is "observing", never "conforms"; on a quiet link the window moves on the
wall clock, so a rule with no attempt becomes missing.` + exitHelp,
		Example: `  sudo flowverify monitor -i eth0 -i lo --window 15m -o /var/tmp/tm-report.json
  flowverify monitor -i eth0 --metrics-listen 9464 --events /var/log/flowverify.jsonl --duration 24h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(f.ifaces) == 0 {
				return &exitError{exitUsage, errors.New("name at least one interface with -i (see 'flowverify interfaces')")}
			}
			if err := of.check(cmd); err != nil {
				return &exitError{exitUsage, err}
			}
			m, err := mf.load(environ)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			return runMonitor(cmd.Context(), stdout, stderr, environ, &mf, &of, &f, m)
		},
	}
	mf.register(cmd, "the server's addresses or host name (default: the monitored interfaces' own addresses), or auto to infer them")
	of.register(cmd)
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.ifaces, "interface", "i", nil, "capture interface (repeatable)")
	fl.StringVar(&f.bpf, "bpf", "", "capture filter (default none: unexpected traffic must be seen)")
	fl.IntVar(&f.snaplen, "snaplen", live.DefaultSnaplen, "bytes kept per packet (headers plus the recognition bound)")
	fl.BoolVar(&f.promisc, "promisc", false, "promiscuous mode (for a mirror port)")
	fl.IntVar(&f.bufferSize, "buffer-size", 16<<20, "kernel capture buffer in bytes")
	fl.BoolVar(&f.immediate, "immediate", true, "deliver packets as they arrive")
	fl.DurationVar(&f.window, "window", 15*time.Minute, "rules are judged over this much recent traffic; missing only after a full window")
	fl.DurationVar(&f.interval, "interval", time.Minute, "how often to evaluate and print a summary")
	fl.StringVar(&f.webhook, "webhook", "", "POST each finding event as JSON to URL (queued, retried, never holding up the capture)")
	fl.StringVar(&f.syslog, "syslog", "", "send each finding event as an RFC 5424 message to udp://HOST:PORT or tcp://HOST:PORT")
	fl.StringVar(&f.http, "http", "", "serve a live page on [HOST:]PORT (a bare port binds to 127.0.0.1): the report, /report.json, /events, /metrics")
	fl.DurationVar(&f.snapshot, "snapshot-interval", 5*time.Minute, "with -o, rewrite the report files this often during the run (0: only at the end)")
	fl.StringVar(&f.events, "events", "", "write the event stream (JSON lines) to FILE instead of stdout")
	fl.Int64Var(&f.eventsMaxSize, "events-max-size", defaultEventsMaxSize, "with --events, rotate the file at this many bytes into FILE.1, FILE.2, ... (0: never; SIGHUP reopens it for logrotate)")
	fl.IntVar(&f.eventsKeep, "events-keep", 5, "with --events-max-size, keep this many rotated files")
	fl.StringVar(&f.metricsListen, "metrics-listen", "", "serve Prometheus metrics on [HOST:]PORT (a bare port binds to 127.0.0.1)")
	fl.DurationVar(&f.duration, "duration", 0, "stop by itself after this long (0: until SIGINT/SIGTERM)")
	fl.StringVar(&f.writePcap, "write-pcap", "", "record what is captured into rotating pcapng files in DIR")
	fl.Int64Var(&f.pcapSize, "write-pcap-size", 100<<20, "rotate pcap files at this many bytes")
	fl.IntVar(&f.pcapCount, "write-pcap-count", 10, "keep this many pcap files")
	fl.BoolVar(&f.eventLog, "windows-event-log", false, "also send findings to the Windows Event Log (the service sets it)")
	fl.MarkHidden("windows-event-log")
	fl.StringVar(&f.user, "user", "", "drop root for this user once the capture handles are open (Linux; like tcpdump -Z)")
	return cmd
}

func runMonitor(parent context.Context, stdout, stderr io.Writer, environ []string, mf *matrixFlags, of *outputFlags, f *monitorFlags, m *matrix.Matrix) error {
	if parent == nil {
		parent = context.Background()
	}
	run, err := openMonitor(stdout, stderr, f, m)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	defer run.close()
	if f.user != "" {
		// Everything that needs root is open: capture handles, the event
		// file, the metrics socket, the pcap directory. Reports written at
		// the end need a directory this user may write.
		if err := dropPrivileges(f.user); err != nil {
			return &exitError{exitUsage, err}
		}
		fmt.Fprintf(stderr, "flowverify: running as %s\n", f.user)
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	if f.duration > 0 {
		ctx, cancel = context.WithTimeout(ctx, f.duration)
		defer cancel()
	}
	// Until one full window has been watched the answer is observing:
	// the first line says so rather than leave it to the first summary.
	fmt.Fprintf(stderr, "flowverify: monitoring %s (server %s, window %s; observing until one full window has passed); events to %s\n", strings.Join(run.live.Names(), ", "),
		joinAddrs(run.servers), f.window, orStdout(f.events))
	run.live.Start(ctx)

	run.outputs, run.snapEvery, run.lastSnap = of.outputs, f.snapshot, time.Now()
	mo, events := run.mo, run.events
	ev := &liveEvaluator{mo: mo, live: run.live, metrics: run.metrics, events: events, withFlows: of.flows, sinks: run.sinks}
	control := make(chan func())
	stopSignals := handleSignals(ctx, cancel, control, stderr, func() {
		run.reopenEvents(f.events, stderr)
		nm, err := mf.load(environ)
		if err != nil {
			fmt.Fprintln(stderr, "flowverify: reload refused, keeping the old matrix:", err)
			return
		}
		mo.SetMatrix(nm)
		m = nm
		events.Write(report.Event{Time: time.Now().UTC().Format(time.RFC3339Nano), Type: report.EventReload, Reason: "matrix " + nm.Name + " (profile " + nm.Profile + ")"})
		fmt.Fprintln(stderr, "flowverify: matrix reloaded; flows kept")
	})
	defer stopSignals()
	mo.RunLive(run.live, classifier.LiveTimes{Events: 2 * time.Second, Summary: f.interval}, control, run.hooks(ev, stderr))
	if err := run.live.Err(); err != nil {
		fmt.Fprintln(stderr, "flowverify:", err)
	}
	return finishMonitor(stdout, stderr, of, f, m, ev)
}

// monitorRun is what a monitor holds open while it runs.
type monitorRun struct {
	live    *live.Capture
	servers []netip.Addr
	events  *publish.EventWriter
	rot     *capture.Rotator
	mo      *classifier.Monitor
	metrics *publish.Metrics
	closers []func()
	// eventFile is --events; SIGHUP reopens it (logrotate).
	eventFile *eventsFile
	page      *livePage    // --http
	sinks     []*alertSink // --webhook, --syslog
	// outputs are the -o files snapshots rewrite, every snapEvery.
	outputs   []string
	snapEvery time.Duration
	lastSnap  time.Time
}

// openMonitor opens everything that may need root: the capture handles,
// the event file, the pcap directory and the metrics socket.
func openMonitor(stdout, stderr io.Writer, f *monitorFlags, m *matrix.Matrix) (*monitorRun, error) {
	if err := checkDevices(stderr, f.ifaces); err != nil {
		return nil, err
	}
	run := &monitorRun{servers: m.Server}
	source := m.ServerFrom
	if m.ServerAuto {
		s, err := serverFromInterfaces(f.ifaces)
		if err != nil {
			return nil, err
		}
		run.servers, source = s, "interfaces"
	}
	lc, err := live.Open(f.ifaces, live.Options{Snaplen: f.snaplen, Promisc: f.promisc, BufferSize: f.bufferSize,
		BPF: f.bpf, Immediate: f.immediate})
	if err != nil {
		return nil, err
	}
	run.live = lc
	run.closers = append(run.closers, lc.Close)
	evOut := io.Writer(stdout)
	if f.events != "" {
		ef, err := openEventsFile(f.events, f.eventsMaxSize, f.eventsKeep)
		if err != nil {
			run.close()
			return nil, err
		}
		run.eventFile, evOut = ef, ef
		run.closers = append(run.closers, func() { ef.Close() })
	}
	run.events = publish.NewEventWriter(evOut)
	if f.eventLog {
		add, closeLog, err := openEventLog()
		if err != nil {
			run.close()
			return nil, err
		}
		run.events.Tap(add)
		run.closers = append(run.closers, closeLog)
	}
	if run.rot, err = openRotator(f, lc); err != nil {
		run.close()
		return nil, err
	}
	if run.rot != nil {
		run.closers = append(run.closers, func() { run.rot.Close() })
	}
	// The wall clock moves the window and the flow timers on when the link
	// is quiet (a replay has none and keeps packet time).
	run.mo = classifier.NewMonitor(m, classifier.MonitorConfig{Window: f.window, Servers: run.servers, ServerSource: source, Inputs: liveInputs(lc),
		Clock: time.Now})
	if f.metricsListen != "" {
		var stop func()
		if run.metrics, stop, err = serveMetrics(stderr, f.metricsListen); err != nil {
			run.close()
			return nil, err
		}
		run.closers = append(run.closers, stop)
	}
	if f.http != "" && run.metrics == nil {
		run.metrics = publish.NewMetrics() // the live page serves them
	}
	if err := run.openAlerts(f); err != nil {
		run.close()
		return nil, err
	}
	if f.http != "" {
		if run.metrics == nil {
			run.metrics = publish.NewMetrics()
		}
		run.page = &livePage{refresh: f.interval, window: f.window, metrics: run.metrics}
		stop, err := serveLivePage(stderr, f.http, run.page)
		if err != nil {
			run.close()
			return nil, err
		}
		run.closers = append(run.closers, stop)
		run.events.Tap(run.page.addEvent)
	}
	return run, nil
}

// close releases what openMonitor opened, last first.
func (run *monitorRun) close() {
	for i := len(run.closers) - 1; i >= 0; i-- {
		run.closers[i]()
	}
	run.closers = nil
}

// hooks connects the live loop to the evaluator, the summary line and
// --write-pcap.
func (run *monitorRun) hooks(ev *liveEvaluator, stderr io.Writer) classifier.LiveHooks {
	h := classifier.LiveHooks{Events: ev.emit, Stats: ev.stats, Summary: func() {
		r, err := ev.evaluate(false)
		if err != nil {
			fmt.Fprintln(stderr, "flowverify:", err)
			return
		}
		run.events.Write(classifier.SummaryEvent(r))
		printSummary(stderr, r)
		run.snapshot(r, stderr)
		if run.page != nil {
			run.page.setReport(r)
		}
	}}
	if run.rot != nil {
		h.Record = run.rot.Write
		h.RecordFailed = func(err error) {
			fmt.Fprintln(stderr, "flowverify: --write-pcap:", err)
			run.rot.Close()
		}
	}
	return h
}

// finishMonitor judges the last window and writes the final report in
// every requested format.
func finishMonitor(stdout, stderr io.Writer, of *outputFlags, f *monitorFlags, m *matrix.Matrix, ev *liveEvaluator) error {
	ev.emit(ev.mo.Events(ev.live.Stats()))
	r, err := ev.evaluate(true)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	for _, a := range ev.sinks {
		a.close() // the last findings are delivered, or counted as not
		if w := a.summary(); w != "" {
			r.Warnings = append(r.Warnings, w)
		}
	}
	if of.suggest != "" {
		if r.Suggestions, err = firewall.Suggest(m, r, of.suggestRequest()); err != nil {
			return err
		}
	}
	out := stdout
	if f.events == "" && len(of.outputs) == 0 {
		// The event stream owns stdout; the final text report goes to stderr.
		out = stderr
	}
	if err := of.write(out, stderr, r); err != nil {
		return &exitError{exitUsage, err}
	}
	return exitFor(m, r)
}

// openRotator starts --write-pcap's rotating files, or returns nil.
func openRotator(f *monitorFlags, lc *live.Capture) (*capture.Rotator, error) {
	if f.writePcap == "" {
		return nil, nil
	}
	var links []capture.LinkType
	for _, s := range lc.Stats() {
		links = append(links, s.Link)
	}
	return capture.NewRotator(f.writePcap, f.pcapSize, f.pcapCount, lc.Names(), links)
}

// liveInputs describes the interfaces as a report's inputs.
func liveInputs(lc *live.Capture) func() []*capture.InputStats {
	return func() []*capture.InputStats {
		var out []*capture.InputStats
		for _, s := range lc.Stats() {
			out = append(out, &capture.InputStats{Name: "interface " + s.Name, Format: "live", LinkTypes: []capture.LinkType{s.Link},
				Packets: s.Packets, Bytes: s.Bytes, Drops: s.Dropped + s.IfDropped})
		}
		return out
	}
}

// serveMetrics serves Prometheus metrics on --metrics-listen until stop.
func serveMetrics(stderr io.Writer, listen string) (*publish.Metrics, func(), error) {
	metrics := publish.NewMetrics()
	ln, err := net.Listen("tcp", metricsAddr(listen))
	if err != nil {
		return nil, nil, fmt.Errorf("--metrics-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintf(stderr, "flowverify: metrics on http://%s/metrics\n", ln.Addr())
	return metrics, func() { srv.Close() }, nil
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

func newInterfacesCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "interfaces",
		Short: "List the capture devices and their addresses",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			devs, err := live.Interfaces()
			if err != nil {
				return &exitError{exitUsage, err}
			}
			if len(devs) == 0 {
				return &exitError{exitUsage, live.PermissionHint(errNoDevices{})}
			}
			fmt.Fprintf(stdout, "%-28s %-40s %s\n", "DEVICE", "ADDRESSES", "DESCRIPTION")
			for _, d := range devs {
				desc := d.Description
				if d.Loopback {
					desc = strings.TrimSpace(desc + " (loopback)")
				}
				fmt.Fprintf(stdout, "%-28s %-40s %s\n", d.Name, strings.Join(d.Addresses, ","), desc)
			}
			return nil
		},
	}
}
