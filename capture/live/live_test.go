package live

import (
	"strings"
	"testing"
)

// TestOpenRefusesAMissingDevice opens a device that does not exist after
// one that does: the error names the missing one and no capture comes
// back.
func TestOpenRefusesAMissingDevice(t *testing.T) {
	devs, err := Interfaces()
	if err != nil || len(devs) == 0 {
		t.Skipf("libpcap lists no capture devices here (%v)", err)
	}
	lo := ""
	for _, d := range devs {
		if d.Loopback {
			lo = d.Name
		}
	}
	if lo == "" {
		t.Skip("no loopback device to open")
	}
	alone, err := Open([]string{lo}, Options{})
	if err != nil {
		t.Skipf("cannot capture on %s here: %v", lo, err)
	}
	alone.Close()
	c, err := Open([]string{lo, "flowverify-none0"}, Options{})
	if err == nil {
		c.Close()
		t.Fatal("opened a device that does not exist")
	}
	if c != nil || !strings.Contains(err.Error(), "interface flowverify-none0") {
		t.Errorf("Open gave %v, %v; want no capture and an error naming flowverify-none0", c, err)
	}
}
