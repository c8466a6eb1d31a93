package matrix

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Host is one machine under a name, with every address it uses: a
// Windows domain controller answers on its IPv4 and its IPv6 address, and
// it is one peer that a rule reaches, not two.
type Host struct {
	Name  string
	Addrs []netip.Addr
	from  origin
}

// Peer is what a rule expects to reach on its own: a named host, or one
// address that no host claims.
type Peer struct {
	Host  string // "" for an unnamed address
	Addrs []netip.Addr
}

// Key names the peer in reports: the host name, else the address.
func (p Peer) Key() string {
	if p.Host != "" {
		return p.Host
	}
	return p.Addrs[0].String()
}

// origin says where a setting came from, so that an error found only once
// every layer is applied (a role naming a host that no layer defines)
// still names the user's key.
// origin is where a value came from: a file's key, a variable, or a
// setting of the caller's (then key is the name it was given for).
type origin struct {
	src, key string
	setting  Setting
}

func (o origin) errorf(format string, a ...any) error {
	return &ConfigError{Source: o.src, Key: o.key, Setting: o.setting, Msg: fmt.Sprintf(format, a...)}
}

// wrap is errorf for a cause that is a value of its own.
func (o origin) wrap(err error) error {
	return &ConfigError{Source: o.src, Key: o.key, Setting: o.setting, Err: err}
}

// HostOf returns the host that a belongs to, or nil.
func (m *Matrix) HostOf(a netip.Addr) *Host { return m.hostOf[a.Unmap()] }

// PeerOf names the peer that address a is: its host, or itself.
func (m *Matrix) PeerOf(a netip.Addr) Peer {
	if h := m.HostOf(a); h != nil {
		return Peer{Host: h.Name, Addrs: h.Addrs}
	}
	return Peer{Addrs: []netip.Addr{a}}
}

// hostName is how a host is known: names are case-insensitive (YAML keys
// reach us lowercased), and FLOWVERIFY_HOSTS_DC_1 names host dc-1.
func hostName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// setHost adds or replaces a host; addresses are checked in resolve, when
// every layer has had its say.
func (m *Matrix) setHost(name string, addrs []string, from origin) error {
	name = hostName(name)
	if err := checkName(name); err != nil {
		return from.wrap(err)
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return from.errorf("%q: a host name must not be an address", name)
	}
	h := &Host{Name: name, from: from}
	for _, s := range splitList(addrs) {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil || a.Zone() != "" {
			return from.errorf("%q is not an IP address (a host lists addresses; CIDRs belong in roles)", s)
		}
		h.Addrs = append(h.Addrs, a.Unmap())
	}
	if m.Hosts[name] == nil {
		m.HostOrder = append(m.HostOrder, name)
		slices.Sort(m.HostOrder)
	}
	m.Hosts[name] = h
	return nil
}

// resolve checks the hosts and turns role members and server entries that
// name hosts into addresses: run once, after the profile, the user's file,
// the environment and the flags are applied.
func (m *Matrix) resolve() error {
	m.hostOf = map[netip.Addr]*Host{}
	for _, name := range m.HostOrder {
		h := m.Hosts[name]
		if len(h.Addrs) == 0 {
			return h.from.errorf("host %q has no addresses", name)
		}
		for _, a := range h.Addrs {
			if o := m.hostOf[a]; o != nil && o != h {
				return h.from.errorf("address %s is also in host %q; an address belongs to one host", a, o.Name)
			}
			m.hostOf[a] = h
		}
	}
	for _, name := range m.RoleOrder {
		if err := m.resolveRole(m.Roles[name]); err != nil {
			return err
		}
	}
	return m.resolveServer()
}

func (m *Matrix) resolveRole(r *Role) error {
	r.Prefixes, r.Peers = nil, nil
	seen := map[string]bool{}
	add := func(p Peer) {
		if !seen[p.Key()] {
			seen[p.Key()] = true
			r.Peers = append(r.Peers, p)
		}
	}
	for _, s := range r.Members {
		s = strings.TrimSpace(s)
		if p, err := parseAddrOrPrefix(s); err == nil {
			r.Prefixes = append(r.Prefixes, p)
			if p.IsSingleIP() {
				add(m.PeerOf(p.Addr()))
			}
			continue
		}
		h, err := m.lookupHost(s)
		if err != nil {
			return r.from.wrap(err)
		}
		for _, a := range h.Addrs {
			r.Prefixes = append(r.Prefixes, netip.PrefixFrom(a, a.BitLen()))
		}
		add(Peer{Host: h.Name, Addrs: h.Addrs})
	}
	return nil
}

// lookupHost finds a host named in a role or in --server.
func (m *Matrix) lookupHost(s string) (*Host, error) {
	if checkName(s) != nil || strings.Contains(s, ":") {
		return nil, fmt.Errorf("%q is not an IP address, a CIDR or a host name", s)
	}
	if h := m.Hosts[hostName(s)]; h != nil {
		return h, nil
	}
	return nil, &UnknownHostError{Name: s, Known: m.HostOrder}
}

// resolveServer reads the server entries: auto, addresses, or host names.
func (m *Matrix) resolveServer() error {
	list := m.serverList
	m.Server, m.ServerAuto, m.ServerHost = nil, false, ""
	if len(list) == 0 || (len(list) == 1 && strings.EqualFold(strings.TrimSpace(list[0]), "auto")) {
		m.ServerAuto = true
		return nil
	}
	for _, s := range list {
		s = strings.TrimSpace(s)
		if strings.EqualFold(s, "auto") {
			return m.serverFrom.errorf(`"auto" cannot be combined with addresses`)
		}
		if a, err := netip.ParseAddr(s); err == nil {
			m.Server = append(m.Server, a.Unmap())
			continue
		}
		h, err := m.lookupHost(s)
		if err != nil {
			return m.serverFrom.wrap(err)
		}
		m.Server = append(m.Server, h.Addrs...)
		m.ServerHost = h.Name
	}
	// An address of a named host stands for the host: its other
	// addresses are the server's too.
	for _, a := range m.Server {
		if h := m.HostOf(a); h != nil {
			m.ServerHost = h.Name
			for _, b := range h.Addrs {
				if !slices.Contains(m.Server, b) {
					m.Server = append(m.Server, b)
				}
			}
		}
	}
	return nil
}
