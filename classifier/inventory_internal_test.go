package classifier

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
)

// The site configuration is built from the addresses as read, not from
// their text: a server address in the report that does not parse (a
// zone, a hand-made report) names no host, and nothing panics.
func TestSiteConfigOddServerAddresses(t *testing.T) {
	m, err := matrix.Load(matrix.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tm, dc := netip.MustParseAddr("10.20.0.10"), netip.MustParseAddr("10.20.0.21")
	hosts := []report.InventoryHost{{Name: "tm", Addresses: []string{"10.20.0.10"}}, {Name: "dc1", Addresses: []string{"10.20.0.21"}}}
	addrs := [][]netip.Addr{{tm}, {dc}}
	reached := map[netip.Addr][]string{dc: {"ldap-out"}}
	for _, c := range []struct {
		server []string
		want   []string
	}{
		{[]string{"10.20.0.10"}, []string{"tm"}},
		{[]string{"", "fe80::1%", "10.20.0.10/32", "not an address"}, nil},
		{[]string{"nonsense", "10.20.0.10"}, []string{"tm"}},
	} {
		r := &report.Report{Server: report.Server{Addresses: c.server}}
		cfg, _ := siteConfig(m, r, hosts, addrs, reached)
		if !slices.Equal(cfg.Server, c.want) {
			t.Errorf("server addresses %q: server %v, want %v", c.server, cfg.Server, c.want)
		}
		if !slices.Equal(cfg.Roles["domain-controllers"], []string{"dc1"}) {
			t.Errorf("server addresses %q: domain-controllers %v, want dc1", c.server, cfg.Roles["domain-controllers"])
		}
	}
}
