package matrix

import (
	"strings"
	"testing"

	"github.com/flowverify/flowverify/classifier/protocol"
)

// One ICMP code table: a flow's reason (icmpText) and its rule's failure
// text (unreachMeaning) word every destination-unreachable code the same.
func TestOneICMPCodeTable(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		for code := uint8(0); code < 16; code++ {
			name := unreachMeaning(Unreach{V6: v6, Type: protocol.ICMPUnreachable(v6), Code: code})
			got := icmpText(&FlowFacts{ICMPv6: v6, ICMPCode: code})
			if !strings.HasSuffix(got, ": "+name) && !strings.Contains(got, ": "+name+" (code") {
				t.Errorf("v6=%v code %d: flow reason %q does not use the table's %q", v6, code, got, name)
			}
		}
	}
	// The table is the protocol package's: a code it names is named by it.
	for _, c := range []struct {
		v6   bool
		code uint8
		want string
	}{
		{false, 13, "ICMP destination unreachable: administratively prohibited (code 13)"},
		{false, 3, "ICMP destination unreachable: port unreachable (code 3)"},
		{true, 1, "ICMPv6 destination unreachable: administratively prohibited (code 1)"},
		{false, 7, "ICMP destination unreachable: code 7"},
	} {
		if got := icmpText(&FlowFacts{ICMPv6: c.v6, ICMPCode: c.code}); got != c.want {
			t.Errorf("v6=%v code %d: %q, want %q", c.v6, c.code, got, c.want)
		}
	}
}
