package classifier

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/matrix"
)

// TestNoServerErrorFromTheTraffic: a server inference that fails on real
// captures is a *NoServerError with the tied addresses, found by
// errors.As however it is wrapped, and the report's reason is its own,
// with no flag in it.
func TestNoServerErrorFromTheTraffic(t *testing.T) {
	m, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		files  []string
		tied   []netip.Addr
		kinds  int // the weight each, for a tie of weight
		reason string
	}{
		{"no evidence", []string{"../testdata/pcaps/arkime_dns_udp.pcap"}, nil, 0,
			"no address receives udp/10000, tcp/10001 or tcp/8080, and none opens tcp/88, 135, 389 or 9389"},
		{"two sites' servers", []string{"../testdata/scenarios/all-good.pcap", "../testdata/real/lab-site.pcap"},
			[]netip.Addr{netip.MustParseAddr("10.20.0.10"), netip.MustParseAddr("10.99.0.10")}, 0,
			"10.20.0.10, 10.99.0.10 each both serve and open the matrix's traffic, as only a server does: two servers, no strongest candidate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var srcs []*capture.FileSource
			for _, f := range c.files {
				src, err := capture.OpenFile(f)
				if err != nil {
					t.Fatal(err)
				}
				srcs = append(srcs, src)
			}
			r, a, err := analyze(m, srcs, nil, Options{Version: "test"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = a.infer.decide(a.macs())
			ns, ok := errors.AsType[*NoServerError](fmt.Errorf("wrapped: %w", err))
			if !ok {
				t.Fatalf("%v: not a *NoServerError", err)
			}
			if !slices.Equal(ns.Tied, c.tied) || ns.weight != c.kinds {
				t.Errorf("tied %v (%d kinds), want %v (%d)", ns.Tied, ns.weight, c.tied, c.kinds)
			}
			if ns.reason() != c.reason || err.Error() != "cannot infer the server: "+c.reason {
				t.Errorf("reason %q, error %q; want %q", ns.reason(), err, c.reason)
			}
			if !r.NoServer() || !slices.Equal(r.Server.Evidence, []string{c.reason}) {
				t.Errorf("report server %s, evidence %q; want none, %q", r.Server.Source, r.Server.Evidence, c.reason)
			}
		})
	}
}
