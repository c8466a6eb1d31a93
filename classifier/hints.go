package classifier

import "fmt"

// portHints name well-known services for unexpected traffic, with what they
// usually mean next to a Threat Manager server.
var portHints = map[uint32]string{
	key(UDP, 53):    "DNS: name resolution; add an ignore rule if the site does not judge it",
	key(TCP, 53):    "DNS over TCP (zone transfer or a large answer)",
	key(UDP, 123):   "NTP: time synchronisation",
	key(UDP, 67):    "DHCP",
	key(UDP, 68):    "DHCP",
	key(UDP, 88):    "Kerberos over UDP 88: the matrix lists TCP 88 only (clients try UDP first and fall back to TCP)",
	key(UDP, 137):   "NetBIOS name service",
	key(UDP, 138):   "NetBIOS datagram service",
	key(TCP, 139):   "NetBIOS session service (SMB over NetBIOS)",
	key(TCP, 445):   "SMB: file sharing or named pipes; not in the matrix",
	key(UDP, 389):   "CLDAP (LDAP over UDP, domain controller locator): the matrix lists TCP 389 only",
	key(TCP, 636):   "LDAPS: listed in the later Threat Manager matrix (threatmanager-3.0), not in this one",
	key(TCP, 3268):  "LDAP on 3268: the global catalog; the matrix lists 389 only",
	key(TCP, 3269):  "LDAPS on 3269: the global catalog over TLS; not in the matrix",
	key(TCP, 464):   "Kerberos password change",
	key(UDP, 464):   "Kerberos password change over UDP",
	key(TCP, 5432):  "PostgreSQL default port: the later matrix (threatmanager-3.0) uses 5432; this one lists 5435/5439",
	key(TCP, 3389):  "RDP (remote desktop)",
	key(TCP, 22):    "SSH",
	key(UDP, 161):   "SNMP",
	key(UDP, 162):   "SNMP trap",
	key(TCP, 80):    "HTTP",
	key(TCP, 443):   "HTTPS",
	key(UDP, 514):   "syslog on the standard port; agents send to udp/10000",
	key(UDP, 5353):  "mDNS (link-local name resolution)",
	key(UDP, 5355):  "LLMNR (link-local name resolution)",
	key(TCP, 5985):  "WinRM (HTTP)",
	key(TCP, 5986):  "WinRM (HTTPS)",
	key(TCP, 5671):  "AMQPS on its standard port; agents use tcp/10001",
	key(TCP, 5672):  "AMQP on its standard port; agents use tcp/10001",
	key(TCP, 55555): "Threat Manager application service (AD login to the console) in the later matrix",
	key(TCP, 55556): "Threat Manager application service (AD login to the console) in the later matrix",
	key(TCP, 55557): "Threat Manager Event/Job Service traffic in the later matrix",
}

func key(proto uint8, port uint16) uint32 { return uint32(proto)<<16 | uint32(port) }

// hint explains an unexpected flow as well as port and direction allow.
func (m *Matrix) hint(proto uint8, port uint16, dir Direction) string {
	// A documented port used the other way round is the likeliest mistake.
	for _, r := range m.Rules {
		if r.Transport == proto && r.Ports.Contains(port) && r.Direction != Bidirectional && r.Direction != dir && (dir == Inbound || dir == Outbound) && r.Learn == "" {
			return fmt.Sprintf("%s %d is documented %s (%s), seen %s", TransportName(proto), port, r.Direction, r.ID, dir)
		}
	}
	for _, r := range m.Rules {
		if r.Transport != proto && r.Ports.Contains(port) && r.Learn == "" {
			if h, ok := portHints[key(proto, port)]; ok {
				return h
			}
			return fmt.Sprintf("%s %d: the matrix lists %s %s only", TransportName(proto), port, TransportName(r.Transport), r.Ports)
		}
	}
	if h, ok := portHints[key(proto, port)]; ok {
		return h
	}
	if dir == Outbound && proto == TCP && port >= 49152 {
		return "high port to a host not seen on the RPC endpoint mapper: not attributable to rpc-dynamic-out"
	}
	return ""
}
