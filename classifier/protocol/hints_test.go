package protocol

import (
	"strings"
	"testing"
)

// A port's hint describes the protocol and what its clients do; what a
// matrix lists is the matrix's to say (matrix.Hint computes it from the
// loaded rows), or the hint would be false under another profile.
func TestPortHintsNameNoMatrix(t *testing.T) {
	for _, p := range wellKnownPorts() {
		for _, word := range []string{"matrix", "Threat Manager", "profile", "listed", "lists"} {
			if strings.Contains(p.hint, word) {
				t.Errorf("transport %d port %d: hint %q speaks of %q", p.transport, p.number, p.hint, word)
			}
		}
	}
}

// The hints that once said what the matrix lists still say what the
// protocol is.
func TestPortHintsDescribeTheProtocol(t *testing.T) {
	for _, c := range []struct {
		tr   Transport
		port uint16
		want string
	}{
		{UDP, 389, "CLDAP"},
		{TCP, 3268, "global catalog"},
		{UDP, 88, "fall back to TCP"},
		{TCP, 445, "SMB"},
		{TCP, 3269, "global catalog over TLS"},
	} {
		h, ok := Ports().Hint(c.tr, c.port)
		if !ok || !strings.Contains(h, c.want) {
			t.Errorf("transport %d port %d: %q, want it to hold %q", c.tr, c.port, h, c.want)
		}
	}
}
