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

// stations is what the table learnt of the link layer: which MAC each
// address is behind and, per MAC, whether it fronts more than the table
// kept behind it alone. Both maps stay within maxMACs entries: byMAC has
// an entry only for a MAC some kept address is behind.
type stations struct {
	byAddr map[capture.Addr]station
	// crowded marks a MAC that fronted an address the table could not
	// keep behind it alone (one past the cap, or one also seen behind
	// another MAC): what the table lists behind it is not all it fronts.
	byMAC map[[6]byte]bool
}

// noteMAC remembers, for both ends of a frame, the Ethernet address the
// IP address sent from or was sent to. On a capture taken on the server
// its own addresses, IPv4 and IPv6, all sit behind its NIC's MAC: server
// inference uses that to pair the two families.
func (t *Table) noteMAC(p *capture.Packet) {
	if t.macs.byAddr == nil {
		t.macs = stations{byAddr: map[capture.Addr]station{}, byMAC: map[[6]byte]bool{}}
	}
	t.macs.note(p.Src, p.SrcMAC)
	t.macs.note(p.Dst, p.DstMAC)
}

func (st *stations) note(a capture.Addr, mac [6]byte) {
	if mac[0]&1 != 0 {
		return // multicast or broadcast: no station
	}
	s, ok := st.byAddr[a]
	switch {
	case !ok && len(st.byAddr) < maxMACs:
		st.byAddr[a] = station{mac: mac}
		if _, known := st.byMAC[mac]; !known {
			st.byMAC[mac] = false
		}
	case !ok:
		// Full: a kept MAC fronts one more address than the table lists.
		if _, known := st.byMAC[mac]; known {
			st.byMAC[mac] = true
		}
	case s.mac != mac && !s.conflict:
		st.byAddr[a] = station{mac: s.mac, conflict: true}
		st.byMAC[s.mac] = true
		if _, known := st.byMAC[mac]; known {
			st.byMAC[mac] = true
		}
	}
}

// MAC returns the Ethernet address a was seen behind on the matrix ports;
// false when no Ethernet frame showed it or when it showed two.
func (t *Table) MAC(a capture.Addr) ([6]byte, bool) {
	s, ok := t.macs.byAddr[a]
	return s.mac, ok && !s.conflict
}

// SetMACPorts changes the ports whose flows record stations (nil: none);
// call it before the first packet.
func (t *Table) SetMACPorts(ps *PortSet) { t.cfg.MACPorts = ps }

// EachStation calls fn for every address seen behind a single MAC.
func (t *Table) EachStation(fn func(a capture.Addr, mac [6]byte)) {
	for a, s := range t.macs.byAddr {
		if !s.conflict {
			fn(a, s.mac)
		}
	}
}

// Crowded says whether mac fronted an address that EachStation does not
// list behind it: one past the table's cap, or one also seen behind
// another MAC. The addresses listed behind a crowded MAC are not all it
// fronts, so they cannot be taken for one host's.
func (t *Table) Crowded(mac [6]byte) bool { return t.macs.byMAC[mac] }
