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
	res.Meta.Add("opcode", itoa(int(b[2]>>3&0xf)))
	return res
}

// netbiosPorts: the NetBIOS name and datagram services.
func netbiosPorts() []Port {
	return []Port{
		{Transport: UDP, Number: 137, Usual: NetBIOSNS, Server: true, Answers: true, Hint: "NetBIOS name service"},
		{Transport: UDP, Number: 138, Server: true, Hint: "NetBIOS datagram service"},
	}
}
