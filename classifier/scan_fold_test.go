package classifier_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
	"github.com/flowverify/flowverify/report"
)

// TestScanFoldsOnlyProbes: a known scanner's probes fold into its scan,
// its sessions do not. The recorded nmap -sS of the server (10.99.0.31
// to 10.99.0.10) is read beside a generated capture of the same scanner
// working with the server, before the scan is known (folded at the end)
// and after (folded as it comes). A session that hid in the scan would
// pass diff and --baseline unseen (user28c finding 1).
func TestScanFoldsOnlyProbes(t *testing.T) {
	scan, err := os.ReadFile(filepath.Join("..", "testdata", "real/shapes/nmap-scan-tm.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	const scanner, server = "10.99.0.31", "10.99.0.10"
	before := time.Date(2026, 12, 7, 20, 43, 20, 0, time.UTC) // the scan runs 20:43:24.8 to 24.9
	after := before.Add(10 * time.Second)
	ssh := func(c *synth.Capture, at time.Time, port uint16) {
		c.TCP(at, synth.EP(scanner, port), synth.EP(server, 22), []synth.Message{
			{Data: []byte("SSH-2.0-OpenSSH_9.6\r\n")},
			{FromClient: true, Data: bytes.Repeat([]byte("k"), 240)},
		}, synth.TCPOptions{})
	}
	for _, c := range []struct {
		name     string
		build    func(*synth.Capture)
		rows     []foldRow // the scanner's unexpected rows
		folded   int
		answered int
	}{
		{"the scan alone", func(*synth.Capture) {}, nil, 998, 2},
		{"an SSH session after the scan", func(c *synth.Capture) { ssh(c, after, 50022) },
			// The scan's refused probe of 22 came before the scanner was
			// known: it stays beside the session, in its row.
			[]foldRow{{22, 2, "ssh"}}, 997, 2},
		{"an SSH session before the scan", func(c *synth.Capture) { ssh(c, before, 50022) },
			[]foldRow{{22, 2, "ssh"}}, 997, 2},
		{"connect-scan handshakes with no data after the scan", func(c *synth.Capture) {
			for i, p := range []uint16{2000, 2001} {
				c.TCP(after.Add(time.Duration(i)*time.Millisecond), synth.EP(scanner, 51000+uint16(i)), synth.EP(server, p), nil, synth.TCPOptions{})
			}
		}, nil, 1000, 4},
		{"a UDP reply to the scanner", func(c *synth.Capture) {
			c.UDP(after, synth.EP(scanner, 53000), synth.EP(server, 5353), []synth.Message{
				{FromClient: true, Data: []byte("query")}, {Data: []byte("answer")},
			}, 0)
		}, []foldRow{{5353, 1, "unknown"}}, 998, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			cp := synth.New(7)
			c.build(cp)
			extra := testcaps.Bytes(t, func(w io.Writer) error { return cp.Write(w, synth.Format{}) })
			m, err := matrix.Load(matrix.LoadOptions{Server: []string{server}})
			if err != nil {
				t.Fatal(err)
			}
			for _, pipe := range []bool{false, true} {
				r, err := classifier.Analyze(m, testcaps.Sources(t, "cap", scan, extra), nil, classifier.Options{Version: "test", Pipeline: pipe})
				if err != nil {
					t.Fatal(err)
				}
				checkFold(t, r, c.rows, c.folded, c.answered)
			}
		})
	}
}

// foldRow is one unexpected row of the scanner: its port, flows and
// protocol.
type foldRow struct {
	port     int
	flows    int
	protocol string
}

func checkFold(t *testing.T, r *report.Report, rows []foldRow, folded, answered int) {
	t.Helper()
	if len(r.Scans) != 1 || r.Scans[0].Folded != folded || r.Scans[0].Answered != answered {
		t.Fatalf("scans %+v, want one with %d flows folded, %d answered", r.Scans, folded, answered)
	}
	var got []foldRow
	for _, u := range r.Unexpected {
		if u.Peer == r.Scans[0].Scanner {
			got = append(got, foldRow{u.Port, u.Flows, u.Protocol})
		}
	}
	if len(got) != len(rows) {
		t.Fatalf("the scanner's rows %+v, want %+v", got, rows)
	}
	for i := range rows {
		if got[i] != rows[i] {
			t.Errorf("row %+v, want %+v", got[i], rows[i])
		}
	}
	if len(rows) > 0 && r.Summary.Findings[matrix.FindingUnexpected] == 0 {
		t.Errorf("findings %v: the session is no unexpected finding", r.Summary.Findings)
	}
}
