package main

import (
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/flowverify/flowverify/capture/live"
	"github.com/flowverify/flowverify/internal/words"
	"github.com/flowverify/flowverify/report"
)

// What a monitor checks and opens around its run: the devices, the
// server's addresses, the events file and the report snapshots.

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
		if !contains(names, d.Name) {
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

// snapshot rewrites every -o report file when --snapshot-interval has
// passed, so a run of days never loses its report to a failure at the
// end. A failed write is an event and a line, never the end of the run.
func (run *monitorRun) snapshot(r *report.Report, stderr io.Writer) {
	if run.snapEvery <= 0 || len(run.outputs) == 0 || time.Since(run.lastSnap) < run.snapEvery {
		return
	}
	run.lastSnap = time.Now()
	for _, out := range run.outputs {
		if out == "-" {
			continue
		}
		format, _ := report.FormatFromPath(out)
		if err := writeFileAtomic(out, func(w io.Writer) error { return writeReport(w, r, format) }); err != nil {
			msg := fmt.Sprintf("snapshot of %s failed: %v", out, cause(err))
			fmt.Fprintln(stderr, "flowverify:", msg)
			run.events.Write(report.Event{Time: time.Now().UTC().Format(time.RFC3339Nano), Type: report.EventSnapshotFailed, Reason: msg})
		}
	}
}

// reopenEvents opens --events again by name and sends later events there:
// after logrotate moved the file, they go to a new one.
func (run *monitorRun) reopenEvents(path string, stderr io.Writer) {
	if run.eventFile == nil {
		return
	}
	if err := run.eventFile.Reopen(); err != nil {
		fmt.Fprintln(stderr, "flowverify: reopening --events, keeping the old file:", err)
		return
	}
	fmt.Fprintln(stderr, "flowverify: --events reopened:", path)
}

// metricsAddr binds a bare port to loopback: the metrics stay local
// unless the operator names another address.
func metricsAddr(s string) string {
	if !strings.Contains(s, ":") {
		return "127.0.0.1:" + s
	}
	if strings.HasPrefix(s, ":") {
		return "127.0.0.1" + s
	}
	return s
}
