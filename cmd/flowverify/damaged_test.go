package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/internal/synth"
)

func goodCaptures(t *testing.T) (pcap, ng []byte) {
	t.Helper()
	s, _ := synth.Lookup("all-good")
	c, _ := s.Build()
	var a, b bytes.Buffer
	if err := c.Write(&a, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Write(&b, synth.Format{NG: true, Links: []uint32{synth.LinkEthernet, synth.LinkNull}}); err != nil {
		t.Fatal(err)
	}
	return a.Bytes(), b.Bytes()
}

type damagedOutcome struct {
	code   int
	stderr string
	report *reportDoc
}

func analyzeDamaged(t *testing.T, path, out string, cmdPrefix ...string) damagedOutcome {
	t.Helper()
	var o damagedOutcome
	if len(cmdPrefix) > 0 {
		cmd := cliCommand(cmdPrefix[0], append(cmdPrefix[1:], "analyze", "--server", "10.20.0.10", "-o", out, path)...)
		var e bytes.Buffer
		cmd.Stderr = &e
		cmd.Run()
		o.code, o.stderr = cmd.ProcessState.ExitCode(), e.String()
	} else {
		r := flowverify(t, nil, "analyze", "--server", "10.20.0.10", "-o", out, path)
		o.code, o.stderr = r.code, r.stderr
	}
	if data, err := os.ReadFile(out); err == nil {
		var d reportDoc
		if json.Unmarshal(data, &d) == nil {
			o.report = &d
		}
	}
	os.Remove(out)
	return o
}

// TestDamagedCorpus runs analyze over every case of the damaged corpus
// (flowverify-gen -damaged writes the same files): no panic, the promised
// exit status and message, and the report of what was read still written.
func TestDamagedCorpus(t *testing.T) {
	pcap, ng := goodCaptures(t)
	dir := t.TempDir()
	cases := synth.DamagedCorpus(pcap, ng)
	if err := synth.WriteDamagedCorpus(dir, cases); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report.json")
	counts := map[int]int{}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			path := filepath.Join(dir, c.Name)
			var o damagedOutcome
			if c.Kind == "unreadable" {
				if os.Getuid() != 0 {
					o = analyzeDamaged(t, path, out)
				} else if setpriv, err := exec.LookPath("setpriv"); err == nil {
					// Root reads anything: run as nobody to see the refusal.
					o = analyzeDamaged(t, path, filepath.Join(os.TempDir(), "fv-unreadable.json"), setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sharedCLIBinary(t))
				} else {
					t.Skip("running as root without setpriv: an unreadable file cannot be made")
				}
			} else {
				o = analyzeDamaged(t, path, out)
			}
			counts[o.code]++
			if strings.Contains(o.stderr, "panic") || strings.Contains(o.stderr, "goroutine ") {
				t.Fatalf("panic:\n%s", o.stderr)
			}
			switch {
			case c.Exit == -1:
				// Read fully, findings decide; a cut at a record boundary
				// can also leave an attempt whose answer was cut off:
				// unconfirmed, so inconclusive (4).
				if o.code > 1 && o.code != 4 || o.report == nil {
					t.Fatalf("exit %d (want 0, 1 or 4), report %v: %s", o.code, o.report != nil, o.stderr)
				}
			case o.code != c.Exit:
				t.Fatalf("exit %d, want %d: %s", o.code, c.Exit, o.stderr)
			}
			if c.Want != "" && !strings.Contains(o.stderr+warnings(o.report), c.Want) {
				t.Errorf("message %q lacks %q", o.stderr, c.Want)
			}
			if o.code == 3 {
				if o.report == nil || !o.report.Summary.Damaged || !strings.Contains(o.stderr, c.Name) {
					t.Fatalf("exit 3 without a damaged report naming the file: %s", o.stderr)
				}
				in := o.report.Inputs[0]
				if in.DamageAt == nil || !strings.Contains(o.stderr, fmt.Sprint(*in.DamageAt)) {
					t.Errorf("offset missing: %+v / %s", in.DamageAt, o.stderr)
				}
			}
			if o.code == 2 && o.report != nil {
				t.Errorf("exit 2 but a report was written")
			}
		})
	}
	t.Logf("%d cases: outcomes by exit status %v", len(cases), counts)
}

func warnings(d *reportDoc) string {
	if d == nil {
		return ""
	}
	var b strings.Builder
	for _, in := range d.Inputs {
		b.WriteString(strings.Join(in.Warnings, " "))
	}
	return b.String()
}

// TestTruncationThroughAnalyze runs a few cuts of the capture through
// analyze (capture's TestTruncationAtEveryBoundary reads every one): a cut
// at a record (or pcapng block) boundary is a shorter, valid file; a cut
// inside is damage at that record's offset, exit 3, and the packets
// before it are all counted.
func TestTruncationThroughAnalyze(t *testing.T) {
	pcap, ng := goodCaptures(t)
	le := binary.LittleEndian
	var pcapRecords, ngPackets []int // offsets of the records, of the enhanced packet blocks
	for off := 24; off+16 <= len(pcap); off += 16 + int(le.Uint32(pcap[off+8:])) {
		pcapRecords = append(pcapRecords, off)
	}
	for off := 0; off+8 <= len(ng); off += int(le.Uint32(ng[off+4:])) {
		if le.Uint32(ng[off:]) == 6 {
			ngPackets = append(ngPackets, off)
		}
	}
	if len(pcapRecords) < 10 || len(ngPackets) < 10 {
		t.Fatalf("%d records, %d packet blocks: the scenario is not what this test expects", len(pcapRecords), len(ngPackets))
	}
	mid, last := len(pcapRecords)/2, len(pcapRecords)-1
	ngMid, ngLast := len(ngPackets)/2, len(ngPackets)-1
	cases := []struct {
		name    string
		data    []byte
		damaged bool
		offset  int
		packets int
	}{
		{"header-only.pcap", pcap[:24], false, 0, 0},
		{"before-the-middle-record.pcap", pcap[:pcapRecords[mid]], false, 0, mid},
		{"inside-the-middle-record.pcap", pcap[:pcapRecords[mid]+17], true, pcapRecords[mid], mid},
		{"inside-the-last-record.pcap", pcap[:pcapRecords[last]+17], true, pcapRecords[last], last},
		{"before-the-middle-packet.pcapng", ng[:ngPackets[ngMid]], false, 0, ngMid},
		{"inside-the-middle-packet.pcapng", ng[:ngPackets[ngMid]+9], true, ngPackets[ngMid], ngMid},
		{"inside-the-last-packet.pcapng", ng[:ngPackets[ngLast]+9], true, ngPackets[ngLast], ngLast},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			o := analyzeDamaged(t, path, filepath.Join(dir, "r.json"))
			if o.report == nil {
				t.Fatalf("no report, exit %d %s", o.code, o.stderr)
			}
			in := o.report.Inputs[0]
			if c.damaged != (o.code == exitDamaged) || in.Packets != c.packets {
				t.Fatalf("exit %d, %d packets (want damage %v, %d packets)", o.code, in.Packets, c.damaged, c.packets)
			}
			if c.damaged && (in.DamageAt == nil || *in.DamageAt != int64(c.offset)) {
				t.Fatalf("damage at %v, want %d", in.DamageAt, c.offset)
			}
		})
	}
}
