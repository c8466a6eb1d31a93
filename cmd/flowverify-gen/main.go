// Command flowverify-gen writes deterministic sample captures of Threat
// Manager traffic (genuine protocol bytes, real TCP handshakes, failures and
// unexpected flows) for tests, benchmarks and users who want to try the tool.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/flowverify/flowverify/internal/synth"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "flowverify-gen:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("flowverify-gen", flag.ContinueOnError)
	scenario := fs.String("scenario", "", "scenario to write (see -list), or \"day\" for the sample day")
	out := fs.String("o", "", "output file (default: stdout)")
	all := fs.String("all", "", "write every scenario into this directory")
	list := fs.Bool("list", false, "list the scenarios")
	mix := fs.Int("mix", 0, "write a benchmark mix of at least this many packets")
	flood := fs.Int("flood", 0, "write a flood of this many distinct flows (SYN scan, UDP spray, fragments)")
	spray := fs.Int("spray", 0, "write this many one-datagram UDP flows among many hosts, with no sign of a server")
	long := fs.Int("long", 0, "write this many packets in 12 very long flows")
	seed := fs.Uint64("seed", 1, "seed for sequence numbers and ports")
	damaged := fs.String("damaged", "", "write the damaged-capture corpus (with MANIFEST.tsv) into this directory")
	hostile := fs.String("hostile", "", "write the hostile-input corpus (one directory per case, with MANIFEST.json) into this directory")
	falsePass := fs.String("falsepass", "", "write the false-pass corpus (evidence that must not pass, one directory per case, with MANIFEST.json) into this directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *list:
		fmt.Fprintf(stdout, "%-24s %s\n", "day", "the bundled sample: eight hours of a site, one firewall dropping 9389")
		for _, s := range append(synth.Scenarios(), synth.Scans()...) { // scans have no golden
			fmt.Fprintf(stdout, "%-24s %s\n", s.Name, s.Description)
		}
		return nil
	case *all != "":
		if err := os.MkdirAll(*all, 0o755); err != nil {
			return err
		}
		for _, s := range synth.Scenarios() {
			c, f := s.Build()
			name := filepath.Join(*all, s.Name+ext(f))
			if err := writeFile(name, func(w io.Writer) error { return c.Write(w, f) }); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s: %d packets\n", name, c.Len())
		}
		return nil
	case *damaged != "":
		return writeDamaged(*damaged, stdout)
	case *hostile != "":
		cs := synth.HostileCorpus()
		if err := synth.WriteHostileCorpus(*hostile, cs); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d hostile cases\n", *hostile, len(cs))
		return nil
	case *falsePass != "":
		cs := synth.FalsePassCorpus()
		if err := synth.WriteHostileCorpus(*falsePass, cs); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d false-pass cases\n", *falsePass, len(cs))
		return nil
	case *mix > 0:
		return output(*out, stdout, func(w io.Writer) error { return synth.WriteMix(w, *mix, *seed) })
	case *long > 0:
		return output(*out, stdout, func(w io.Writer) error { return synth.WriteLongFlows(w, 12, *long/12, *seed) })
	case *spray > 0:
		return output(*out, stdout, func(w io.Writer) error { return synth.WriteSpray(w, *spray, *seed) })
	case *flood > 0:
		return output(*out, stdout, func(w io.Writer) error { return synth.WriteFlood(w, *flood, *seed) })
	case *scenario == "day":
		c := synth.Day(*seed)
		f := synth.Format{}
		if strings.HasSuffix(*out, ".gz") {
			f.Gzip = true
		}
		return output(*out, stdout, func(w io.Writer) error { return c.Write(w, f) })
	case *scenario != "":
		s, ok := lookup(*scenario)
		if !ok {
			return fmt.Errorf("unknown scenario %q (try -list)", *scenario)
		}
		c, f := s.Build()
		return output(*out, stdout, func(w io.Writer) error { return c.Write(w, f) })
	}
	fs.Usage()
	return fmt.Errorf("nothing to do: give -scenario, -all, -damaged, -hostile, -mix, -flood, -spray or -list")
}

// lookup finds a scenario, or a scan beside a site.
func lookup(name string) (synth.Scenario, bool) {
	if s, ok := synth.Lookup(name); ok {
		return s, true
	}
	return synth.LookupScan(name)
}

func ext(f synth.Format) string {
	e := ".pcap"
	if f.NG {
		e = ".pcapng"
	}
	if f.Gzip {
		e += ".gz"
	}
	return e
}

func output(name string, stdout io.Writer, fill func(io.Writer) error) error {
	if name == "" || name == "-" {
		bw := bufio.NewWriterSize(stdout, 1<<20)
		if err := fill(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	return writeFile(name, fill)
}

func writeFile(name string, fill func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := fill(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeDamaged writes the damaged-capture corpus, derived from all-good.
func writeDamaged(dir string, stdout io.Writer) error {
	s, _ := synth.Lookup("all-good")
	c, _ := s.Build()
	var pcap, ng bytes.Buffer
	if err := c.Write(&pcap, synth.Format{}); err != nil {
		return err
	}
	if err := c.Write(&ng, synth.Format{NG: true, Links: []uint32{synth.LinkEthernet, synth.LinkNull}}); err != nil {
		return err
	}
	cs := synth.DamagedCorpus(pcap.Bytes(), ng.Bytes())
	if err := synth.WriteDamagedCorpus(dir, cs); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d damaged cases\n", dir, len(cs))
	return nil
}
