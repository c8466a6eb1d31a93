package report_test

// Diff and merge on reports the analyzer writes from the captures under
// testdata, described in the ways a site is described: bare addresses,
// --host, a -c file. (An external test package: report itself must not
// depend on the classifier, its tests may.)

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
)

const testdata = "../testdata"

// sampleHosts names every host of the sample day and the scenarios
// (their IPv4 addresses), as --host would.
var sampleHosts = map[string][]string{
	"action1": {"10.20.3.70"}, "agent1": {"10.20.1.31"}, "agent2": {"10.20.1.32"}, "agent3": {"10.20.1.33"},
	"agent4": {"10.20.1.41"}, "agent5": {"10.20.1.42"}, "console1": {"10.20.2.50"}, "console2": {"10.20.2.60"},
	"db1": {"127.0.0.1"}, "dc1": {"10.20.0.21"}, "dc2": {"10.20.0.22"}, "tm": {"10.20.0.10"},
}

// renamed is sampleHosts with the agents and a domain controller under
// other names.
func renamed() map[string][]string {
	out := map[string][]string{}
	for name, addrs := range sampleHosts {
		switch {
		case strings.HasPrefix(name, "agent"):
			name = "collector-" + name[len("agent"):]
		case name == "dc2":
			name = "dc-two"
		}
		out[name] = addrs
	}
	return out
}

// hostsOnlyConfig writes a -c file that names hosts and nothing else
// (the site of testdata/golden/hosts/site.yaml without its roles), so
// that only the description differs, never the rules.
func hostsOnlyConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "site.yaml")
	yaml := `hosts:
  tm:  [10.20.0.10, "2001:db8:0:20::a14:a", "2001:db8:20::10"]
  dc1: [10.20.0.21, "2001:db8:0:20::a14:15", "2001:db8:20::21"]
  dc2: [10.20.0.22, "2001:db8:0:20::a14:16", "2001:db8:20::22"]
  agent1: [10.20.1.31]
  agent2: [10.20.1.32]
  console1: [10.20.2.50, "2001:db8:0:20::a14:232", "2001:db8:22::50"]
`
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// analyze runs the analysis on captures under testdata and returns the
// report as diff and merge get it: written as JSON and parsed back.
func analyze(t *testing.T, opt matrix.LoadOptions, files ...string) *report.Report {
	t.Helper()
	m, err := matrix.Load(opt)
	if err != nil {
		t.Fatal(err)
	}
	var srcs []*capture.FileSource
	for _, f := range files {
		src, err := capture.OpenFile(filepath.Join(testdata, f))
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	r, err := classifier.Analyze(m, srcs, nil, classifier.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return roundTrip(t, r)
}

func roundTrip(t *testing.T, r *report.Report) *report.Report {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	back, err := report.Parse("report.json", data)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func changes(d report.Diff) map[string]int {
	out := map[string]int{}
	for _, p := range d.Peers {
		out[p.Change]++
	}
	return out
}

func matrixKeys(d report.Diff) []string {
	var out []string
	for _, c := range d.MatrixChanges {
		out = append(out, c.Key)
	}
	return out
}

var (
	plain  = matrix.LoadOptions{}
	server = matrix.LoadOptions{Server: []string{"10.20.0.10"}}
)

func withHosts(h map[string][]string) matrix.LoadOptions {
	return matrix.LoadOptions{Server: []string{"10.20.0.10"}, Hosts: h}
}

func TestDiffMatchesPeersByAddressAndName(t *testing.T) {
	const day = "sample/threatmanager-day.pcap"
	for _, c := range []struct {
		name      string
		base, cur func(t *testing.T) *report.Report
		// kinds is how many peer changes of each kind the diff must
		// have at least; none lists kinds it must not have.
		kinds      map[string]int
		none       []string
		regression bool
		reasons    []string // each in some reason
		matrix     []string // matrix_changes keys, in order
	}{{
		name:  "the day, then the same day with every host named (--host)",
		base:  func(t *testing.T) *report.Report { return analyze(t, server, day) },
		cur:   func(t *testing.T) *report.Report { return analyze(t, withHosts(sampleHosts), day) },
		kinds: map[string]int{report.PeerNamed: 19}, none: []string{report.PeerAppeared, report.PeerVanished},
		matrix: []string{"hosts"},
	}, {
		name:  "named, then bare addresses",
		base:  func(t *testing.T) *report.Report { return analyze(t, withHosts(sampleHosts), day) },
		cur:   func(t *testing.T) *report.Report { return analyze(t, server, day) },
		kinds: map[string]int{report.PeerUnnamed: 19}, none: []string{report.PeerAppeared, report.PeerVanished},
		matrix: []string{"hosts"},
	}, {
		name:  "hosts renamed",
		base:  func(t *testing.T) *report.Report { return analyze(t, withHosts(sampleHosts), day) },
		cur:   func(t *testing.T) *report.Report { return analyze(t, withHosts(renamed()), day) },
		kinds: map[string]int{report.PeerRenamed: 7}, none: []string{report.PeerAppeared, report.PeerVanished, report.PeerNamed},
		matrix: []string{"hosts"},
	}, {
		// One host stands for its IPv4 and IPv6 addresses: each bare
		// address the baseline had is the named host now.
		name: "dual stack, then a hosts-only -c file",
		base: func(t *testing.T) *report.Report { return analyze(t, plain, "scenarios/dual-stack.pcap") },
		cur: func(t *testing.T) *report.Report {
			return analyze(t, matrix.LoadOptions{ConfigFile: hostsOnlyConfig(t)}, "scenarios/dual-stack.pcap")
		},
		kinds: map[string]int{report.PeerNamed: 10}, none: []string{report.PeerAppeared, report.PeerVanished},
		matrix: []string{"config", "hosts"},
	}, {
		name: "a rule that worked is blocked, whatever the naming",
		base: func(t *testing.T) *report.Report {
			return analyze(t, withHosts(sampleHosts), "scenarios/all-good.pcap")
		},
		cur:        func(t *testing.T) *report.Report { return analyze(t, server, "scenarios/firewall-9389.pcap") },
		regression: true, reasons: []string{"rule adws-out went from ok to blocked"},
		none: []string{report.PeerAppeared}, matrix: []string{"hosts"},
	}, {
		name: "a peer truly gone and a rule missing, whatever the naming",
		base: func(t *testing.T) *report.Report { return analyze(t, server, "scenarios/all-good.pcap") },
		cur: func(t *testing.T) *report.Report {
			return analyze(t, withHosts(sampleHosts), "scenarios/missing-dc.pcap")
		},
		regression: true, reasons: []string{"rule adws-out went from ok to missing", "peer 127.0.0.1 no longer seen on postgresql-out"},
		kinds: map[string]int{report.PeerVanished: 3}, matrix: []string{"hosts"},
	}, {
		name: "the same report",
		base: func(t *testing.T) *report.Report { return analyze(t, withHosts(sampleHosts), day) },
		cur:  func(t *testing.T) *report.Report { return analyze(t, withHosts(sampleHosts), day) },
		none: []string{report.PeerAppeared, report.PeerVanished, report.PeerNamed, report.PeerUnnamed, report.PeerRenamed},
	}} {
		t.Run(c.name, func(t *testing.T) {
			base, cur := c.base(t), c.cur(t)
			d := report.Compare(base, cur)
			if d.Regression != c.regression {
				t.Errorf("regression %v, want %v: %v", d.Regression, c.regression, d.Reasons)
			}
			all := strings.Join(d.Reasons, "\n")
			for _, r := range c.reasons {
				if !strings.Contains(all, r) {
					t.Errorf("no reason %q in %v", r, d.Reasons)
				}
			}
			got := changes(d)
			for k, n := range c.kinds {
				if got[k] < n {
					t.Errorf("%d peers %s, want at least %d (%v)", got[k], k, n, got)
				}
			}
			for _, k := range c.none {
				if got[k] > 0 {
					t.Errorf("%d peers %s, want none: %+v", got[k], k, d.Peers)
				}
			}
			if keys := matrixKeys(d); !slices.Equal(keys, c.matrix) {
				// The server's addresses differ too when a -c file lists
				// all of tm's: allow that one more.
				if !slices.Equal(slices.DeleteFunc(keys, func(k string) bool { return k == "server" }), c.matrix) {
					t.Errorf("matrix changes %v, want %v", d.MatrixChanges, c.matrix)
				}
			}
			for _, p := range d.Peers {
				if (p.Change == report.PeerNamed || p.Change == report.PeerRenamed || p.Change == report.PeerUnnamed) && p.Was == "" {
					t.Errorf("%+v: a peer described anew says what it was", p)
				}
			}
			var text strings.Builder
			if err := report.WriteDiffText(&text, d); err != nil {
				t.Fatal(err)
			}
			if want := map[bool]string{true: "REGRESSION", false: "No regression."}[c.regression]; !strings.Contains(text.String(), want) {
				t.Errorf("the text does not say %q:\n%s", want, text.String())
			}
		})
	}
}

func rule(t *testing.T, r *report.Report, id string) report.Rule {
	t.Helper()
	for _, rr := range r.Rules {
		if rr.ID == id {
			return rr
		}
	}
	t.Fatalf("no rule %s", id)
	return report.Rule{}
}

// exitOf is the exit status merge gives a merged report (every finding
// kind counts).
func exitOf(r *report.Report) int {
	return matrix.ExitStatus(r.Facts(), func(matrix.Finding) bool { return true }, r.Summary.Damaged)
}

// monitorShort makes a report what a monitor writes before one full
// window: the window's length and how much of it was seen, and a
// required rule not tried yet that is not missing so far.
func monitorShort(t *testing.T, r *report.Report, untried string) *report.Report {
	t.Helper()
	r.Window.Length, r.Window.Observed = 60, 5
	for i := range r.Rules {
		rr := &r.Rules[i]
		if rr.ID == untried {
			rr.Status, rr.Reason = matrix.StatusNotSeen, "no attempt yet; missing only after a full window (5s of 1m0s observed)"
			rr.Flows, rr.Allowed, rr.BlockedN, rr.Mismatch, rr.Packets, rr.Bytes = 0, 0, 0, 0, 0, 0
			rr.Peers, rr.Protocols = []report.Peer{}, map[string]int{}
		}
	}
	r.Summary.Verdict = matrix.Decide(r.Facts())
	return roundTrip(t, r)
}

// unconfirmed makes one rule's flows attempts whose outcome is unknown,
// as the judging writes them.
func unconfirmed(t *testing.T, r *report.Report, id string) *report.Report {
	t.Helper()
	for i := range r.Rules {
		rr := &r.Rules[i]
		if rr.ID == id {
			rr.Status, rr.Unconfirmed, rr.Allowed = matrix.StatusUnconfirmed, rr.Flows, 0
			for j := range rr.Peers {
				rr.Peers[j].Allowed, rr.Peers[j].Status = 0, matrix.StatusUnconfirmed
			}
		}
	}
	r.Summary.Verdict = matrix.Decide(r.Facts())
	return roundTrip(t, r)
}

func TestMergeDecidesLikeTheAnalysis(t *testing.T) {
	const day = "sample/threatmanager-day.pcap"
	noServer := func(t *testing.T) *report.Report { return analyze(t, plain, "pcaps/arkime_dns_udp.pcap") }
	noServer2 := func(t *testing.T) *report.Report { return analyze(t, plain, "pcaps/zeek_ntp.pcap") }
	for _, c := range []struct {
		name    string
		reports func(t *testing.T) []*report.Report
		verdict matrix.Outcome
		exit    int
		check   func(t *testing.T, in []*report.Report, m *report.Report)
	}{{
		name:    "two reports without a server",
		reports: func(t *testing.T) []*report.Report { return []*report.Report{noServer(t), noServer2(t)} },
		verdict: matrix.OutcomeNotJudged, exit: matrix.ExitNotJudged,
		check: func(t *testing.T, in []*report.Report, m *report.Report) {
			if m.Server.Source != "none" {
				t.Errorf("server.source %q, want none", m.Server.Source)
			}
			for _, rr := range m.Rules {
				if rr.Status != matrix.StatusNotSeen || strings.Contains(rr.Reason, "no attempt was seen") {
					t.Errorf("%s: %s %q: nothing was judged", rr.ID, rr.Status, rr.Reason)
				}
			}
			for k, n := range m.Summary.Findings {
				if n != 0 {
					t.Errorf("%d %s findings: nothing was judged", n, k)
				}
			}
			if want := in[0].Summary.NotJudged + in[1].Summary.NotJudged; m.Summary.NotJudged != want || want == 0 {
				t.Errorf("not_judged %d, want %d", m.Summary.NotJudged, want)
			}
		},
	}, {
		name: "a judged report and one without a server",
		reports: func(t *testing.T) []*report.Report {
			return []*report.Report{analyze(t, server, "scenarios/all-good.pcap"), noServer(t)}
		},
		verdict: matrix.OutcomeConforms, exit: matrix.ExitConforms,
		check: func(t *testing.T, in []*report.Report, m *report.Report) {
			if m.Summary.NotJudged != in[1].Summary.NotJudged || !strings.Contains(strings.Join(m.Warnings, "\n"), "arkime_dns_udp.pcap: no server was known") {
				t.Errorf("not_judged %d, warnings %v: the unjudged flows are counted and said", m.Summary.NotJudged, m.Warnings)
			}
			if !slices.Equal(m.Server.Addresses, in[0].Server.Addresses) || len(m.Inputs) != 2 {
				t.Errorf("server %v, %d inputs", m.Server.Addresses, len(m.Inputs))
			}
		},
	}, {
		name: "the same day named and unnamed: one peer each",
		reports: func(t *testing.T) []*report.Report {
			return []*report.Report{analyze(t, server, day), analyze(t, withHosts(sampleHosts), day)}
		},
		verdict: matrix.OutcomeFindings, exit: matrix.ExitFindings,
		check: func(t *testing.T, in []*report.Report, m *report.Report) {
			for i, rr := range m.Rules {
				one := in[1].Rules[i]
				if rr.Status != one.Status || len(rr.Peers) != len(one.Peers) || rr.Flows != 2*one.Flows {
					t.Errorf("%s: %s with %d peers and %d flows; each report: %s, %d peers, %d flows", rr.ID, rr.Status, len(rr.Peers), rr.Flows, one.Status, len(one.Peers), one.Flows)
				}
				for j, p := range rr.Peers {
					if p.Host == "" || p.Host != one.Peers[j].Host || p.Flows != 2*one.Peers[j].Flows {
						t.Errorf("%s: peer %+v, want %s with twice its flows", rr.ID, p, one.Peers[j].Host)
					}
				}
			}
		},
	}, {
		name: "two monitors short of their window",
		reports: func(t *testing.T) []*report.Report {
			return []*report.Report{
				monitorShort(t, analyze(t, server, "scenarios/all-good.pcap"), "adws-out"),
				monitorShort(t, analyze(t, withHosts(sampleHosts), "scenarios/all-good.pcap"), "adws-out"),
			}
		},
		verdict: matrix.OutcomeObserving, exit: matrix.ExitInconclusive,
		check: func(t *testing.T, in []*report.Report, m *report.Report) {
			if m.Window.Length != 60 || m.Window.Observed != 5 {
				t.Errorf("window %+v: the monitors' facts are carried", m.Window)
			}
			for _, rr := range m.Rules {
				if rr.ID == "adws-out" && rr.Status != matrix.StatusNotSeen {
					t.Errorf("adws-out %s %q: not missing before a full window", rr.Status, rr.Reason)
				}
			}
		},
	}, {
		name: "a monitor short of its window and a whole analysis",
		reports: func(t *testing.T) []*report.Report {
			return []*report.Report{
				monitorShort(t, analyze(t, server, "scenarios/all-good.pcap"), "adws-out"),
				analyze(t, server, "scenarios/all-good.pcap"),
			}
		},
		verdict: matrix.OutcomeObserving, exit: matrix.ExitInconclusive,
	}, {
		name: "a rule whose attempts were never answered",
		reports: func(t *testing.T) []*report.Report {
			return []*report.Report{
				unconfirmed(t, analyze(t, server, "scenarios/all-good.pcap"), "ldap-out"),
				unconfirmed(t, analyze(t, server, "scenarios/all-good.pcap"), "ldap-out"),
			}
		},
		verdict: matrix.OutcomeInconclusive, exit: matrix.ExitInconclusive,
		check: func(t *testing.T, in []*report.Report, m *report.Report) {
			for _, rr := range m.Rules {
				if rr.ID == "ldap-out" && (rr.Status != matrix.StatusUnconfirmed || rr.Unconfirmed != 2*rule(t, in[0], "ldap-out").Unconfirmed) {
					t.Errorf("ldap-out %s with %d unconfirmed", rr.Status, rr.Unconfirmed)
				}
			}
		},
	}, {
		name: "a real failure stays one, whatever the naming",
		reports: func(t *testing.T) []*report.Report {
			return []*report.Report{analyze(t, server, "scenarios/missing-dc.pcap"), analyze(t, withHosts(sampleHosts), "scenarios/firewall-9389.pcap")}
		},
		verdict: matrix.OutcomeFindings, exit: matrix.ExitFindings,
		check: func(t *testing.T, in []*report.Report, m *report.Report) {
			if st := rule(t, m, "adws-out").Status; st != matrix.StatusBlocked {
				t.Errorf("adws-out %s: missing in one report and blocked in the other is blocked", st)
			}
		},
	}} {
		t.Run(c.name, func(t *testing.T) {
			in := c.reports(t)
			m, err := report.Merge(in, false)
			if err != nil {
				t.Fatal(err)
			}
			m = roundTrip(t, m)
			if m.Summary.Verdict != c.verdict || exitOf(m) != c.exit {
				t.Errorf("verdict %s, exit %d; want %s, %d (findings %v)", m.Summary.Verdict, exitOf(m), c.verdict, c.exit, m.Summary.Findings)
			}
			if c.check != nil {
				c.check(t, in, m)
			}
		})
	}
}
