package protocol

// recogniseNTP reads a 48-byte NTP header (optionally with key id and
// digest): version 1..4 and a client/server/broadcast mode. Weak alone, so
// Likely unless the server answers in the matching mode.
func recogniseNTP(in Input) Result {
	c := in.Client
	if in.Transport != UDP || !ntpLen(len(c)) {
		return Result{}
	}
	vn, mode := c[0]>>3&7, c[0]&7
	if vn < 1 || vn > 4 || mode < 1 || mode > 5 {
		return Result{}
	}
	res := Result{ID: NTP, Conf: Likely}
	res.Meta.add("version", itoa(int(vn)))
	s := in.Server
	if ntpLen(len(s)) && s[0]>>3&7 == vn && ((mode == 3 && s[0]&7 == 4) || (mode == 1 && s[0]&7 == 2)) {
		res.Conf = Certain
	}
	return res
}

func ntpLen(n int) bool { return n == 48 || n == 52 || n == 60 || n == 68 || n == 72 }

// ntpPorts: NTP servers answer on 123.
func ntpPorts() []port {
	return []port{
		{transport: UDP, number: 123, usual: NTP, server: true, answers: true, hint: "NTP: time synchronisation"},
	}
}
