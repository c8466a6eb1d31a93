package matrix

import "fmt"

// portHint names a well-known service for unexpected traffic, with what it
// usually means next to a Threat Manager server.
func portHint(proto uint8, port uint16) (string, bool) {
	switch key(proto, port) {
	case key(UDP, 53):
		return "DNS: name resolution; add an ignore rule if the site does not judge it", true
	case key(TCP, 53):
		return "DNS over TCP (zone transfer or a large answer)", true
	case key(UDP, 123):
		return "NTP: time synchronisation", true
	case key(UDP, 67):
		return "DHCP", true
	case key(UDP, 68):
		return "DHCP", true
	case key(UDP, 88):
		return "Kerberos over UDP 88: MIT and Windows clients try UDP first; the matrix lists TCP only — allow UDP 88 or accept the fallback delay", true
	case key(UDP, 137):
		return "NetBIOS name service", true
	case key(UDP, 138):
		return "NetBIOS datagram service", true
	case key(TCP, 139):
		return "NetBIOS session service (SMB over NetBIOS)", true
	case key(TCP, 445):
		return "SMB: file sharing or named pipes; not in the matrix", true
	case key(UDP, 389):
		return "CLDAP (LDAP over UDP, domain controller locator): the matrix lists TCP 389 only", true
	case key(TCP, 636):
		return "LDAPS: listed in the later Threat Manager matrix (threatmanager-3.0), not in this one", true
	case key(TCP, 3268):
		return "LDAP on 3268: the global catalog; the matrix lists 389 only", true
	case key(TCP, 3269):
		return "LDAPS on 3269: the global catalog over TLS; not in the matrix", true
	case key(TCP, 464):
		return "Kerberos password change", true
	case key(UDP, 464):
		return "Kerberos password change over UDP", true
	case key(TCP, 5432):
		return "PostgreSQL default port: the later matrix (threatmanager-3.0) uses 5432; this one lists 5435/5439", true
	case key(TCP, 3389):
		return "RDP (remote desktop)", true
	case key(TCP, 22):
		return "SSH", true
	case key(UDP, 161):
		return "SNMP", true
	case key(UDP, 162):
		return "SNMP trap", true
	case key(TCP, 80):
		return "HTTP", true
	case key(TCP, 443):
		return "HTTPS", true
	case key(UDP, 514):
		return "syslog on the standard port; agents send to udp/10000", true
	case key(UDP, 5353):
		return "mDNS (link-local name resolution)", true
	case key(UDP, 5355):
		return "LLMNR (link-local name resolution)", true
	case key(TCP, 5985):
		return "WinRM (HTTP)", true
	case key(TCP, 5986):
		return "WinRM (HTTPS)", true
	case key(TCP, 5671):
		return "AMQPS on its standard port; agents use tcp/10001", true
	case key(TCP, 5672):
		return "AMQP on its standard port; agents use tcp/10001", true
	case key(TCP, 55555):
		return "Threat Manager application service (AD login to the console) in the later matrix", true
	case key(TCP, 55556):
		return "Threat Manager application service (AD login to the console) in the later matrix", true
	case key(TCP, 55557):
		return "Threat Manager Event/Job Service traffic in the later matrix", true
	}
	return "", false
}

func key(proto uint8, port uint16) uint32 { return uint32(proto)<<16 | uint32(port) }

// hint explains an unexpected flow as well as port and direction allow.
func (m *Matrix) Hint(proto uint8, port uint16, dir Direction) string {
	// A documented port used the other way round is the likeliest mistake.
	for _, r := range m.Rules {
		if r.Transport == proto && r.Ports.Contains(port) && r.Direction != Bidirectional && r.Direction != dir && (dir == Inbound || dir == Outbound) && r.Learn == "" {
			return fmt.Sprintf("%s %d is documented %s (%s), seen %s", TransportName(proto), port, r.Direction, r.ID, dir)
		}
	}
	for _, r := range m.Rules {
		if r.Transport != proto && r.Ports.Contains(port) && r.Learn == "" {
			if h, ok := portHint(proto, port); ok {
				return h
			}
			return fmt.Sprintf("%s %d: the matrix lists %s %s only", TransportName(proto), port, TransportName(r.Transport), r.Ports)
		}
	}
	if h, ok := portHint(proto, port); ok {
		return h
	}
	if dir == Outbound && proto == TCP && port >= 49152 {
		return "high port to a host not seen on the RPC endpoint mapper: not attributable to rpc-dynamic-out"
	}
	return ""
}
