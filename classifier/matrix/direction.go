package matrix

import "fmt"

// directions lists every Direction, the unknown one (0) included: a flow
// judged without a server has none, and reports write it "unknown".
var directions = []Direction{0, Inbound, Outbound, Bidirectional, Local, Transit}

// MarshalText writes the direction as reports do.
func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a direction as a report read back writes it.
func (d *Direction) UnmarshalText(b []byte) error {
	for _, k := range directions {
		if k.String() == string(b) {
			*d = k
			return nil
		}
	}
	return fmt.Errorf("%q is not a direction (inbound, outbound, bidirectional, local, transit)", b)
}

// Short is the direction in a table column: in, out, both.
func (d Direction) Short() string {
	switch d {
	case Inbound:
		return "in"
	case Outbound:
		return "out"
	case Bidirectional:
		return "both"
	}
	return d.String()
}
