package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/classifier/publish"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/report"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// leaks looks for a secret as is, hex-encoded and base64-encoded.
func leaks(t *testing.T, where string, out []byte, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		for _, form := range []string{s, hex.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s)), s[:len(s)/2+2]} {
			if bytes.Contains(out, []byte(form)) {
				t.Errorf("%s contains the secret %q (as %q)", where, s, form)
			}
		}
	}
}

// TestReportsCarryNoPayload plants unique secrets in payloads (LDAP simple
// bind password, HTTP Authorization header, PostgreSQL password message,
// syslog body, Kerberos cipher text) and checks every output format, the
// monitor's events and the metrics.
func TestReportsCarryNoPayload(t *testing.T) {
	dir := t.TempDir()
	capFile := filepath.Join(dir, "privacy.pcap")
	f, _ := os.Create(capFile)
	if err := synth.Privacy().Write(f, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	raw, _ := os.ReadFile(capFile)
	secrets := synth.Secrets()
	for _, s := range secrets {
		if !bytes.Contains(raw, []byte(s)) {
			t.Fatalf("the capture does not carry %q: the test would prove nothing", s)
		}
	}
	// The lab recording of real software carries its throw-away passwords.
	labSecrets := []string{"lab-user-password", "lab-krb-password", "Lab-Passw0rd!"}
	for _, in := range []struct {
		file    string
		secrets []string
	}{{capFile, secrets}, {"../../testdata/real/lab-site.pcap", labSecrets}} {
		for _, format := range report.KnownFormats() {
			r := flowverify(t, nil, "analyze", "-f", format, "--flows", "--suggest", "--suggest-unexpected", in.file)
			if r.code > 1 {
				t.Fatalf("%s: exit %d %s", format, r.code, r.stderr)
			}
			leaks(t, format+" report of "+filepath.Base(in.file), []byte(r.stdout+r.stderr), in.secrets)
		}
	}
	// The monitor's event stream and metrics, fed the same packets.
	m, _ := matrix.Load(matrix.LoadOptions{})
	mo := classifier.NewMonitor(m, classifier.MonitorConfig{Window: time.Hour, Servers: []netip.Addr{netip.MustParseAddr("10.20.0.10")}})
	src, _ := capture.OpenFile(capFile)
	mg := capture.NewMerger([]*capture.FileSource{src})
	var p capture.Packet
	for mg.Next(&p) == nil {
		mo.Packet(&p)
	}
	var evBuf bytes.Buffer
	ew := publish.NewEventWriter(&evBuf)
	for _, e := range mo.Events(nil) {
		ew.Write(e)
	}
	rep, evs, err := mo.Report("test", true, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		ew.Write(e)
	}
	ew.Write(classifier.SummaryEvent(rep))
	if !strings.Contains(evBuf.String(), "unexpected_first_seen") {
		t.Fatal("no events were produced: the check would prove nothing")
	}
	leaks(t, "event stream", evBuf.Bytes(), secrets)
	metrics := publish.NewMetrics()
	metrics.Evaluation(rep, 1)
	var mb bytes.Buffer
	families, _ := metrics.Registry.Gather()
	for _, fam := range families {
		mb.WriteString(fam.String())
	}
	if n, _ := testutil.GatherAndCount(metrics.Registry); n == 0 {
		t.Fatal("no metrics")
	}
	leaks(t, "metrics", mb.Bytes(), secrets)
}

// TestHostileNamesCannotSubvertOutput analyses a real capture under a
// crafted file name: terminal escapes and a newline must not clear the
// screen or forge a summary line in the text report, and a leading '='
// must not become a spreadsheet formula in the flows CSV.
func TestHostileNamesCannotSubvertOutput(t *testing.T) {
	// A capture with findings: its real summary line says FINDINGS.
	data, err := os.ReadFile(filepath.Join(scenarioDir, "firewall-9389.pcap")) // before the Chdir
	if err != nil {
		t.Fatal(err)
	}
	// Named as given on the command line, relative, as a user would.
	t.Chdir(t.TempDir())
	for _, name := range []string{"a\x1b[2J\x1b[31mFAKE\nSummary: CONFORMS.pcap", "=HYPERLINK(1+1).pcap", "b\u202egnp.pcap"} {
		path := name
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		text := flowverify(t, nil, "analyze", "-q", "--server", "10.20.0.10", path).stdout
		if strings.ContainsAny(text, "\x1b\u202e") {
			t.Errorf("%q: the text report carries an escape or a bidi control", name)
		}
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "Summary: CONFORMS") {
				t.Errorf("%q: a forged summary line: %q", name, line)
			}
		}
		csv := flowverify(t, nil, "analyze", "-q", "--flows", "-f", "flows-csv", "--server", "10.20.0.10", path).stdout
		for _, line := range strings.Split(csv, "\n") {
			for _, cell := range strings.Split(line, ",") {
				if c := strings.TrimLeft(cell, `"`); c != "" && strings.ContainsRune("=+@", rune(c[0])) {
					t.Errorf("%q: a CSV cell starts with a formula: %q", name, cell)
				}
			}
		}
	}
}
