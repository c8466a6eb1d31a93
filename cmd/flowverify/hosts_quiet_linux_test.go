package main

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestHostsQuietOnATerminal: with stderr a terminal, hosts draws the
// progress bar analyze draws, and -q leaves it out.
func TestHostsQuietOnATerminal(t *testing.T) {
	file := "../../testdata/real/lab-dual-stack.pcap"
	for _, c := range []struct {
		args []string
		bar  bool
	}{{[]string{"hosts", file}, true}, {[]string{"hosts", "-q", file}, false}} {
		tty, read := openPty(t)
		var out bytes.Buffer
		code := run(c.args, &out, tty, nil)
		tty.Close()
		got := read()
		if code != exitOK || out.Len() == 0 {
			t.Fatalf("%v: exit %d, %d bytes of inventory", c.args, code, out.Len())
		}
		if bytes.Contains(got, []byte("reading")) != c.bar {
			t.Errorf("%v: terminal got %q; want the progress bar %v", c.args, got, c.bar)
		}
	}
}

// openPty opens a pseudo-terminal: its terminal end, and a function that
// reads what was written to it once that end is closed.
func openPty(t *testing.T) (*os.File, func() []byte) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	tty, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open the terminal end: %v", err)
	}
	return tty, func() []byte {
		// The terminal end is closed: the master reads what is buffered,
		// then EIO. A deadline bounds a kernel that would block instead.
		ptm.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(ptm)
		return b
	}
}
