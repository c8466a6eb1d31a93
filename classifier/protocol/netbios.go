package protocol

// recogniseNetBIOSNS reads NetBIOS name service (RFC 1002): a DNS-style
// header and a 32-byte first-level-encoded name ('A'..'P').
func recogniseNetBIOSNS(in Input) Result {
	b := in.Client
	if in.Transport != UDP || len(b) < 12+34 || b[12] != 32 {
		return Result{}
	}
	for _, c := range b[13:45] {
		if c < 'A' || c > 'P' {
			return Result{}
		}
	}
	res := Result{ID: NetBIOSNS, Conf: Certain}
	res.Meta.add("opcode", itoa(int(b[2]>>3&0xf)))
	return res
}

// netbiosPorts: the NetBIOS name and datagram services.
func netbiosPorts() []port {
	return []port{
		{transport: UDP, number: 137, usual: NetBIOSNS, server: true, answers: true, hint: "NetBIOS name service"},
		{transport: UDP, number: 138, server: true, hint: "NetBIOS datagram service"},
	}
}
