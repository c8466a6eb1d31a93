package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/internal/synth"
)

// epmCapture writes a capture where the domain controller's endpoint
// mapper answers with the given address and port, and the server then
// connects there.
func epmCapture(t *testing.T, ip [4]byte, port uint16) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "epm.pcap")
	if err := os.WriteFile(path, synth.EPMExchange(ip, port), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLearnedEndpointsAllowOnlyTheRule: an endpoint-mapper answer vouches
// for its own host, on the port it names. One naming another address
// (203.0.113.66) allows nothing: the flow there is unexpected. The
// genuine answer is learned and names the mapper, on the DC's dynamic
// port (49671) or outside the documented range (3389: the port named is
// the row) unless strict_range holds the rule to 49152-65535.
func TestLearnedEndpointsAllowOnlyTheRule(t *testing.T) {
	strict := filepath.Join(t.TempDir(), "strict.yaml")
	if err := os.WriteFile(strict, []byte("rules:\n  - id: rpc-dynamic-out\n    strict_range: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		ip      [4]byte
		port    uint16
		args    []string
		verdict string
	}{
		{"the DC's own dynamic port", [4]byte{}, 49671, nil, "allowed"},
		{"another address", [4]byte{203, 0, 113, 66}, 50000, nil, "unexpected"},
		{"a port outside the documented range", [4]byte{}, 3389, nil, "allowed"},
		{"a port outside the range, strict_range", [4]byte{}, 3389, []string{"-c", strict}, "unexpected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, r := analyzeJSON(t, append(c.args, "-s", "10.20.0.10", epmCapture(t, c.ip, c.port))...)
			if r.code > 1 {
				t.Fatalf("exit %d %s", r.code, r.stderr)
			}
			var got string
			for _, f := range d.Flows {
				if f.Responder != "10.20.0.21:135" {
					got = f.Verdict
				}
			}
			if got != c.verdict {
				t.Errorf("the flow to the named endpoint is %q, want %s", got, c.verdict)
			}
		})
	}
}

// FuzzLearnedEndpoint feeds mutated endpoint-mapper replies through the
// whole analysis, then a connection to the address and port the fuzzer
// picks: whatever the reply says, rpc-dynamic-out allows only the domain
// controller that answered, on its range or on a port its reply named.
func FuzzLearnedEndpoint(f *testing.F) {
	f.Add(synth.DCERPCEptMapResponse(2, 49671, [4]byte{}), uint32(0), uint16(49671))
	f.Add(synth.DCERPCEptMapResponse(2, 50000, [4]byte{203, 0, 113, 66}), uint32(0xcb007142), uint16(50000))
	f.Add(synth.DCERPCEptMapResponse(2, 3389, [4]byte{}), uint32(0), uint16(3389))
	f.Fuzz(func(t *testing.T, reply []byte, ip uint32, port uint16) {
		n := synth.DefaultNet()
		c := synth.New(7)
		epm := []synth.Message{{FromClient: true, Data: synth.DCERPCBindEPM(1)}, {FromClient: false, Data: synth.DCERPCBindAck(1)},
			{FromClient: true, Data: synth.DCERPCEptMapRequest(2)}, {FromClient: false, Data: reply}}
		t1 := c.TCP(synth.Start(), synth.EP(n.Server, 49900), synth.EP(n.DCs[0], 135), epm, synth.TCPOptions{})
		target := n.DCs[0]
		if ip != 0 {
			target = netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}).String()
		}
		if port == 0 || target == n.Server {
			return
		}
		dyn := []synth.Message{{FromClient: true, Data: synth.DCERPCBindDRSUAPI(1)}, {FromClient: false, Data: synth.DCERPCBindAck(1)}}
		c.TCP(t1.Add(10*time.Millisecond), synth.EP(n.Server, 49901), synth.EP(target, port), dyn, synth.TCPOptions{})
		var buf bytes.Buffer
		if err := c.Write(&buf, synth.Format{}); err != nil {
			return
		}
		path := filepath.Join(t.TempDir(), "epm.pcap")
		os.WriteFile(path, buf.Bytes(), 0o644)
		d, r := analyzeJSON(t, "-s", n.Server, path)
		if r.code > 1 {
			t.Fatalf("exit %d %s", r.code, r.stderr)
		}
		for _, fl := range d.Flows {
			if fl.Rule != "rpc-dynamic-out" || fl.Verdict != "allowed" {
				continue
			}
			ap, err := netip.ParseAddrPort(fl.Responder)
			learned := slices.ContainsFunc(fl.Notes, func(n string) bool {
				return strings.HasPrefix(n, fmt.Sprintf("learned: port %d handed out by the endpoint mapper", ap.Port()))
			})
			if err != nil || ap.Addr().String() != n.DCs[0] || ap.Port() < 49152 && !learned {
				t.Fatalf("rpc-dynamic-out allowed %s after the reply %x (notes %v)", fl.Responder, reply, fl.Notes)
			}
		}
	})
}

// probeCapture writes a capture made by build and returns its path.
func probeCapture(t *testing.T, build func(c *synth.Capture, n synth.Net)) string {
	t.Helper()
	c := synth.New(9)
	build(c, synth.DefaultNet())
	var buf bytes.Buffer
	if err := c.Write(&buf, synth.Format{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "probe.pcap")
	os.WriteFile(path, buf.Bytes(), 0o644)
	return path
}

// TestOKNeedsAnAnswer: unanswered probes with any flags are failed
// attempts, never working rules; a scanner's FIN+PSH+URG to 10001 is an
// attempt on 10001, not traffic from the server's port 40000; SYNs whose
// first fragment holds only 8 bytes of TCP are attempts on 389 once the
// header is whole.
func TestOKNeedsAnAnswer(t *testing.T) {
	t0 := synth.Start()
	cases := []struct {
		name  string
		build func(c *synth.Capture, n synth.Net)
		rule  string
		want  string
	}{
		{"FIN-only to LDAP", func(c *synth.Capture, n synth.Net) {
			for i := 0; i < 3; i++ {
				c.Probe(t0.Add(time.Duration(i)*time.Second), synth.EP(n.Server, uint16(50000+i)), synth.EP(n.DCs[0], 389), synth.FlagFIN, 0)
			}
		}, "ldap-out", "blocked"},
		{"ACK-only to Kerberos", func(c *synth.Capture, n synth.Net) {
			for i := 0; i < 3; i++ {
				c.Probe(t0.Add(time.Duration(i)*time.Second), synth.EP(n.Server, uint16(50000+i)), synth.EP(n.DCs[0], 88), synth.FlagACK, 0)
			}
		}, "kerberos-out", "blocked"},
		{"no flags to the endpoint mapper", func(c *synth.Capture, n synth.Net) {
			for i := 0; i < 3; i++ {
				c.Probe(t0.Add(time.Duration(i)*time.Second), synth.EP(n.Server, uint16(50000+i)), synth.EP(n.DCs[0], 135), 0, 0)
			}
		}, "rpc-epm-out", "blocked"},
		{"Xmas to AMQP", func(c *synth.Capture, n synth.Net) {
			c.Probe(t0, synth.EP(n.TPAgents[0], 40000), synth.EP(n.Server, 10001), synth.FlagFIN|synth.FlagPSH|synth.FlagURG, 0)
		}, "amqp-in", "blocked"},
		{"SYNs split after 8 bytes of TCP", func(c *synth.Capture, n synth.Net) {
			for i := 0; i < 3; i++ {
				c.SplitSYN(t0.Add(time.Duration(i)*time.Second), synth.EP(n.Server, uint16(50000+i)), synth.EP(n.DCs[0], 389), 8, 0)
			}
		}, "ldap-out", "blocked"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, r := analyzeJSON(t, "-s", "10.20.0.10", probeCapture(t, c.build))
			if r.code > 1 {
				t.Fatalf("exit %d %s", r.code, r.stderr)
			}
			if st, reason := d.ruleReason(t, c.rule); st != c.want {
				t.Errorf("%s is %s (%s), want %s; unexpected %+v", c.rule, st, reason, c.want, d.Unexpected)
			}
			for _, u := range d.Unexpected {
				t.Errorf("unexpected group %+v", u)
			}
		})
	}
}

// TestUndecodedEncapsulationsAreNamed: LDAP inside a pre-standard QinQ
// tag, GRE, ERSPAN and VXLAN is not opened, but every format says how
// many frames each kind held, so "0 unexpected" never hides them.
func TestUndecodedEncapsulationsAreNamed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tunnels.pcap")
	if err := os.WriteFile(file, synth.TunnelFrames(), 0o644); err != nil {
		t.Fatal(err)
	}
	r := flowverify(t, nil, "analyze", "-q", "-s", "10.20.0.10", "-f", "json", file)
	var d struct {
		Summary struct {
			Undecoded map[string]int `json:"undecoded"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("exit %d: %v %s", r.code, err, r.stderr)
	}
	want := map[string]int{"QinQ (ethertype 0x9100)": 3, "GRE": 2, "ERSPAN": 1, "VXLAN (udp/4789)": 1}
	if !reflect.DeepEqual(d.Summary.Undecoded, want) {
		t.Errorf("undecoded %v, want %v", d.Summary.Undecoded, want)
	}
	for _, f := range []string{"text", "markdown", "html", "junit", "json"} {
		out := flowverify(t, nil, "analyze", "-q", "-s", "10.20.0.10", "-f", f, file).stdout
		if !strings.Contains(out, "frames in encapsulations flowverify does not open") || !strings.Contains(out, "3 QinQ (ethertype 0x9100)") {
			t.Errorf("-f %s does not name the encapsulations", f)
		}
	}
}
