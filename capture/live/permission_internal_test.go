package live

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// TestPermissionHint: a refused permission, told by libpcap in words or
// by the system as an errno, is fs.ErrPermission to errors.Is and gets
// what to grant; any other error passes as it is.
func TestPermissionHint(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the hint names Npcap there")
	}
	cases := []struct {
		name       string
		err        error
		permission bool
	}{
		{"pcap_activate's message", pcapError{errors.New("eth0: You don't have permission to capture on that device (socket: Operation not permitted)")}, true},
		{"gopacket's activation status", pcapError{errors.New("Permission Denied")}, true},
		{"an errno", fmt.Errorf("open /dev/bpf0: %w", syscall.EACCES), true},
		{"no such device", pcapError{errors.New("eth9: No such device exists (SIOCGIFHWADDR: No such device)")}, false},
		{"a word that is not libpcap's", errors.New("permission"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := PermissionHint(c.err)
			if errors.Is(got, fs.ErrPermission) != c.permission || !errors.Is(got, c.err) {
				t.Fatalf("%v: permission %v, want %v, wrapping the cause", got, errors.Is(got, fs.ErrPermission), c.permission)
			}
			hinted := strings.Contains(got.Error(), "CAP_NET_RAW")
			if hinted != c.permission || !strings.HasPrefix(got.Error(), c.err.Error()) {
				t.Errorf("%q: hint %v, want %v, after the cause's own words", got, hinted, c.permission)
			}
		})
	}
}
