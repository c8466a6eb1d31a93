package classifier_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/testcaps"
)

// TestInventoryWeakParts: a host the server reached only through its
// usual talk beyond the matrix (site.weak_evidence with a part) plays that
// part, and its evidence says so; a row's reach still comes first, and a
// kind with only_with never makes a part by itself.
func TestInventoryWeakParts(t *testing.T) {
	m, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dc := ""
	for _, p := range m.Site.Parts {
		if p.Name == "dc" {
			dc = p.LooksLike
		}
	}
	for _, tc := range []struct {
		capture, addr, looksLike, evidence string
	}{
		// The global catalog and CLDAP answered: a domain controller.
		{"dc-talk", "10.99.0.22", dc, "weak evidence, the server with it: opens the global catalog tcp/3268, opens CLDAP udp/389"},
		// LDAPS alone.
		{"ldaps-636", "10.99.0.21", dc, "weak evidence, the server with it: opens LDAPS tcp/636"},
		// Kerberos over UDP alone.
		{"kerberos-udp88", "10.99.0.21", dc, "weak evidence, the server with it: opens Kerberos udp/88"},
	} {
		t.Run(tc.capture, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "testdata", "real", "shapes", tc.capture+".pcap"))
			if err != nil {
				t.Fatal(err)
			}
			inv, err := classifier.Inventory(m, testcaps.Sources(t, tc.capture, data), nil, classifier.Options{Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range inv.Hosts {
				if !slices.Contains(h.Addresses, tc.addr) {
					continue
				}
				if h.LooksLike != tc.looksLike || !slices.Contains(h.Evidence, tc.evidence) {
					t.Fatalf("%s looks like %q with evidence\n  %s\nwant %q and %q", tc.addr, h.LooksLike, strings.Join(h.Evidence, "\n  "), tc.looksLike, tc.evidence)
				}
				return
			}
			t.Fatalf("no host %s in %v", tc.addr, inv.Hosts)
		})
	}
}
