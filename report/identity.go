package report

import (
	"cmp"
	"net/netip"
	"slices"
)

// peerID is who a peer is, as far as two reports can tell: the host name
// it was reported under (empty for a bare address) and every address it
// stands for. The same machine is written "host: dc1" with its addresses
// when the site names it and "address: 198.18.0.21" when it does not, so
// diff and merge must not tell peers apart by the written key alone.
type peerID struct {
	name  string
	addrs []string // canonical, sorted, unique
}

// canonAddr writes an address the one way netip does ("2001:db8::1",
// never "2001:0db8::1"), so that two reports written by different tools
// or edited by hand still match; a string that is no address ("(others)")
// is kept as it is and matches only itself.
func canonAddr(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	return s
}

func newPeerID(name string, addrs []string) peerID {
	id := peerID{name: name}
	for _, a := range addrs {
		id.addrs = append(id.addrs, canonAddr(a))
	}
	slices.Sort(id.addrs)
	id.addrs = slices.Compact(id.addrs)
	return id
}

// peerID is a rule's peer's identity. A named peer written without its
// addresses (a report edited by hand, or one from before they were kept)
// takes them from the report's hosts.
func (r *Report) peerID(p Peer) peerID {
	if p.Host == "" {
		return newPeerID("", []string{p.Address})
	}
	addrs := p.Addresses
	if len(addrs) == 0 {
		addrs = r.hostAddrs(p.Host)
	}
	return newPeerID(p.Host, addrs)
}

// keyID is the identity of a peer written as one string (a missing peer,
// an unexpected group's peer): a host the report names, else an address.
func (r *Report) keyID(key string) peerID {
	for _, h := range r.Hosts {
		if h.Name == key {
			return newPeerID(key, h.Addresses)
		}
	}
	return newPeerID("", []string{key})
}

// key is the identity written as a report writes it: the name, else the
// address.
func (id peerID) key() string {
	if id.name != "" || len(id.addrs) == 0 {
		return id.name
	}
	return id.addrs[0]
}

// same says whether two identities are one peer: the same host name, or
// an address in common. Two different names on one address are the same
// machine renamed; one name on disjoint addresses is the same host whose
// addresses were described differently.
func (id peerID) same(o peerID) bool {
	if id.name != "" && id.name == o.name {
		return true
	}
	for _, a := range id.addrs {
		if _, ok := slices.BinarySearch(o.addrs, a); ok {
			return true
		}
	}
	return false
}

// union is both identities' addresses under the first name either has.
func (id peerID) union(o peerID) peerID {
	name := id.name
	if name == "" {
		name = o.name
	}
	return newPeerID(name, append(slices.Clone(id.addrs), o.addrs...))
}

// peerLess orders peers as the analysis does: named hosts first, by name;
// then bare addresses in address order.
func peerLess(x, y peerID) int {
	switch {
	case x.name != "" && y.name != "":
		return cmp.Compare(x.name, y.name)
	case x.name != "":
		return -1
	case y.name != "":
		return 1
	}
	return compareAddrs(x.key(), y.key())
}

// compareAddrs orders addresses numerically (10.0.0.9 before 10.0.0.10),
// and anything that is no address after them, by its text.
func compareAddrs(a, b string) int {
	x, errX := netip.ParseAddr(a)
	y, errY := netip.ParseAddr(b)
	switch {
	case errX == nil && errY == nil:
		return x.Compare(y)
	case errX == nil:
		return -1
	case errY == nil:
		return 1
	}
	return cmp.Compare(a, b)
}
