package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostsDescribesTheSite: 'hosts' on the real dual-stack lab capture
// names the server with both its addresses and the parts every host
// plays; its YAML, given back to analyze, makes every row that works ok
// (adws-out, dropped by the DC's firewall, stays blocked).
func TestHostsDescribesTheSite(t *testing.T) {
	for _, file := range []string{"../../testdata/real/lab-dual-stack.pcap", "../../testdata/real/lab-site.pcap"} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			r := flowverify(t, nil, "hosts", "-f", "json", file)
			var inv struct {
				Hosts []struct {
					Name      string   `json:"name"`
					Addresses []string `json:"addresses"`
					LooksLike string   `json:"looks_like"`
				} `json:"hosts"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &inv); err != nil {
				t.Fatalf("exit %d: %v %s", r.code, err, r.stderr)
			}
			parts := map[string]string{}
			for _, h := range inv.Hosts {
				parts[strings.Join(h.Addresses, ",")] = h.Name
			}
			want := map[string]string{"10.99.0.41": "db1", "10.99.0.50": "console1", "10.99.0.70": "action1"}
			if strings.Contains(file, "dual") {
				want["10.99.0.10,fd00:99::10"], want["10.99.0.21,fd00:99::21"] = "tm", "dc1"
			} else {
				want["10.99.0.10"], want["10.99.0.21"] = "tm", "dc1"
			}
			for addrs, name := range want {
				if parts[addrs] != name {
					t.Errorf("%s named %q, want %s (hosts %v)", addrs, parts[addrs], name, parts)
				}
			}
			cfg := filepath.Join(t.TempDir(), "site.yaml")
			if w := flowverify(t, nil, "hosts", "-f", "yaml", "-o", cfg, file); w.code != 0 || !strings.Contains(w.stderr, "wrote "+cfg) {
				t.Fatalf("hosts -o: exit %d %s", w.code, w.stderr)
			}
			if data, _ := os.ReadFile(cfg); !strings.Contains(string(data), "hosts:") {
				t.Fatalf("no hosts in the YAML:\n%s", data)
			}
			d, ar := analyzeJSON(t, "-c", cfg, file)
			if ar.code > 1 {
				t.Fatalf("analyze -c %s: exit %d %s", cfg, ar.code, ar.stderr)
			}
			for _, rule := range d.Rules {
				want := "ok"
				switch rule.ID {
				case "adws-out":
					want = "blocked"
				case "access-analyzer-8080":
					want = "not-seen"
				}
				if rule.Status != want {
					t.Errorf("with the generated config %s is %s (%s), want %s", rule.ID, rule.Status, rule.Reason, want)
				}
			}
		})
	}
}

// TestGoldenHostsFormats: text names the flags to paste, CSV has a row per
// host, and a capture without a server still lists its hosts.
func TestGoldenHostsFormats(t *testing.T) {
	file := "../../testdata/real/lab-dual-stack.pcap"
	text := flowverify(t, nil, "hosts", file).stdout
	checkGoldenFile(t, filepath.Join(goldenDir, "hosts", "inventory-lab-dual-stack.text"), []byte(text))
	if !strings.Contains(text, "--host tm=10.99.0.10,fd00:99::10 \\") || !strings.Contains(text, "--server tm") {
		t.Errorf("text lacks the flags:\n%s", text)
	}
	csv := flowverify(t, nil, "hosts", "-f", "csv", file).stdout
	if lines := strings.Count(csv, "\n"); !strings.HasPrefix(csv, "name,addresses,mac,looks_like") || lines != 8 {
		t.Errorf("csv: %d lines\n%s", lines, csv)
	}
	dns := flowverify(t, nil, "hosts", filepath.Join(pcapDir, "arkime_dns_udp.pcap"))
	if dns.code != exitUsage || !strings.Contains(dns.stdout, "Server: not found") || !strings.Contains(dns.stdout, "serves:    udp/53 dns") {
		t.Errorf("server-less capture: exit %d\n%s%s", dns.code, dns.stdout, dns.stderr)
	}
}
