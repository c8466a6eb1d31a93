package protocol

// recogniseSNMP reads Message ::= SEQUENCE { version INTEGER (0, 1, 3), ... }.
// The community string is a password: it is checked for shape and dropped.
func recogniseSNMP(in Input) Result {
	if in.Transport != UDP {
		return Result{}
	}
	tag, seq, _, _, ok := berTLV(in.Client)
	if !ok || tag != 0x30 {
		return Result{}
	}
	t, v, rest, _, ok := berTLV(seq)
	ver, vok := berInt(v)
	if !ok || t != 0x02 || !vok || (ver != 0 && ver != 1 && ver != 3) {
		return Result{}
	}
	res := Result{ID: SNMP, Conf: Likely}
	res.Meta.add("version", [...]string{"1", "2c", "", "3"}[ver])
	if ver == 3 {
		if t, _, _, _, ok := berTLV(rest); ok && t == 0x30 {
			res.Conf = Certain
		}
		return res
	}
	t, _, rest, _, ok = berTLV(rest) // community, not kept
	if !ok || t != 0x04 {
		return Result{}
	}
	if pt, _, _, _, ok := berTLV(rest); ok && pt >= 0xa0 && pt <= 0xa8 {
		res.Conf = Certain
		res.Meta.add("pdu", [...]string{"get", "get-next", "response", "set", "trap", "get-bulk", "inform", "trap-v2", "report"}[pt-0xa0])
	}
	return res
}

// snmpPorts: SNMP agents answer on 161; traps go to 162.
func snmpPorts() []port {
	return []port{
		{transport: UDP, number: 161, usual: SNMP, server: true, answers: true, hint: "SNMP"},
		{transport: UDP, number: 162, usual: SNMP, server: true, hint: "SNMP trap"},
	}
}
