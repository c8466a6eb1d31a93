package protocol

import (
	"fmt"
	"testing"
)

func TestWellKnownPortsAreConsistent(t *testing.T) {
	seen := map[string]bool{}
	usual := map[uint16]ID{}
	for _, p := range wellKnownPorts() {
		k := fmt.Sprintf("%d/%d", p.transport, p.number)
		if seen[k] {
			t.Errorf("port %s is declared twice", k)
		}
		seen[k] = true
		if p.transport != TCP && p.transport != UDP {
			t.Errorf("port %s: transport %d", k, p.transport)
		}
		if p.answers && p.transport != UDP {
			t.Errorf("port %s answers requests, which only a UDP port is said to do", k)
		}
		if p.usual >= numIDs {
			t.Errorf("port %s: usual protocol %d is no ID", k, p.usual)
		}
		// The tie-break reads the usual protocol by number alone: both
		// transports of a number must agree.
		if p.usual != Unknown {
			if u, ok := usual[p.number]; ok && u != p.usual {
				t.Errorf("port %d is usually %s and %s", p.number, u, p.usual)
			}
			usual[p.number] = p.usual
		}
	}
}

func TestPortTableLookups(t *testing.T) {
	tab := newPortTable()
	for _, c := range []struct {
		tr    Transport
		port  uint16
		usual ID
		hint  bool
	}{
		{UDP, 514, Syslog, true},
		{UDP, 10000, Unknown, false},
		{TCP, 88, Kerberos, false},
		{UDP, 88, Kerberos, true},
		{TCP, 3268, LDAP, true},
		{UDP, 138, Unknown, true},
		{TCP, 5985, Unknown, true},
		{TCP, 40000, Unknown, false},
	} {
		if got := tab.Usual(c.port); got != c.usual {
			t.Errorf("%d/%d usual %s, want %s", c.tr, c.port, got, c.usual)
		}
		if _, ok := tab.Hint(c.tr, c.port); ok != c.hint {
			t.Errorf("%d/%d hint %v, want %v", c.tr, c.port, ok, c.hint)
		}
	}
	has := func(list []uint16, p uint16) bool {
		for _, x := range list {
			if x == p {
				return true
			}
		}
		return false
	}
	if !has(tab.ServerPorts(), 5672) || has(tab.ServerPorts(), 69) {
		t.Errorf("server ports %v", tab.ServerPorts())
	}
	if !has(tab.AnsweringUDPPorts(), 53) || has(tab.AnsweringUDPPorts(), 514) {
		t.Errorf("answering ports %v: syslog is one-way", tab.AnsweringUDPPorts())
	}
}
