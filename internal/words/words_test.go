package words

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{Count(0, "flow"), "0 flows"},
		{Count(1, "flow"), "1 flow"},
		{Count(uint64(2), "packet"), "2 packets"},
		{Count(1, "kind"), "1 kind"},
		{Count(3, "SYN"), "3 SYNs"},
		{Count(2, "attempt"), "2 attempts"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
