package classifier

import (
	"net/netip"
	"slices"

	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
)

// hostNamed is the site's name for address a (its hosts: map), "" when
// no host claims it: rows carry it beside the address so that a reader
// of the unexpected table or the blocked list sees "dc1", as rule rows
// already say.
func hostNamed(m *matrix.Matrix, a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	if h := m.HostOf(a); h != nil {
		return h.Name
	}
	return ""
}

// endHosts are the site's names for a flow's initiator and responder.
func endHosts(m *matrix.Matrix, f *flow.Flow) (initiator, responder string) {
	ia, _ := f.Initiator()
	ra, _ := f.Responder()
	return hostNamed(m, ia.Netip()), hostNamed(m, ra.Netip())
}

// nameScan gives a scan finding the site's names for its scanner and
// targets; TargetHosts stays nil when the site names none of them, so
// that a report of an unnamed site is written as before.
func nameScan(m *matrix.Matrix, sc *report.Scan) {
	if a, err := netip.ParseAddr(sc.Scanner); err == nil {
		sc.ScannerHost = hostNamed(m, a)
	}
	names := make([]string, len(sc.Targets))
	for i, t := range sc.Targets {
		if a, err := netip.ParseAddr(t); err == nil {
			names[i] = hostNamed(m, a)
		}
	}
	if slices.ContainsFunc(names, func(s string) bool { return s != "" }) {
		sc.TargetHosts = names
	}
}
