package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/live"
	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/classifier/publish"
	"github.com/flowverify/flowverify/internal/words"
	"github.com/spf13/cobra"
)

// How a monitor is set up: its flags, then everything it opens before the
// run (and before it drops root): the devices, the server's addresses,
// the capture, the event stream, the pcap files, the alert sinks and the
// HTTP listeners. The run itself is in monitor_loop.go, the listeners'
// handlers in monitor_serve.go.

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

// monitorCmd is what the monitor command was given: its flags, the
// environment its matrix is loaded from (again on SIGHUP) and where it
// writes.
type monitorCmd struct {
	mf      matrixFlags
	of      outputFlags
	f       monitorFlags
	stdout  io.Writer
	stderr  io.Writer
	environ []string
}

func newMonitorCmd(stdout, stderr io.Writer, environ []string) *cobra.Command {
	c := &monitorCmd{stdout: stdout, stderr: stderr, environ: environ}
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
			if len(c.f.ifaces) == 0 {
				return &exitError{exitUsage, errors.New("name at least one interface with -i (see 'flowverify interfaces')")}
			}
			if err := c.of.check(cmd); err != nil {
				return &exitError{exitUsage, err}
			}
			m, err := c.mf.load(environ)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			return c.run(cmd.Context(), m)
		},
	}
	c.mf.register(cmd, "the server's addresses or host name (default: the monitored interfaces' own addresses), or auto to infer them")
	c.of.register(cmd)
	c.f.register(cmd)
	return cmd
}

func (f *monitorFlags) register(cmd *cobra.Command) {
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
}

// monitorRun is one run of the monitor: what it was given, the matrix it
// judges by, and what it holds open until it stops.
type monitorRun struct {
	*monitorCmd
	m       *matrix.Matrix // SIGHUP replaces it
	servers []netip.Addr
	source  matrix.ServerSource
	live    *live.Capture
	events  *publish.EventWriter
	rot     *capture.Rotator
	mo      *classifier.Monitor
	metrics *publish.Metrics
	ev      *liveEvaluator
	closers []func()
	// eventFile is --events; SIGHUP reopens it (logrotate).
	eventFile *eventsFile
	page      *livePage    // --http
	sinks     []*alertSink // --webhook, --syslog
	// lastSnap is when the -o files were last rewritten (--snapshot-interval).
	lastSnap time.Time
}

// open opens everything that may need root: the capture handles, the
// event file, the pcap directory and the listening sockets. On an error
// what was opened is closed again.
func (c *monitorCmd) open(m *matrix.Matrix) (*monitorRun, error) {
	if err := checkDevices(c.stderr, c.f.ifaces); err != nil {
		return nil, err
	}
	run := &monitorRun{monitorCmd: c, m: m, servers: m.Server, source: m.ServerFrom}
	if m.ServerAuto {
		s, err := serverFromInterfaces(c.f.ifaces)
		if err != nil {
			return nil, err
		}
		run.servers, run.source = s, matrix.ServerFromInterfaces
	}
	for _, open := range []func() error{run.openCapture, run.openEvents, run.openRotator, run.openListeners} {
		if err := open(); err != nil {
			run.close()
			return nil, err
		}
	}
	return run, nil
}

// close releases what open opened, last first.
func (run *monitorRun) close() {
	for i := len(run.closers) - 1; i >= 0; i-- {
		run.closers[i]()
	}
	run.closers = nil
}

// openCapture opens the interfaces and the monitor that judges them. The
// wall clock moves the window and the flow timers on when the link is
// quiet (a replay has none and keeps packet time).
func (run *monitorRun) openCapture() error {
	f := &run.f
	lc, err := live.Open(f.ifaces, live.Options{Snaplen: f.snaplen, Promisc: f.promisc, BufferSize: f.bufferSize,
		BPF: f.bpf, Immediate: f.immediate})
	if err != nil {
		return err
	}
	run.live = lc
	run.closers = append(run.closers, lc.Close)
	run.mo = classifier.NewMonitor(run.m, classifier.MonitorConfig{Window: f.window, Servers: run.servers, ServerSource: run.source,
		Inputs: liveInputs(lc), Clock: time.Now})
	return nil
}

// openEvents starts the event stream: stdout or --events, and the
// Windows Event Log when the service asks for it.
func (run *monitorRun) openEvents() error {
	evOut := run.stdout
	if run.f.events != "" {
		ef, err := openEventsFile(run.f.events, run.f.eventsMaxSize, run.f.eventsKeep)
		if err != nil {
			return err
		}
		run.eventFile, evOut = ef, ef
		run.closers = append(run.closers, func() { ef.Close() })
	}
	run.events = publish.NewEventWriter(evOut)
	if run.f.eventLog {
		add, closeLog, err := openEventLog()
		if err != nil {
			return err
		}
		run.events.Tap(add)
		run.closers = append(run.closers, closeLog)
	}
	return nil
}

// openRotator starts --write-pcap's rotating files.
func (run *monitorRun) openRotator() error {
	if run.f.writePcap == "" {
		return nil
	}
	var links []capture.LinkType
	for _, s := range run.live.Stats() {
		links = append(links, s.Link)
	}
	rot, err := capture.NewRotator(run.f.writePcap, run.f.pcapSize, run.f.pcapCount, run.live.Names(), links)
	if err != nil {
		return err
	}
	run.rot = rot
	run.closers = append(run.closers, func() { rot.Close() })
	return nil
}

// openListeners starts --metrics-listen, the alert sinks and --http. The
// live page serves metrics too, so with --http they are kept even without
// --metrics-listen, and the sinks count into them.
func (run *monitorRun) openListeners() error {
	f := &run.f
	if f.metricsListen != "" {
		metrics, stop, err := serveMetrics(run.stderr, f.metricsListen)
		if err != nil {
			return err
		}
		run.metrics = metrics
		run.closers = append(run.closers, stop)
	}
	if f.http != "" && run.metrics == nil {
		run.metrics = publish.NewMetrics()
	}
	if err := run.openAlerts(); err != nil {
		return err
	}
	if f.http == "" {
		return nil
	}
	run.page = &livePage{refresh: f.interval, window: f.window, metrics: run.metrics}
	stop, err := serveLivePage(run.stderr, f.http, run.page)
	if err != nil {
		return err
	}
	run.closers = append(run.closers, stop)
	run.events.Tap(run.page.addEvent)
	return nil
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

// checkDevices refuses an interface that does not exist, naming the ones
// that do, before anything is opened; and says, when only loopback is
// watched, that everything seen there is local to the host.
func checkDevices(stderr io.Writer, names []string) error {
	devs, err := live.Interfaces()
	if err != nil {
		return nil // the capture's own error will say more
	}
	known := map[string]live.Interface{}
	var list []string
	for _, d := range devs {
		known[d.Name] = d
		list = append(list, d.Name)
	}
	loopback := len(names) > 0
	for _, n := range names {
		d, ok := known[n]
		if base, _, sub := strings.Cut(n, ":"); !ok && sub {
			d, ok = known[base] // nflog:5, a group of a known device
		}
		if !ok {
			return fmt.Errorf("no such capture device %q (devices: %s)%s", n, strings.Join(list, ", "), words.DidYouMean(n, list))
		}
		loopback = loopback && d.Loopback
	}
	if loopback {
		fmt.Fprintln(stderr, "flowverify: only loopback is watched: all its traffic is local to the host, judged only by rules marked local (the local PostgreSQL); add the NIC with another -i to see the site")
	}
	return nil
}

// serverFromInterfaces takes the capture interfaces' own addresses.
func serverFromInterfaces(names []string) ([]netip.Addr, error) {
	devs, err := live.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, d := range devs {
		if !slices.Contains(names, d.Name) {
			continue
		}
		for _, a := range d.Addresses {
			if ip, err := netip.ParseAddr(a); err == nil && !ip.IsLinkLocalUnicast() {
				out = append(out, ip.Unmap())
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the interfaces %s have no addresses to take as the server's; pass --server", strings.Join(names, ", "))
	}
	return out, nil
}
