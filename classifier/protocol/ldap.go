package protocol

// LDAP protocolOp tags (RFC 4511 §4.2 onwards).
func ldapOp(tag byte) string {
	switch tag {
	case 0x60:
		return "bind"
	case 0x61:
		return "bind-response"
	case 0x42:
		return "unbind"
	case 0x63:
		return "search"
	case 0x64:
		return "search-entry"
	case 0x65:
		return "search-done"
	case 0x73:
		return "search-reference"
	case 0x66:
		return "modify"
	case 0x67:
		return "modify-response"
	case 0x68:
		return "add"
	case 0x69:
		return "add-response"
	case 0x4a:
		return "delete"
	case 0x6b:
		return "delete-response"
	case 0x6c:
		return "modify-dn"
	case 0x6d:
		return "modify-dn-response"
	case 0x6e:
		return "compare"
	case 0x6f:
		return "compare-response"
	case 0x50:
		return "abandon"
	case 0x77:
		return "extended"
	case 0x78:
		return "extended-response"
	case 0x79:
		return "intermediate"
	}
	return ""
}

const startTLSOID = "1.3.6.1.4.1.1466.20037"

// recogniseLDAP reads an LDAPMessage: SEQUENCE { messageID INTEGER,
// protocolOp, ... }. It keeps the operation, the bind's method and SASL
// mechanism name, and whether StartTLS was asked; never DNs, passwords or
// search filters. A message from either direction is enough.
func recogniseLDAP(in Input) Result {
	for _, b := range [2][]byte{in.Client, in.Server} {
		if res, ok := ldapMessage(b); ok {
			return res
		}
	}
	return Result{}
}

func ldapMessage(b []byte) (Result, bool) {
	tag, seq, _, _, ok := berTLV(b)
	if !ok || tag != 0x30 {
		return Result{}, false
	}
	tag, id, rest, trunc, ok := berTLV(seq)
	if !ok || tag != 0x02 || trunc || len(id) > 4 {
		return Result{}, false
	}
	if msgID, ok := berInt(id); !ok || msgID < 0 {
		return Result{}, false
	}
	tag, op, _, trunc, ok := berTLV(rest)
	name := ldapOp(tag)
	if !ok || name == "" {
		return Result{}, false
	}
	res := Result{ID: LDAP, Conf: Certain}
	res.Meta.add("op", name)
	switch tag {
	case 0x60: // bind: version INTEGER, name OCTET STRING, authentication CHOICE
		t, v, r, _, ok := berTLV(op)
		ver, vok := berInt(v)
		if !ok || t != 0x02 || !vok || ver < 1 || ver > 3 {
			return Result{}, false
		}
		t, _, r, tr, ok := berTLV(r)
		if !ok || t != 0x04 {
			return Result{}, false
		}
		if tr {
			break
		}
		t, auth, _, _, ok := berTLV(r)
		switch {
		case ok && t == 0x80:
			res.Meta.add("auth", "simple") // the password stays in the packet
		case ok && t == 0xa3:
			res.Meta.add("auth", "sasl")
			if mt, mech, _, mtr, ok := berTLV(auth); ok && mt == 0x04 && !mtr && len(mech) <= 32 && printable(mech) {
				res.Meta.add("sasl", string(mech))
			}
		}
	case 0x77: // extended request: [0] requestName
		if t, oid, _, _, ok := berTLV(op); ok && t == 0x80 && string(oid) == startTLSOID {
			res.Meta.add("extended", "starttls")
		}
	case 0x61, 0x65, 0x67, 0x69, 0x6b, 0x6d, 0x6f, 0x78:
		if t, rc, _, _, ok := berTLV(op); ok && t == 0x0a {
			if v, ok := berInt(rc); ok {
				res.Meta.add("result", itoa(v))
			}
		} else if !trunc {
			return Result{}, false
		}
	}
	return res, true
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// ldapPorts: LDAP and the global catalog; CLDAP answers on UDP 389.
func ldapPorts() []port {
	return []port{
		{transport: TCP, number: 389, usual: LDAP, server: true},
		{transport: UDP, number: 389, usual: LDAP, answers: true, hint: "CLDAP (LDAP over UDP): the domain controller locator's ping"},
		{transport: TCP, number: 3268, usual: LDAP, server: true, hint: "LDAP on 3268: the global catalog"},
	}
}
