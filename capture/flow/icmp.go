// Which ICMP messages pair into one flow (a request and its reply) and
// which are the IPv6 link's own upkeep, never a flow.

package flow

import (
	"github.com/flowverify/flowverify/capture"
	"github.com/gopacket/gopacket/layers"
)

// isICMPRequest says whether an ICMP type is the request of a
// request/reply pair (echo, timestamp, information, address mask).
func isICMPRequest(proto, ty uint8) bool {
	if proto == capture.ProtoICMP {
		return ty == 8 || ty == 13 || ty == 15 || ty == 17
	}
	return ty == 128
}

// icmpRequestType maps a reply type to its request so both directions of
// an exchange share one flow, and says whether the type was a reply.
func icmpRequestType(proto, ty uint8) (uint8, bool) {
	if proto == capture.ProtoICMP {
		switch ty {
		case 0:
			return 8, true
		case 14:
			return 13, true
		case 16:
			return 15, true
		case 18:
			return 17, true
		}
		return ty, false
	}
	switch ty {
	case 129:
		return 128, true
	case 136:
		return 135, true
	case 134:
		return 133, true
	}
	return ty, false
}

// linkUpkeep says whether an ICMPv6 type is neighbour discovery (RFC 4861)
// or a multicast listener message (RFC 2710, RFC 3810): traffic every IPv6
// host exchanges on its link, which no firewall matrix lists.
func linkUpkeep(ty uint8) bool {
	switch ty {
	case layers.ICMPv6TypeRouterSolicitation, layers.ICMPv6TypeRouterAdvertisement,
		layers.ICMPv6TypeNeighborSolicitation, layers.ICMPv6TypeNeighborAdvertisement, layers.ICMPv6TypeRedirect,
		layers.ICMPv6TypeMLDv1MulticastListenerQueryMessage, layers.ICMPv6TypeMLDv1MulticastListenerReportMessage,
		layers.ICMPv6TypeMLDv1MulticastListenerDoneMessage, layers.ICMPv6TypeMLDv2MulticastListenerReportMessageV2:
		return true
	}
	return false
}
