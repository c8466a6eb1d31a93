package report

import (
	"net/netip"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/classifier/protocol"
)

// Aggregates are the blocked attempts and unexpected groups as the
// analysis held them, typed. What is built from a finding rather than
// shown (firewall rules) reads these: the report's rows are display text,
// where a folded group's "(others)" and port 0 look like a peer and a port
// and a rule rebuilt from them allows everything. They are never written
// out, so a report read back from JSON has none (see Report.Aggregates).
type Aggregates struct {
	// Blocked follows Report.Blocked row for row.
	Blocked []BlockedAgg
	// Unexpected follows Report.Unexpected row for row, then lists the
	// folded groups the list had no room for: a folded group is what a
	// suggestion must refuse, listed or not.
	Unexpected []UnexpectedAgg
	// FoldLimit is the number of unexpected groups past which further
	// peers and ports fold into one group per transport and direction.
	FoldLimit int
}

// BlockedAgg is one failed attempt at a documented connection.
type BlockedAgg struct {
	Rule string // the rule's id
	// Dir is Inbound or Outbound: a bidirectional rule's flow went one
	// way or the other.
	Dir       matrix.Direction
	Transport uint8      // IP protocol number (matrix.TCP, matrix.UDP)
	Peer      netip.Addr // the end that is not the server
	Port      uint16     // the responder's: the server's for inbound, the peer's for outbound
	Reason    matrix.BlockReason
}

// UnexpectedAgg is one unexpected group: a transport, direction, port and
// peer, or, past FoldLimit groups, every further peer and port of a
// transport and direction (Folded).
type UnexpectedAgg struct {
	Transport uint8 // IP protocol number, ICMP and ICMPv6 included
	Dir       matrix.Direction
	// Peer is the invalid netip.Addr when Folded: a folded group has no
	// one peer.
	Peer netip.Addr
	// Port is the responder's, as in BlockedAgg; 0 for ICMP (see
	// ICMPType) and when Folded.
	Port               uint16
	ICMP               bool // ICMPType and ICMPCode hold the request's message
	ICMPType, ICMPCode uint8
	Folded             bool
	Flows              int
	Protocol           protocol.ID
	Hint               string // the matrix's word on this port (matrix.Hint), or ""
}
