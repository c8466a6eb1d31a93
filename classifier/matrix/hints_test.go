package matrix_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/matrix"
)

// What a hint says of the matrix is computed from the loaded rows, so it
// holds under either shipped profile and under a file that lists LDAP on
// another port; the protocols' words stay the same in all three.
func TestHintSaysWhatThisMatrixLists(t *testing.T) {
	load := func(o matrix.LoadOptions) *matrix.Matrix {
		t.Helper()
		m, err := matrix.Load(o)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	file := filepath.Join(t.TempDir(), "matrix.yaml")
	custom := "extends: threatmanager\nrules:\n  - id: ldap-tls-out\n    direction: outbound\n    transport: tcp\n" +
		"    ports: \"636\"\n    role: [domain-controllers]\n    protocol: [ldap, tls]\n" +
		"hints:\n  - {transport: tcp, ports: \"636,3269\", text: the site's own word}\n"
	if err := os.WriteFile(file, []byte(custom), 0o600); err != nil {
		t.Fatal(err)
	}
	def := load(matrix.LoadOptions{})
	v3 := load(matrix.LoadOptions{Profile: "threatmanager-3.0"})
	own := load(matrix.LoadOptions{ConfigFile: file})
	const tcp, udp = capture.ProtoTCP, capture.ProtoUDP
	for _, c := range []struct {
		name    string
		m       *matrix.Matrix
		proto   uint8
		port    uint16
		want    string
		inbound bool
	}{
		{"default gc", def, tcp, 3268, "LDAP on 3268: the global catalog; the matrix lists tcp/389 for ldap", false},
		{"3.0 gc", v3, tcp, 3268, "LDAP on 3268: the global catalog; the matrix lists tcp/389 for ldap", false},
		{"file gc", own, tcp, 3268, "LDAP on 3268: the global catalog; the matrix lists tcp/389, tcp/636 for ldap", false},
		{"default cldap", def, udp, 389, "CLDAP (LDAP over UDP): the domain controller locator's ping; the matrix lists tcp/389 for ldap", false},
		{"file cldap", own, udp, 389, "CLDAP (LDAP over UDP): the domain controller locator's ping; the matrix lists tcp/389, tcp/636 for ldap", false},
		{"default kerberos", def, udp, 88, "Kerberos over UDP 88: MIT and Windows clients try UDP first and fall back to TCP, after a delay where UDP is dropped; the matrix lists tcp/88 for kerberos", false},
		{"3.0 kerberos", v3, udp, 88, "; the matrix lists tcp/88 for kerberos", false},
		// No row names SMB: the protocols' word alone, no claim on the matrix.
		{"default smb", def, tcp, 445, "SMB: file sharing or named pipes", false},
		// The 3.0 matrix lists LDAPS on 636 (as TLS): the global catalog's
		// TLS port says so; the default lists none there.
		{"3.0 gc tls", v3, tcp, 3269, "LDAPS on 3269: the global catalog over TLS; the matrix lists tcp/10001, tcp/8080, tcp/636 for tls", false},
		{"default gc tls", def, tcp, 3269, "LDAPS on 3269: the global catalog over TLS; the matrix lists tcp/10001, tcp/8080 for tls", false},
		// Order: a row documenting the port the other way round, then the
		// file's own hints, then the protocols' word.
		{"file hint wins", own, tcp, 3269, "the site's own word", false},
		{"reversed row wins", own, tcp, 636, "tcp 636 is documented outbound (ldap-tls-out), seen inbound", true},
		{"profile hint wins", def, tcp, 636, "LDAPS: listed in the later Threat Manager matrix (threatmanager-3.0), not in this one", false},
		{"3.0 ldaps", v3, tcp, 636, "LDAPS (LDAP over TLS); the matrix lists tcp/10001, tcp/8080, tcp/636 for tls", false},
		{"other transport", def, udp, 9389, "udp 9389: the matrix lists tcp 9389 only", false},
	} {
		dir := matrix.Outbound
		if c.inbound {
			dir = matrix.Inbound
		}
		got := c.m.Hint(c.proto, c.port, dir)
		if !strings.HasSuffix(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// The 3.0 profile lists LDAPS 636 beside 389: no hint of it may claim the
// matrix lists 389 only.
func TestHintTrueUnderProfile30(t *testing.T) {
	m, err := matrix.Load(matrix.LoadOptions{Profile: "threatmanager-3.0"})
	if err != nil {
		t.Fatal(err)
	}
	for _, port := range []uint16{389, 3268, 3269, 88} {
		for _, proto := range []uint8{capture.ProtoTCP, capture.ProtoUDP} {
			if h := m.Hint(proto, port, matrix.Outbound); strings.Contains(h, "389 only") || strings.Contains(h, "TCP only") {
				t.Errorf("%s/%d: %q", matrix.TransportName(proto), port, h)
			}
		}
	}
}
