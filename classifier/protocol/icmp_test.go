package protocol

import "testing"

func TestICMPWording(t *testing.T) {
	cases := []struct {
		v6             bool
		ty, code       uint8
		name, codeName string
	}{
		{false, 8, 0, "echo-request", ""},
		{false, 3, 3, "destination-unreachable/3", "port unreachable"},
		{false, 3, 13, "destination-unreachable/13", "administratively prohibited"},
		{false, 3, 7, "destination-unreachable/7", ""},
		{false, 11, 1, "time-exceeded/1", ""},
		{false, 42, 0, "type-42", ""},
		{true, 128, 0, "echo-request", ""},
		{true, 1, 1, "destination-unreachable/1", "administratively prohibited"},
		{true, 1, 4, "destination-unreachable/4", "port unreachable"},
		{true, 2, 0, "packet-too-big", ""},
		// ICMPv6 type 3 is time exceeded, not ICMP's destination unreachable.
		{true, 3, 3, "time-exceeded/3", ""},
	}
	for _, c := range cases {
		if got := ICMPName(c.v6, c.ty, c.code); got != c.name {
			t.Errorf("ICMPName(%v, %d, %d) = %q, want %q", c.v6, c.ty, c.code, got, c.name)
		}
		if got, want := IsEchoRequest(c.v6, c.ty), c.name == "echo-request"; got != want {
			t.Errorf("IsEchoRequest(%v, %d) = %v, want %v", c.v6, c.ty, got, want)
		}
		if got := ICMPCodeName(c.v6, c.ty, c.code); got != c.codeName {
			t.Errorf("ICMPCodeName(%v, %d, %d) = %q, want %q", c.v6, c.ty, c.code, got, c.codeName)
		}
	}
}
