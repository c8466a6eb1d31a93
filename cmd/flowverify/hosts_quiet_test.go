package main

import (
	"testing"
)

// TestHostsQuiet: hosts -q is analyze -q, no progress bar and nothing
// else: on real captures the exit status (0 with a server, 2 without one,
// 3 for a damaged input), the inventory on stdout and the warnings on
// stderr are those of the same run without it.
func TestHostsQuiet(t *testing.T) {
	cases := []struct {
		file string
		code int
	}{
		{"../../testdata/real/lab-dual-stack.pcap", exitOK},
		{"../../testdata/real/icmp-echo.pcap", exitUsage}, // no server: 2
		{"../../testdata/pcaps/suricata_corrupt_record_smtp.pcap", exitDamaged},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			q := flowverify(t, nil, "hosts", "-q", c.file)
			plain := flowverify(t, nil, "hosts", c.file)
			if q.code != c.code || plain.code != c.code {
				t.Fatalf("exit %d with -q, %d without; want %d: %s", q.code, plain.code, c.code, q.stderr)
			}
			if q.stdout == "" || q.stdout != plain.stdout {
				t.Errorf("-q changed or dropped the inventory:\n%s\n---\n%s", q.stdout, plain.stdout)
			}
			if q.stderr != plain.stderr {
				t.Errorf("-q changed stderr: %q, without %q", q.stderr, plain.stderr)
			}
		})
	}
}
