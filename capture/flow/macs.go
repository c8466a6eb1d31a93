package flow

import "github.com/flowverify/flowverify/capture"

// maxMACs bounds the stations remembered: enough for every host a site's
// server talks to on its matrix ports, and a flood of spoofed addresses
// cannot grow it further.
const maxMACs = 4096

// station is the link-layer address an IP address was seen behind.
type station struct {
	mac      [6]byte
	conflict bool // seen behind two MACs (a router, a move): says nothing
}

// noteMAC remembers, for both ends of a frame, the Ethernet address the
// IP address sent from or was sent to. On a capture taken on the server
// its own addresses, IPv4 and IPv6, all sit behind its NIC's MAC: server
// inference uses that to pair the two families.
func (t *Table) noteMAC(p *capture.Packet) {
	if t.macs == nil {
		t.macs = map[capture.Addr]station{}
	}
	t.noteStation(p.Src, p.SrcMAC)
	t.noteStation(p.Dst, p.DstMAC)
}

func (t *Table) noteStation(a capture.Addr, mac [6]byte) {
	if mac[0]&1 != 0 {
		return // multicast or broadcast: no station
	}
	s, ok := t.macs[a]
	switch {
	case !ok && len(t.macs) < maxMACs:
		t.macs[a] = station{mac: mac}
	case ok && s.mac != mac && !s.conflict:
		t.macs[a] = station{mac: s.mac, conflict: true}
	}
}

// MAC returns the Ethernet address a was seen behind on the matrix ports;
// false when no Ethernet frame showed it or when it showed two.
func (t *Table) MAC(a capture.Addr) ([6]byte, bool) {
	s, ok := t.macs[a]
	return s.mac, ok && !s.conflict
}

// SetMACPorts changes the ports whose flows record stations (nil: none);
// call it before the first packet.
func (t *Table) SetMACPorts(ps *PortSet) { t.cfg.MACPorts = ps }

// EachStation calls fn for every address seen behind a single MAC.
func (t *Table) EachStation(fn func(a capture.Addr, mac [6]byte)) {
	for a, s := range t.macs {
		if !s.conflict {
			fn(a, s.mac)
		}
	}
}
