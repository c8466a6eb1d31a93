package protocol

import "strings"

// nmfSize reads MC-NMF's 7-bit variable-length integer (at most 5 bytes).
func nmfSize(b []byte) (int, int, bool) {
	v := 0
	for i := 0; i < 5 && i < len(b); i++ {
		v |= int(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, i + 1, true
		}
	}
	return 0, 0, false
}

// recogniseNMF reads the .NET Message Framing preamble (MC-NMF): a Version
// record 0x00 1.0, a Mode record 0x01 and a Via record 0x02 with a
// net.tcp URI. The Via's path is kept (it names the service, such as
// /ActiveDirectoryWebServices/Windows/Enumeration); the host is not.
func recogniseNMF(in Input) Result {
	c := in.Client
	if len(c) < 6 || c[0] != 0x00 || c[1] != 1 || c[2] != 0 || c[3] != 0x01 || c[4] < 1 || c[4] > 4 || c[5] != 0x02 {
		if len(in.Server) >= 1 && len(c) == 0 {
			return Result{}
		}
		return Result{}
	}
	res := Result{ID: mcnmf, Conf: Likely}
	res.Meta.add("mode", [...]string{"", "singleton-unsized", "duplex", "simplex", "singleton-sized"}[c[4]])
	n, w, ok := nmfSize(c[6:])
	if !ok || n > 2048 {
		return res
	}
	via := c[6+w:]
	if len(via) > n {
		via = via[:n]
	}
	if !printable(via) {
		return res
	}
	s := string(via)
	if !strings.HasPrefix(s, "net.tcp://") {
		return res
	}
	res.Conf = Certain
	path := s[len("net.tcp://"):]
	if i := strings.IndexByte(path, '/'); i >= 0 {
		path = path[i:]
	} else {
		path = "/"
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if strings.Contains(strings.ToLower(path), "/activedirectorywebservices") {
		res.ID = ADWS
	}
	res.Meta.add("via", path)
	return res
}

// nmfPorts: AD Web Services.
func nmfPorts() []port {
	return []port{
		{transport: TCP, number: 9389, usual: ADWS, server: true},
	}
}
