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

// TestPermissionHint: the texts gopacket/pcap v1.7 and libpcap really
// give (the two "lo" ones as printed here, running as nobody, by
// Activate and by OpenLive) decide the hint, whole or by their
// strerror ending; an errno is fs.ErrPermission by itself; a message
// that merely holds a word ("load", "permission") gets no hint.
func TestPermissionHint(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want int // pcapDenied: what to grant; pcapNoLibrary: install Npcap
	}{
		{"Activate as nobody", pcapError{errors.New("Permission Denied")}, pcapDenied},
		{"OpenLive as nobody", pcapError{errors.New("lo: You don't have permission to perform this capture on that device (socket: Operation not permitted)")}, pcapDenied},
		{"older libpcap", pcapError{errors.New("eth0: You don't have permission to capture on that device (socket: Operation not permitted)")}, pcapDenied},
		{"activate's error, EACCES", pcapError{errors.New("Error: can't mmap rx ring: Permission denied")}, pcapDenied},
		{"promiscuous mode refused", pcapError{errors.New("unknown activated error: -11")}, pcapDenied},
		{"an errno", fmt.Errorf("open /dev/bpf0: %w", syscall.EACCES), pcapDenied},
		{"EPERM", fmt.Errorf("socket: %w", syscall.EPERM), pcapDenied},
		{"no wpcap.dll", pcapError{errors.New("couldn't load wpcap.dll")}, pcapNoLibrary},
		{"no such device", pcapError{errors.New("eth9: No such device exists (SIOCGIFHWADDR: No such device)")}, pcapOther},
		{"gopacket's no such device", pcapError{errors.New("No Such Device")}, pcapOther},
		{"kernel32.dll", pcapError{errors.New("couldn't load kernel32.dll")}, pcapOther},
		{"a download", pcapError{errors.New("download of the capture driver failed")}, pcapOther},
		{"a payload", pcapError{errors.New("Error: payload too large to load")}, pcapOther},
		{"the word alone", pcapError{errors.New("permission")}, pcapOther},
		{"not libpcap's", errors.New("couldn't load wpcap.dll"), pcapOther},
		{"permission, not libpcap's", errors.New("Permission Denied"), pcapOther},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := PermissionHint(c.err)
			if !errors.Is(got, c.err) || !strings.HasPrefix(got.Error(), c.err.Error()) {
				t.Fatalf("%v: want the cause wrapped, its words first", got)
			}
			if errors.Is(got, fs.ErrPermission) != (c.want == pcapDenied) {
				t.Errorf("%v: permission %v, want %v", got, !(c.want == pcapDenied), c.want == pcapDenied)
			}
			hint := "CAP_NET_RAW"
			if runtime.GOOS == "windows" {
				hint = "administrator"
			}
			if strings.Contains(got.Error(), hint) && c.want == pcapOther || strings.Contains(got.Error(), "install Npcap") != (c.want == pcapNoLibrary) {
				t.Errorf("%q: hint wrong for %d", got, c.want)
			}
			if c.want != pcapOther && got.Error() == c.err.Error() {
				t.Errorf("%q: no hint", got)
			}
		})
	}
}
