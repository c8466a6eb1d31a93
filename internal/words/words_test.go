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

func TestClosest(t *testing.T) {
	known := []string{"domain-controllers", "activity-monitor-agents", "threatmanager", "threatmanager-3.0", "dc1", "dc2"}
	for _, c := range []struct{ name, want string }{
		{"domain-controler", "domain-controllers"},
		{"domain-controllers", "domain-controllers"},
		{"threatmanger", "threatmanager"},
		{"threatmanager-3", "threatmanager-3.0"},
		{"dc3", "dc1"},
		{"postgres", ""},
		{"x", ""},
	} {
		if got := Closest(c.name, known); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	// A tie between an edit and a plural goes to the plural.
	for _, c := range []struct {
		name  string
		known []string
		want  string
	}{
		{"port", []string{"part", "ports"}, "ports"},
		{"port", []string{"ports", "part"}, "ports"},
		{"rule", []string{"rules", "role"}, "rules"},
		{"part", []string{"port", "parts"}, "parts"},
	} {
		if got := Closest(c.name, c.known); got != c.want {
			t.Errorf("Closest(%q, %v) = %q, want %q", c.name, c.known, got, c.want)
		}
	}
	if got := DidYouMean("domain-controler", known); got != "; did you mean domain-controllers?" {
		t.Errorf("DidYouMean: %q", got)
	}
}
