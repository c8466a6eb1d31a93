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
		cmd := exec.Command(cmdPrefix[0], append(cmdPrefix[1:], "analyze", "--server", "10.20.0.10", "-o", out, path)...)
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
					bin := filepath.Join(t.TempDir(), "flowverify")
					if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
						t.Fatalf("build: %v %s", err, b)
					}
					os.Chmod(filepath.Dir(bin), 0o755)
					o = analyzeDamaged(t, path, filepath.Join(os.TempDir(), "fv-unreadable.json"), setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin)
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

// TestTruncationAtEveryBoundary cuts the capture at every record (and
// pcapng block) boundary and inside every record: a cut at a boundary is a
// shorter, valid file; a cut inside is damage at that record's offset, and
// the packets before it are all counted.
func TestTruncationAtEveryBoundary(t *testing.T) {
	pcap, ng := goodCaptures(t)
	dir := t.TempDir()
	le := binary.LittleEndian
	check := func(name string, data []byte, wantDamage bool, wantOffset, wantPackets int) {
		path := filepath.Join(dir, name)
		os.WriteFile(path, data, 0o644)
		o := analyzeDamaged(t, path, filepath.Join(dir, "r.json"))
		if o.report == nil {
			t.Fatalf("%s: no report, exit %d %s", name, o.code, o.stderr)
		}
		in := o.report.Inputs[0]
		if wantDamage != (o.code == 3) || in.Packets != wantPackets {
			t.Fatalf("%s: exit %d, %d packets (want damage %v, %d packets)", name, o.code, in.Packets, wantDamage, wantPackets)
		}
		if wantDamage && (in.DamageAt == nil || *in.DamageAt != int64(wantOffset)) {
			t.Fatalf("%s: damage at %v, want %d", name, in.DamageAt, wantOffset)
		}
	}
	n := 0
	for off := 24; off+16 <= len(pcap); n++ {
		next := off + 16 + int(le.Uint32(pcap[off+8:]))
		check("b.pcap", pcap[:off], false, 0, n)
		check("m.pcap", pcap[:off+16+1], true, off, n)
		off = next
	}
	n = 0
	first := true
	for off := 0; off+8 <= len(ng); {
		end := off + int(le.Uint32(ng[off+4:]))
		typ := le.Uint32(ng[off:])
		if !first {
			check("b.pcapng", ng[:off], false, 0, n)
			check("m.pcapng", ng[:off+9], true, off, n)
		}
		first = false
		if typ == 6 {
			n++
		}
		off = end
	}
}
