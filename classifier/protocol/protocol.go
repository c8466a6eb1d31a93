// Package protocol recognises the application protocol of a flow from the
// first bytes of each direction, the way Zeek's dynamic protocol detection
// and nDPI do: by structure, never by port alone. Every recogniser is a pure
// function of the bytes; none keeps payload beyond a few metadata fields
// that carry no secrets (no names, passwords, tokens, paths with queries).
package protocol

import "strconv"

// ID names a protocol. The zero value is Unknown.
type ID uint16

// Protocols this package recognises.
const (
	Unknown ID = iota
	Syslog
	AMQP
	LDAP
	Kerberos
	DCERPC
	ADWS  // .NET Message Framing to AD Web Services
	mcnmf // .NET Message Framing to another service
	PostgreSQL
	HTTP
	HTTP2
	TLS
	DNS
	NTP
	SMB
	netBIOSSSN
	RDP
	SSH
	SNMP
	NetBIOSNS
	LLMNR
	MDNS
	numIDs
)

// Name is the protocol's name in reports and in the matrix's protocol lists.
func (id ID) String() string {
	switch id {
	case Syslog:
		return "syslog"
	case AMQP:
		return "amqp"
	case LDAP:
		return "ldap"
	case Kerberos:
		return "kerberos"
	case DCERPC:
		return "dcerpc"
	case ADWS:
		return "adws"
	case mcnmf:
		return "mc-nmf"
	case PostgreSQL:
		return "postgresql"
	case HTTP:
		return "http"
	case HTTP2:
		return "http2"
	case TLS:
		return "tls"
	case DNS:
		return "dns"
	case NTP:
		return "ntp"
	case SMB:
		return "smb"
	case netBIOSSSN:
		return "netbios-ssn"
	case RDP:
		return "rdp"
	case SSH:
		return "ssh"
	case SNMP:
		return "snmp"
	case NetBIOSNS:
		return "netbios-ns"
	case LLMNR:
		return "llmnr"
	case MDNS:
		return "mdns"
	}
	return "unknown"
}

// ByName finds a protocol by its report name.
func ByName(s string) (ID, bool) {
	for id := ID(1); id < numIDs; id++ {
		if id.String() == s {
			return id, true
		}
	}
	return Unknown, false
}

// Names lists every protocol's report name, the words a matrix rule's
// protocol key may use.
func Names() []string {
	out := make([]string, 0, numIDs-1)
	for id := ID(1); id < numIDs; id++ {
		out = append(out, id.String())
	}
	return out
}

// Confidence says how sure a recogniser is.
type Confidence uint8

// Confidence levels: Certain comes from structure that parses end to end,
// Likely from a weaker signature.
const (
	None Confidence = iota
	Likely
	Certain
)

func (c Confidence) String() string {
	switch c {
	case Likely:
		return "likely"
	case Certain:
		return "certain"
	}
	return "none"
}

// Meta holds the few facts a recogniser may report. Only short, fixed
// vocabularies or structural values; never user names, passwords, tokens,
// message bodies or query text.
type Meta struct {
	Fields [4]Field
	N      int
}

// Field is one metadata key and value.
type Field struct{ Key, Value string }

// add appends a field (at most four are kept).
func (m *Meta) add(k, v string) {
	if m.N < len(m.Fields) && v != "" {
		m.Fields[m.N] = Field{k, v}
		m.N++
	}
}

// Map returns the fields as a map (nil when empty).
func (m *Meta) Map() map[string]string {
	if m.N == 0 {
		return nil
	}
	out := make(map[string]string, m.N)
	for _, f := range m.Fields[:m.N] {
		out[f.Key] = f.Value
	}
	return out
}

// Result is what a recogniser found.
type Result struct {
	ID   ID
	Conf Confidence
	Meta Meta
	// Answered: the responder's first message answers the initiator's
	// (DCE/RPC: a bind_ack, an alter_context_resp or a response; a
	// bind_nak or a fault does not). Only recognisers that can tell set it.
	Answered bool
}

// Transport of the flow being recognised.
type Transport uint8

// Transports.
const (
	TCP Transport = 6
	UDP Transport = 17
)

// Input is what recognisers see: the in-order first bytes of each
// direction and the responder's port (a tie-breaker, never proof).
type Input struct {
	Transport Transport
	Client    []byte // initiator's bytes
	Server    []byte // responder's bytes
	Port      uint16
}

type recogniser func(in Input) Result

// recognisers returns an array, not a slice, so Recognise allocates nothing.
// The order matters only between equal confidences.
func recognisers() [16]recogniser {
	return [16]recogniser{
		recogniseTLS, recogniseAMQP, recogniseHTTP, recogniseSSH, recognisePostgres, recogniseNMF,
		recogniseDCERPC, recogniseSMB, recogniseRDP, recogniseKerberos, recogniseLDAP, recogniseSNMP,
		recogniseSyslog, recogniseNetBIOSNS, recogniseDNS, recogniseNTP,
	}
}

// Recognise runs every recogniser and keeps the most confident answer; a
// tie goes to the protocol the port usually carries.
func Recognise(in Input) Result {
	var best Result
	for _, r := range recognisers() {
		res := r(in)
		if res.Conf == None {
			continue
		}
		if res.Conf > best.Conf {
			best = res
		} else if res.Conf == best.Conf {
			if usual := wellKnown.Usual(in.Port); res.ID == usual && best.ID != usual {
				best = res
			}
		}
	}
	return best
}

func itoa(n int) string { return strconv.Itoa(n) }
