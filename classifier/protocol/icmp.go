package protocol

import (
	"strconv"
	"strings"
)

// icmpType is one ICMP or ICMPv6 message type as reports word it: its
// name, and the names of its codes where a code says why (destination
// unreachable).
type icmpType struct {
	name  string
	codes map[uint8]string
}

// icmpTypes is the one table of ICMP wording (RFC 792 and 1812 for ICMP,
// RFC 4443 for ICMPv6), v4 then v6; the unexpected-traffic name and a
// failed attempt's reason both read it. It is never written.
var icmpTypes = [2]map[uint8]icmpType{
	{
		0: {name: "echo reply"},
		3: {name: "destination unreachable", codes: map[uint8]string{0: "network unreachable", 1: "host unreachable",
			2: "protocol unreachable", 3: "port unreachable", 4: "fragmentation needed",
			9: "network administratively prohibited", 10: "host administratively prohibited",
			13: "administratively prohibited"}},
		5:  {name: "redirect"},
		8:  {name: "echo request"},
		11: {name: "time exceeded"},
		12: {name: "parameter problem"},
		13: {name: "timestamp request"},
		15: {name: "information request"},
		17: {name: "address mask request"},
	},
	{
		1: {name: "destination unreachable", codes: map[uint8]string{0: "no route", 1: "administratively prohibited",
			2: "beyond scope", 3: "address unreachable", 4: "port unreachable",
			5: "source address failed policy", 6: "reject route"}},
		2:   {name: "packet too big"},
		3:   {name: "time exceeded"},
		4:   {name: "parameter problem"},
		128: {name: "echo request"},
		129: {name: "echo reply"},
	},
}

func icmpFamily(v6 bool) map[uint8]icmpType {
	if v6 {
		return icmpTypes[1]
	}
	return icmpTypes[0]
}

// ICMPName names an ICMP (v6 false) or ICMPv6 message type as reports show
// it where a port would stand, so as one word ("destination-unreachable"),
// with the code's number when it is not 0.
func ICMPName(v6 bool, ty, code uint8) string {
	name := strings.ReplaceAll(icmpFamily(v6)[ty].name, " ", "-")
	if name == "" {
		name = "type-" + strconv.Itoa(int(ty))
	}
	if code != 0 {
		name += "/" + strconv.Itoa(int(code))
	}
	return name
}

// ICMPCodeName names what a message's code says ("port unreachable"), ""
// where the table does not know it.
func ICMPCodeName(v6 bool, ty, code uint8) string {
	return icmpFamily(v6)[ty].codes[code]
}

// ICMPUnreachable is the family's destination-unreachable type (3 in
// ICMP, 1 in ICMPv6), the message that answers a failed attempt.
func ICMPUnreachable(v6 bool) uint8 {
	if v6 {
		return 1
	}
	return 3
}

// IsEchoRequest reports whether ty is the family's echo request (ping).
func IsEchoRequest(v6 bool, ty uint8) bool {
	if v6 {
		return ty == 128
	}
	return ty == 8
}
