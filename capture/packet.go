// Package capture reads packets from capture files and live interfaces and
// decodes each one into the small summary that the flow table needs.
package capture

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Addr is an IP address in 16-byte form; IPv4 addresses are stored
// v4-mapped (::ffff:a.b.c.d). A fixed array keeps flow keys comparable and
// free of pointers, which keeps the flow map out of the garbage collector's
// way.
type Addr [16]byte

// AddrFrom4 returns the v4-mapped form of an IPv4 address.
func AddrFrom4(b []byte) Addr {
	var a Addr
	a.Set4(b)
	return a
}

// Set4 stores the v4-mapped form of b in place as two 8-byte words. Built
// byte by byte in a temporary and copied, the address cost the decoder a
// store-forwarding stall per address (a 16-byte load over narrower pending
// stores).
func (a *Addr) Set4(b []byte) {
	binary.LittleEndian.PutUint64(a[0:8], 0)
	binary.LittleEndian.PutUint64(a[8:16], 0xffff<<16|uint64(binary.LittleEndian.Uint32(b[:4]))<<32)
}

// addrFrom16 returns an IPv6 address.
func addrFrom16(b []byte) Addr {
	var a Addr
	copy(a[:], b[:16])
	return a
}

// Is4 reports whether a is a v4-mapped IPv4 address, read in place in
// words (the flow table asks this of every new flow's key).
func (a *Addr) Is4() bool {
	return binary.LittleEndian.Uint64(a[0:8]) == 0 && binary.LittleEndian.Uint32(a[8:12]) == 0xffff0000
}

// Netip converts to netip.Addr, unmapping IPv4. It reads the address in
// place, in 8-byte words: netip.AddrFrom16 takes the array by value, and the
// copy, stored 16 bytes wide and read back 8 bytes at a time, stalled the
// load that could not be forwarded from it.
func (a *Addr) Netip() netip.Addr {
	if a.Is4() {
		return netip.AddrFrom4([4]byte(a[12:16]))
	}
	return netip.AddrFrom16(*a)
}

// String formats the address the way users type it.
func (a Addr) String() string { return a.Netip().String() }

// AddrFromNetip converts a netip.Addr.
func AddrFromNetip(ip netip.Addr) Addr { return Addr(ip.As16()) }

// LinkType is a LINKTYPE_ value from a capture file. gopacket v1.1.19 keeps
// link types in a byte, which cannot hold SLL2 (276), so we carry our own.
type LinkType uint32

// Link types the decoder reads.
const (
	LinkNull     LinkType = 0
	LinkEthernet LinkType = 1
	linkRawAlt1  LinkType = 12 // DLT_RAW on some BSDs
	linkRawAlt2  LinkType = 14 // DLT_RAW on OpenBSD
	linkRaw      LinkType = 101
	linkLoop     LinkType = 108
	LinkSLL      LinkType = 113
	linkIPv4     LinkType = 228
	linkIPv6     LinkType = 229
	linkNFLOG    LinkType = 239 // Linux netfilter log records (tcpdump -i nflog:N)
	LinkSLL2     LinkType = 276
)

// String names the link type as tcpdump does.
func (l LinkType) String() string {
	switch l {
	case LinkNull:
		return "NULL"
	case LinkEthernet:
		return "EN10MB"
	case linkRaw, linkRawAlt1, linkRawAlt2, linkIPv4, linkIPv6:
		return "RAW"
	case linkLoop:
		return "LOOP"
	case LinkSLL:
		return "LINUX_SLL"
	case LinkSLL2:
		return "LINUX_SLL2"
	case linkNFLOG:
		return "NFLOG"
	}
	if name, ok := linkNames[l]; ok {
		return name
	}
	return fmt.Sprintf("LINKTYPE_%d", uint32(l))
}

// IP protocol numbers the flow table treats specially.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

// TCP flag bits as they sit in byte 13 of the header.
const (
	FlagFIN = 0x01
	FlagSYN = 0x02
	FlagRST = 0x04
	FlagPSH = 0x08
	FlagACK = 0x10
)

// Fragment position of an IP packet.
const (
	FragNone     = 0
	FragFirst    = 1 // offset 0, more fragments follow: carries the ports
	FragNonFirst = 2 // no transport header: counted to its flow by IP id
)

// Packet is the decoded summary of one captured packet. The decoder reuses
// one Packet; Payload points into the capture buffer and is valid only until
// the next packet is read.
type Packet struct {
	Timestamp int64 // Unix nanoseconds
	WireLen   int   // length on the wire
	IPLen     int   // length of the IP packet as its header declares it
	Input     int   // index of the input (file or interface) it came from

	IsIP    bool
	Proto   uint8 // IP protocol of the transport (after extension headers)
	Src     Addr
	Dst     Addr
	SrcPort uint16
	DstPort uint16

	TCPFlags uint8
	Seq      uint32
	ack      uint32

	// Payload is the captured transport payload; PayloadLen is its length
	// as the IP header declares it, which is larger when the snaplen cut it.
	Payload    []byte
	PayloadLen int

	Frag   uint8
	FragID uint32
	// SplitHeader: a first fragment holding the TCP ports but not the
	// whole header (no flags).
	SplitHeader bool

	// Unreach is set for ICMP/ICMPv6 destination-unreachable messages whose
	// quoted header could be read; Quoted holds the original packet's tuple.
	Unreach  bool
	ICMPType uint8
	ICMPCode uint8
	Quoted   Tuple

	vlans      uint8 // number of 802.1Q tags
	mplsLabels uint8 // MPLS label stack entries passed on the way to IP
	Encap      uint8 // a tunnel recognised and not opened (encapGRE, ...)
	// The outer Ethernet frame's addresses (HasMAC): which station sent
	// and received it on the capture's link.
	HasMAC         bool
	SrcMAC, DstMAC [6]byte
	tunneled       bool // the addresses are those of a decapsulated 6in4 packet
	// truncated: a header was cut short, by the snap length or because
	// the frame holds less than a header claims (ipCaptured tells which:
	// the bytes of the IP packet captured, against IPLen; v6 names it).
	truncated  bool
	ipCaptured int
	v6         bool
}

// Tuple is a directional 5-tuple.
type Tuple struct {
	Proto   uint8
	Src     Addr
	Dst     Addr
	SrcPort uint16
	DstPort uint16
}
