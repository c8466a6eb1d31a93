package classifier_test

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
	"github.com/flowverify/flowverify/report"
)

// TestInventoryScannerPlaysNoPart: told the server, hosts calls a
// scanner a scanner, with its scan's line, and never an agent or a
// console tried unanswered: it gets no name, no role, no --host flag, and
// the site file leaves it out (user28c finding 4). The site's own hosts
// beside a scan keep their parts.
func TestInventoryScannerPlaysNoPart(t *testing.T) {
	nmap, err := os.ReadFile(filepath.Join("..", "testdata", "real/shapes/nmap-scan-tm.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := synth.LookupScan("scan")
	c, f := sc.Build()
	site := testcaps.Bytes(t, func(w io.Writer) error { return c.Write(w, f) })
	for _, c := range []struct {
		name, server, scanner, looks string
		data                         []byte
		roles                        int // roles with members in the site file, at least
	}{
		{"nmap -sS of the server, server named", "10.99.0.10", "10.99.0.31",
			"a scanner: probed 1000 ports of 10.99.0.10, 2 accepted", nmap, 0},
		{"a SYN scan beside a working site", "10.20.0.10", "10.20.9.99",
			"a scanner: probed 1000 ports of 10.20.0.10, 2 accepted", site, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := matrix.Load(matrix.LoadOptions{Server: []string{c.server}})
			if err != nil {
				t.Fatal(err)
			}
			inv, err := classifier.Inventory(m, testcaps.Sources(t, "cap", c.data), nil, classifier.Options{Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			checkScannerLeftOut(t, inv, c.scanner, c.looks)
			filled := 0
			for _, members := range inv.Config.Roles {
				if len(members) > 0 {
					filled++
				}
			}
			if filled < c.roles {
				t.Errorf("%d roles filled, want at least %d: %v", filled, c.roles, inv.Config.Roles)
			}
		})
	}
}

func checkScannerLeftOut(t *testing.T, inv *report.Inventory, scanner, looks string) {
	t.Helper()
	i := slices.IndexFunc(inv.Hosts, func(h report.InventoryHost) bool { return slices.Contains(h.Addresses, scanner) })
	if i < 0 {
		t.Fatalf("no host %s in %+v", scanner, inv.Hosts)
	}
	h := inv.Hosts[i]
	if h.LooksLike != looks || h.Name != "" || len(h.Roles) != 0 {
		t.Errorf("the scanner %+v: want %q, no name, no role", h, looks)
	}
	for role, members := range inv.Config.Roles {
		for _, m := range members {
			if m == scanner || (h.Name != "" && m == h.Name) {
				t.Errorf("the scanner is in role %s: %v", role, members)
			}
		}
	}
	for _, a := range inv.Args {
		if strings.Contains(strings.Join(a.Values, ","), scanner) {
			t.Errorf("a flag names the scanner: %+v", a)
		}
	}
}
