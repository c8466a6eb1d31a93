package classifier

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
)

// The namedPorts shortcut must change no verdict: every capture in
// testdata (the lab capture has ports learned from the endpoint mapper)
// and a flood across all ports, judged with the shortcut and with every
// rule tried, give the same report flow for flow.
func TestNamedPortsShortcutChangesNothing(t *testing.T) {
	paths := testcaps.Paths(t)
	var flood bytes.Buffer
	if err := synth.WriteFlood(&flood, testcaps.Scaled(70000), 5); err != nil {
		t.Fatal(err)
	}
	type input struct {
		name   string
		open   func() (*capture.FileSource, error)
		server string
		tweak  func(*matrix.Matrix)
	}
	var inputs []input
	for _, p := range paths {
		inputs = append(inputs, input{filepath.Base(p), func() (*capture.FileSource, error) { return capture.OpenFile(p) }, "auto", nil})
	}
	inputs = append(inputs, input{"flood", func() (*capture.FileSource, error) {
		return capture.NewSource("flood", bytes.NewReader(flood.Bytes()), int64(flood.Len()))
	}, "10.20.0.10", nil})
	// A matrix whose RPC range leaves out the port the endpoint mapper
	// handed out: the learned port lies outside every rule's ports, so
	// only the learned-port path reaches the rule. It admits the port
	// (the port named is the row), unless strict_range holds the rule to
	// its ports.
	narrow := func(strict bool) func(m *matrix.Matrix) {
		return func(m *matrix.Matrix) {
			for i := range m.Rules {
				if m.Rules[i].Learn == matrix.LearnEPM {
					m.Rules[i].Ports = matrix.Ports{{Lo: 60000, Hi: 60010}}
					m.Rules[i].StrictRange = strict
				}
			}
		}
	}
	labSite := func() (*capture.FileSource, error) { return capture.OpenFile("../testdata/real/lab-site.pcap") }
	inputs = append(inputs, input{"lab-site, narrowed RPC range", labSite, "auto", narrow(false)},
		input{"lab-site, narrowed RPC range, strict_range", labSite, "auto", narrow(true)})
	narrowed, judged := 0, 0
	for _, in := range inputs {
		m, err := matrix.Load(matrix.LoadOptions{Server: []string{in.server}})
		if err != nil {
			t.Fatal(err)
		}
		if in.tweak != nil {
			in.tweak(m)
		}
		reports := [2][]byte{}
		for i, all := range []bool{false, true} {
			src, err := in.open()
			if err != nil {
				t.Fatal(err)
			}
			var tune func(*analyzer, *flow.Table)
			if all {
				tune = func(a *analyzer, _ *flow.Table) { a.ports = nil } // judge every flow against every rule
			}
			r, _, err := analyze(m, []*capture.FileSource{src}, nil, Options{WithFlows: true, Version: "test"}, tune)
			if err != nil {
				// Captures of other software: no Threat Manager server
				// to infer, nothing judged.
				continue
			}
			if reports[i], err = json.Marshal(r); err != nil {
				t.Fatal(err)
			}
		}
		if reports[0] == nil {
			continue
		}
		judged++
		if !bytes.Equal(reports[0], reports[1]) {
			t.Errorf("%s: the report differs with every rule tried", in.name)
		}
		if in.tweak != nil {
			narrowed++
			strict := strings.HasSuffix(in.name, "strict_range")
			learned := bytes.Contains(reports[0], []byte("learned from the endpoint mapper"))
			noted := bytes.Contains(reports[0], []byte("outside the documented range"))
			switch {
			case strict && learned:
				t.Errorf("%s: a learned port outside the rule's range was allowed", in.name)
			case !strict && (!learned || !noted):
				t.Errorf("%s: the learned port outside the rule's range was not allowed with a note (learned %v, noted %v)", in.name, learned, noted)
			}
		}
	}
	if judged < 10 {
		t.Fatalf("only %d captures judged", judged)
	}
	t.Logf("%d inputs judged", judged)
	if narrowed != 2 {
		t.Error("the narrowed-range cases were not judged")
	}
}

// serverSet compares addresses as flows carry them; the netip comparison it
// replaced (equality with a listed address, or loopback) is the reference.
func TestServerSetMatchesNetip(t *testing.T) {
	listed := []netip.Addr{netip.MustParseAddr("10.20.0.10"), netip.MustParseAddr("2001:db8::10"),
		netip.MustParseAddr("fe80::10%eth0")}
	ref := func(x netip.Addr) bool {
		for _, s := range listed {
			if s == x {
				return true
			}
		}
		return x.IsLoopback()
	}
	set := matrix.NewServerSet(listed)
	for _, s := range []string{"10.20.0.10", "10.20.0.11", "2001:db8::10", "2001:db8::11", "fe80::10",
		"127.0.0.1", "127.255.0.9", "128.0.0.1", "126.0.0.1", "::1", "::2", "::", "0.0.0.0", "::ffff:127.0.0.1",
		"::127.0.0.1", "64:ff9b::127.0.0.1", "::ffff:10.20.0.10", "::1:0:0:1"} {
		x := netip.MustParseAddr(s)
		a := capture.AddrFromNetip(x)
		if got, want := set.Has(&a), ref(a.Netip()); got != want {
			t.Errorf("%s: has = %v, want %v", s, got, want)
		}
	}
}
