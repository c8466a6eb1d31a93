package protocol

// recogniseRDP reads TPKT (version 3) carrying an X.224 Connection Request
// (0xE0), as an RDP client opens.
func recogniseRDP(in Input) Result {
	c := in.Client
	if in.Transport != TCP || len(c) < 11 || c[0] != 3 || c[1] != 0 {
		return Result{}
	}
	l := int(c[2])<<8 | int(c[3])
	if l < 11 || l > 4096 || int(c[4]) != l-5 || c[5]&0xf0 != 0xe0 {
		return Result{}
	}
	res := Result{ID: RDP, Conf: Certain}
	if s := in.Server; len(s) >= 6 && s[0] == 3 && s[5]&0xf0 == 0xd0 {
		res.Meta.add("server", "connection-confirm")
	}
	return res
}

// rdpPorts: remote desktop.
func rdpPorts() []port {
	return []port{
		{transport: TCP, number: 3389, usual: RDP, server: true, hint: "RDP (remote desktop)"},
	}
}
