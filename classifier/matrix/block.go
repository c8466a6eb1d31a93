package matrix

import "fmt"

// BlockReason is how an attempt failed (report blocked[].reason). Its
// text is part of the report schema.
type BlockReason uint8

// Block reasons. NoFailure, the zero value, is an attempt that did not
// fail.
const (
	NoFailure BlockReason = iota
	// NoAnswer: nothing came back (a firewall that drops).
	NoAnswer
	// Refused: an RST answered the SYN (the service is down).
	Refused
	// Unreachable: an ICMP destination unreachable answered it (a
	// router or a host that says no).
	Unreachable
)

var blockNames = [...]string{NoFailure: "", NoAnswer: "no-answer", Refused: "refused", Unreachable: "unreachable"}

func (b BlockReason) String() string {
	if int(b) < len(blockNames) {
		return blockNames[b]
	}
	return fmt.Sprintf("block(%d)", uint8(b))
}

// MarshalText writes the reason's name.
func (b BlockReason) MarshalText() ([]byte, error) {
	if int(b) >= len(blockNames) {
		return nil, fmt.Errorf("no block reason %d", uint8(b))
	}
	return []byte(blockNames[b]), nil
}

// UnmarshalText reads a reason's name, as a report read back writes it.
func (b *BlockReason) UnmarshalText(text []byte) error {
	for k, name := range blockNames {
		if name == string(text) {
			*b = BlockReason(k)
			return nil
		}
	}
	return fmt.Errorf("%q is not a block reason (no-answer, refused, unreachable)", text)
}
