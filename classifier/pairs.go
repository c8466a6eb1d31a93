package classifier

import (
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/report"
)

// stationPairs pairs an IPv4 and an IPv6 address seen behind one MAC that
// fronts no other address of either family: one dual-stack host. A
// router's MAC fronts many addresses and pairs none, and so does a MAC
// that fronted an address the table could not keep (Crowded): what is
// listed behind it is not all there is. Link-local addresses are left
// out, as every IPv6 interface has one beside its global address. keep,
// when set, says which addresses count at all (those the caller
// describes). hosts and the rule peers of analyze and monitor pair by it
// alike, so one host is one peer in both.
func stationPairs(t *flow.Table, keep func(netip.Addr) bool) map[netip.Addr]netip.Addr {
	type fams struct{ v4, v6 []netip.Addr }
	by := map[[6]byte]*fams{}
	if t != nil {
		t.EachStation(func(a capture.Addr, mac [6]byte) {
			na := a.Netip()
			if na.IsLinkLocalUnicast() || keep != nil && !keep(na) {
				return
			}
			f := by[mac]
			if f == nil {
				f = &fams{}
				by[mac] = f
			}
			if na.Is4() {
				f.v4 = append(f.v4, na)
			} else {
				f.v6 = append(f.v6, na)
			}
		})
	}
	out := map[netip.Addr]netip.Addr{}
	for mac, f := range by {
		if len(f.v4) == 1 && len(f.v6) == 1 && !t.Crowded(mac) {
			out[f.v4[0]], out[f.v6[0]] = f.v6[0], f.v4[0]
		}
	}
	return out
}

// pairPeers folds the two rows of a rule's peers that are one dual-stack
// station (stationPairs) into one, named by its MAC as hosts shows it,
// with both addresses and the counts of both. Only rows of one status
// fold: a host reached on IPv4 and blocked on IPv6 stays two rows, so
// that the rule stays partial; folded, PeerStatus of the sums would call
// it reached, here and in every merge of the report. Rows of a named
// host are the matrix's and are left as they are.
func (a *analyzer) pairPeers(peers []report.Peer) []report.Peer {
	if a.table == nil || len(peers) < 2 {
		return peers
	}
	partner := stationPairs(a.table, nil)
	if len(partner) == 0 {
		return peers
	}
	row := map[netip.Addr]int{}
	for i, p := range peers {
		if ad, err := netip.ParseAddr(p.Address); p.Host == "" && err == nil {
			row[ad] = i
		}
	}
	gone := make([]bool, len(peers))
	for i := range peers {
		p := &peers[i]
		v4, err := netip.ParseAddr(p.Address)
		if gone[i] || p.Host != "" || err != nil || !v4.Is4() {
			continue
		}
		j, ok := row[partner[v4]]
		mac, named := a.table.MAC(capture.AddrFromNetip(v4))
		if !ok || !named || peers[j].Status != p.Status {
			continue
		}
		q := peers[j]
		p.Host, p.Address, p.Addresses = net.HardwareAddr(mac[:]).String(), "", []string{v4.String(), q.Address}
		p.Flows += q.Flows
		p.Allowed += q.Allowed
		p.Blocked += q.Blocked
		p.Unconfirmed += q.Unconfirmed
		gone[j] = true
	}
	out := peers[:0]
	for i, p := range peers {
		if !gone[i] {
			out = append(out, p)
		}
	}
	// Named first, by name, as rulePeers orders them.
	slices.SortStableFunc(out, func(x, y report.Peer) int {
		if x.Host == "" || y.Host == "" {
			return strings.Compare(y.Host, x.Host)
		}
		return strings.Compare(x.Host, y.Host)
	})
	return out
}
