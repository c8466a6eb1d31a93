package synth

import (
	"fmt"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Scans are site captures with a port scan in them, kept out of
// Scenarios (their every flow would make a golden of thousands of
// lines): the tests build them in memory, flowverify-gen writes them.
func Scans() []Scenario {
	return []Scenario{
		{"scan", "all-good with a SYN scan (nmap -sS) of 1,000 ports of the server from 10.20.9.99: RST from closed ports, SYN/ACK from 22 and 443, which the scanner resets", func() (*Capture, Format) {
			s := goodSite(DefaultNet(), 21, dcOptions{})
			s.synScan(Start().Add(20*time.Second), EP("10.20.9.99", 0), []string{s.n.Server}, portRange(1, 1000), map[uint16]bool{22: true, 443: true})
			return s.C, Format{}
		}},
		{"sweep", "all-good with a horizontal scan of tcp/445 over 10.20.0.1-254 from 10.20.9.98: only the server and 10.20.0.21 refuse, the rest never answer", func() (*Capture, Format) {
			s := goodSite(DefaultNet(), 22, dcOptions{})
			var hosts []string
			for i := 1; i <= 254; i++ {
				hosts = append(hosts, fmt.Sprintf("10.20.0.%d", i))
			}
			s.sweep(Start().Add(20*time.Second), EP("10.20.9.98", 0), hosts, 445, map[string]bool{s.n.Server: true, s.n.DCs[0]: true})
			return s.C, Format{}
		}},
		{"scan-out", "all-good with the server itself SYN-scanning ports 1-300 of 10.20.9.50, all refused", func() (*Capture, Format) {
			s := goodSite(DefaultNet(), 23, dcOptions{})
			s.synScan(Start().Add(20*time.Second), EP(s.n.Server, 0), []string{"10.20.9.50"}, portRange(1, 300), nil)
			return s.C, Format{}
		}},
	}
}

// LookupScan finds a scan scenario by name.
func LookupScan(name string) (Scenario, bool) {
	for _, s := range Scans() {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

func portRange(lo, hi uint16) []uint16 {
	var out []uint16
	for p := lo; p <= hi; p++ {
		out = append(out, p)
	}
	return out
}

// synScan is nmap's SYN scan from scanner: a SYN to every port of every
// host, RST+ACK from a closed port, SYN/ACK from an open one that the
// scanner answers with RST.
func (s *Site) synScan(t time.Time, scanner Endpoint, hosts []string, ports []uint16, open map[uint16]bool) {
	src := uint16(40000)
	for _, h := range hosts {
		for _, p := range ports {
			cl, sv := Endpoint{scanner.addr, src}, EP(h, p)
			if open[p] {
				s.C.halfOpen(t, cl, sv)
			} else {
				s.C.Refused(t, cl, sv, 0)
			}
			t = t.Add(100 * time.Microsecond)
		}
	}
}

// sweep is one port tried on many hosts: those in refusing answer RST,
// the others never answer.
func (s *Site) sweep(t time.Time, scanner Endpoint, hosts []string, port uint16, refusing map[string]bool) {
	for i, h := range hosts {
		cl, sv := Endpoint{scanner.addr, uint16(41000 + i)}, EP(h, port)
		if refusing[h] {
			s.C.Refused(t, cl, sv, 0)
		} else {
			s.C.Probe(t, cl, sv, synF, 0)
		}
		t = t.Add(200 * time.Microsecond)
	}
}

// halfOpen is a SYN answered by SYN/ACK and reset by the client: a SYN
// scan finding an open port.
func (c *Capture) halfOpen(t time.Time, cl, sv Endpoint) time.Time {
	seq, sseq := c.rand(), c.rand()
	c.add(frame{ts: t, src: cl, dst: sv, proto: layers.IPProtocolTCP, flags: synF, seq: seq})
	t = t.Add(200 * time.Microsecond)
	c.add(frame{ts: t, src: sv, dst: cl, proto: layers.IPProtocolTCP, flags: synF | ackF, seq: sseq, ack: seq + 1})
	t = t.Add(100 * time.Microsecond)
	c.add(frame{ts: t, src: cl, dst: sv, proto: layers.IPProtocolTCP, flags: rstF, seq: seq + 1})
	return t
}
