package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/live"
	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
)

// TestLoadErrorsThroughTheLayers: what matrix.Load refuses reaches the
// command as values (errors.As finds the ConfigError and its cause) and
// is worded with the flag that set it.
func TestLoadErrorsThroughTheLayers(t *testing.T) {
	extends := filepath.Join(t.TempDir(), "site.yaml")
	if err := os.WriteFile(extends, []byte("extends: threatmanager\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		mf   matrixFlags
		want string                     // the whole message
		is   func(error) (bool, string) // the value behind it
	}{
		{"unknown host in --role", matrixFlags{roles: []string{"domain-controllers=dc9"}},
			`flag: --role domain-controllers: no host "dc9" (none are defined; add hosts: {dc9: [ADDR, ...]} or --host dc9=ADDR,...)`,
			func(err error) (bool, string) {
				uh, ok := errors.AsType[*matrix.UnknownHostError](err)
				return ok && uh.Name == "dc9" && len(uh.Known) == 0, "*UnknownHostError dc9"
			}},
		{"unknown host in --server beside --host", matrixFlags{server: []string{"tm"}, hosts: []string{"dc1=10.20.0.21"}},
			`flag: --server: no host "tm" (known: dc1)`,
			func(err error) (bool, string) {
				uh, ok := errors.AsType[*matrix.UnknownHostError](err)
				return ok && uh.Name == "tm" && slices.Equal(uh.Known, []string{"dc1"}), "*UnknownHostError tm, known dc1"
			}},
		{"a file extending another profile than --profile", matrixFlags{config: extends, profile: "threatmanager-3.0"},
			extends + `:1: extends: the file extends "threatmanager" but --profile asks for "threatmanager-3.0"`,
			func(err error) (bool, string) {
				pc, ok := errors.AsType[*matrix.ProfileConflictError](err)
				return ok && pc.Extends == "threatmanager" && pc.Profile == "threatmanager-3.0", "*ProfileConflictError"
			}},
		{"unknown --profile", matrixFlags{profile: "nope"},
			`flag: --profile: no profile "nope" (known: threatmanager, threatmanager-3.0)`,
			func(err error) (bool, string) {
				ce, ok := errors.AsType[*matrix.ConfigError](err)
				return ok && ce.Source == "flag" && ce.Setting == 0 && ce.Err != nil, "*ConfigError from a flag, worded"
			}},
		{"bad --fail-on", matrixFlags{failOn: []string{"everything"}},
			`flag: --fail-on: "everything" is not one of missing, blocked, mismatch, partial, unexpected, scan, all, none`,
			func(err error) (bool, string) {
				ce, ok := errors.AsType[*matrix.ConfigError](err)
				return ok && ce.Key == "--fail-on", "*ConfigError keyed --fail-on"
			}},
		{"missing -c file", matrixFlags{config: "/nonexistent/site.yaml"},
			"/nonexistent/site.yaml: open /nonexistent/site.yaml: no such file or directory",
			func(err error) (bool, string) { return errors.Is(err, fs.ErrNotExist), "fs.ErrNotExist" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.mf.load(nil)
			if err == nil {
				t.Fatal("accepted")
			}
			if err.Error() != c.want {
				t.Errorf("error\n  %s\nwant\n  %s", err, c.want)
			}
			if ok, what := c.is(err); !ok {
				t.Errorf("%v: not %s", err, what)
			}
		})
	}
}

// TestNoticesWordedOnce: the engine's and the merge's notices become the
// same words with the flag, once, however often the report is worded.
func TestNoticesWordedOnce(t *testing.T) {
	rules := func() []report.Rule { return []report.Rule{{ID: "a"}, {ID: "b"}} }
	cases := []struct {
		name     string
		r        report.Report
		warnings []string
		reason   string
		advice   string
	}{
		{"flows ended before the server was inferred",
			report.Report{Rules: rules(), Server: report.Server{Source: matrix.ServerInferred}, Warnings: []string{"earlier"},
				Notices: []report.Notice{{Kind: report.NoticeUnjudged, Flows: 1, Held: 4096}}},
			[]string{"earlier", "1 flow ended before the server could be inferred and were not judged (held at most 4096 at a time); pass --server to judge them"}, "", ""},
		{"no server, with a candidate",
			report.Report{Rules: rules(), Server: report.Server{Source: matrix.ServerNone, Candidates: []report.Candidate{{Address: "10.20.0.10"}}},
				Notices: []report.Notice{{Kind: report.NoticeNoServer}}},
			nil, "not judged: no server (see the candidates, or pass --server)", "To judge against the strongest: --server 10.20.0.10"},
		{"a merge without a server, no candidate",
			report.Report{Rules: rules(), Server: report.Server{Source: matrix.ServerNone},
				Notices: []report.Notice{{Kind: report.NoticeNoServer, Merged: true}}},
			nil, "not judged: no server in any report (see the candidates, or pass --server)",
			"No address shows matrix evidence; 'flowverify hosts FILE' lists every host seen, then pass --server ADDR"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.r
			wordReport(&r)
			wordReport(&r)
			if !slices.Equal(r.Warnings, c.warnings) {
				t.Errorf("warnings %q, want %q", r.Warnings, c.warnings)
			}
			for _, rr := range r.Rules {
				if rr.Reason != c.reason {
					t.Errorf("rule %s: reason %q, want %q", rr.ID, rr.Reason, c.reason)
				}
			}
			if r.Server.Advice != c.advice {
				t.Errorf("advice %q, want %q", r.Server.Advice, c.advice)
			}
			if r.Notices != nil {
				t.Errorf("notices left: %v", r.Notices)
			}
		})
	}
}

// TestSiteArgsSpelt: the inventory's typed command line is spelt with
// the flags, in order.
func TestSiteArgsSpelt(t *testing.T) {
	inv := &report.Inventory{Args: []report.SiteArg{
		{Setting: matrix.SettingProfile, Values: []string{"threatmanager-3.0"}},
		{Setting: matrix.SettingHost, Name: "dc1", Values: []string{"10.20.0.21", "fd00::21"}},
		{Setting: matrix.SettingServer, Values: []string{"tm"}},
		{Setting: matrix.SettingRole, Name: "domain-controllers", Values: []string{"dc1", "dc2"}},
	}}
	wordInventory(inv)
	want := []string{"--profile threatmanager-3.0", "--host dc1=10.20.0.21,fd00::21", "--server tm", "--role domain-controllers=dc1,dc2"}
	if !slices.Equal(inv.Flags, want) {
		t.Errorf("flags %q, want %q", inv.Flags, want)
	}
	if !strings.Contains(inv.Usage.Describe, "-f yaml") || !strings.Contains(strings.Join(inv.Usage.FileHead, " "), "with -c.") {
		t.Errorf("usage %+v names neither -f yaml nor -c", inv.Usage)
	}
}

// TestDamageThroughTheLayers: a damaged capture's *capture.DamageError
// (file, offset) comes out of the command's exit error, from the reader
// through the engine and the report.
func TestDamageThroughTheLayers(t *testing.T) {
	m, err := (&matrixFlags{}).load(nil)
	if err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(pcapDir, "suricata_corrupt_record_smtp.pcap")
	r, err := analysis{m: m, files: []string{damaged, filepath.Join(scenarioDir, "all-good.pcap")}, stderr: io.Discard}.run()
	if err != nil {
		t.Fatal(err)
	}
	err = exitFor(m, r)
	ee, ok := errors.AsType[*exitError](err)
	if !ok || ee.code != exitDamaged {
		t.Fatalf("exit error %v, want status %d", err, exitDamaged)
	}
	de, ok := errors.AsType[*capture.DamageError](err)
	if !ok {
		t.Fatalf("%v: no *capture.DamageError", err)
	}
	if de.File != damaged || r.Inputs[0].DamageAt == nil || de.Offset != *r.Inputs[0].DamageAt || de.Offset == 0 {
		t.Errorf("damage %s at %d; the report says %s at %v", de.File, de.Offset, r.Inputs[0].Name, r.Inputs[0].DamageAt)
	}
	want := "damaged input, report covers what could be read: " + damaged + ": " + de.Detail()
	if ee.err.Error() != want {
		t.Errorf("message\n  %s\nwant\n  %s", ee.err, want)
	}
}

// TestNoServerThroughTheLayers: an analysis that infers no server exits
// with the engine's *classifier.NoServerError behind the command's words.
func TestNoServerThroughTheLayers(t *testing.T) {
	m, err := (&matrixFlags{}).load(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		files []string
		tied  int
		want  string
	}{
		{"no evidence", []string{filepath.Join(pcapDir, "arkime_dns_udp.pcap")}, 0,
			"no server could be inferred (no address receives udp/10000, tcp/10001 or tcp/8080, and none opens tcp/88, 135, 389 or 9389); 'flowverify hosts FILE' lists every host seen; pass --server ADDR"},
		{"a tie", []string{filepath.Join(scenarioDir, "all-good.pcap"), "../../testdata/real/lab-site.pcap"}, 2,
			"no server could be inferred (10.20.0.10, 10.99.0.10 each both serve and open the matrix's traffic, as only a server does: two servers, no strongest candidate); " +
				"no candidate is the strongest: try --server with the right one of 10.20.0.10, 10.99.0.10"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := analysis{m: m, files: c.files, stderr: io.Discard}.run()
			if err != nil {
				t.Fatal(err)
			}
			err = exitFor(m, r)
			ns, ok := errors.AsType[*classifier.NoServerError](err)
			if !ok || len(ns.Tied) != c.tied {
				t.Fatalf("%v: want a *classifier.NoServerError with %d tied", err, c.tied)
			}
			if err.Error() != c.want {
				t.Errorf("message\n  %s\nwant\n  %s", err, c.want)
			}
		})
	}
}

// TestFlowListErrorNamesTheFlag: a flow list that cannot spill fails the
// write with a *report.FlowListError, worded as --flows.
func TestFlowListErrorNamesTheFlag(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "gone"))
	r := &report.Report{Flows: report.NewFlowList()}
	defer r.Flows.Close()
	for range 40000 { // past the flows one run holds in memory
		r.Flows.Add(report.Flow{Transport: "tcp"}, 0)
	}
	err := writeReport(io.Discard, r, "json")
	fe, ok := errors.AsType[*report.FlowListError](err)
	if !ok || fe.Op != report.FlowListCreate || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%v: want a *report.FlowListError creating the spill file, fs.ErrNotExist", err)
	}
	if !strings.HasPrefix(err.Error(), "--flows: no room for the list on disk: ") || !strings.HasSuffix(err.Error(), "(set TMPDIR to a directory with space)") {
		t.Errorf("message %q", err)
	}
}

// TestNoDevicesIsAPermission: no capture device at all is told as a
// permission to grant.
func TestNoDevicesIsAPermission(t *testing.T) {
	err := live.PermissionHint(errNoDevices{})
	if !errors.Is(err, fs.ErrPermission) || !strings.HasPrefix(err.Error(), "no capture devices found (permission denied?): ") {
		t.Errorf("%v: want fs.ErrPermission with what to grant", err)
	}
}
