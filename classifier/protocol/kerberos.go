package protocol

import "encoding/binary"

// Kerberos application tags (RFC 4120 §5.10 and the ASN.1 module).
func krbMessage(tag byte) (string, int) {
	switch tag {
	case 0x6a:
		return "as-req", 10
	case 0x6b:
		return "as-rep", 11
	case 0x6c:
		return "tgs-req", 12
	case 0x6d:
		return "tgs-rep", 13
	case 0x6e:
		return "ap-req", 14
	case 0x6f:
		return "ap-rep", 15
	case 0x7e:
		return "krb-error", 30
	}
	return "", 0
}

func krbErrorName(code int) string {
	switch code {
	case 6:
		return "KDC_ERR_C_PRINCIPAL_UNKNOWN"
	case 7:
		return "KDC_ERR_S_PRINCIPAL_UNKNOWN"
	case 14:
		return "KDC_ERR_ETYPE_NOSUPP"
	case 18:
		return "KDC_ERR_CLIENT_REVOKED"
	case 23:
		return "KDC_ERR_KEY_EXPIRED"
	case 24:
		return "KDC_ERR_PREAUTH_FAILED"
	case 25:
		return "KDC_ERR_PREAUTH_REQUIRED"
	case 31:
		return "KRB_AP_ERR_BAD_INTEGRITY"
	case 37:
		return "KRB_AP_ERR_SKEW"
	case 52:
		return "KRB_ERR_RESPONSE_TOO_BIG"
	case 68:
		return "KDC_ERR_WRONG_REALM"
	}
	return ""
}

// recogniseKerberos reads KDC messages over TCP (4-byte record mark, high
// bit reserved) or UDP: the application tag, pvno 5 and a msg-type that
// matches the tag. KRB-ERROR's error-code is kept; cipher text never is.
func recogniseKerberos(in Input) Result {
	var res Result
	for dir, b := range [2][]byte{in.Client, in.Server} {
		if in.Transport == TCP {
			if len(b) < 5 || b[0]&0x80 != 0 {
				continue
			}
			l := int(binary.BigEndian.Uint32(b[:4]))
			if l < 2 || l > 1<<20 {
				continue
			}
			b = b[4:]
		}
		name, code, msgType, ok := krbParse(b)
		if !ok {
			continue
		}
		if res.ID == Unknown {
			res = Result{ID: Kerberos, Conf: Certain}
		}
		key := "request"
		if dir == 1 {
			key = "reply"
		}
		res.Meta.add(key, name)
		if msgType == 30 && code >= 0 {
			if n := krbErrorName(code); n != "" {
				res.Meta.add("error", n)
			} else {
				res.Meta.add("error", itoa(code))
			}
		}
	}
	return res
}

func krbParse(b []byte) (name string, errCode, msgType int, ok bool) {
	tag, body, _, _, ok := berTLV(b)
	name, want := krbMessage(tag)
	if !ok || name == "" {
		return "", 0, 0, false
	}
	t, seq, _, _, ok := berTLV(body)
	if !ok || t != 0x30 {
		return "", 0, 0, false
	}
	pvno, mt, errCode := -1, -1, -1
	// Requests put pvno in [1] and msg-type in [2]; replies and errors in
	// [0] and [1]. Read the context fields in order until both are seen.
	for i := 0; i < 8 && len(seq) > 0; i++ {
		ct, inner, rest, tr, ok := berTLV(seq)
		if !ok || ct&0xe0 != 0xa0 {
			break
		}
		if it, iv, _, _, ok := berTLV(inner); ok && it == 0x02 {
			v, vok := berInt(iv)
			switch n := ct & 0x1f; {
			case !vok:
			case pvno < 0 && v == 5 && (n == 0 || n == 1):
				pvno = v
			case pvno == 5 && mt < 0 && (n == 1 || n == 2):
				mt = v
			case want == 30 && n == 6:
				errCode = v
			}
		}
		if tr {
			break
		}
		seq = rest
	}
	if pvno != 5 || mt != want {
		return "", 0, 0, false
	}
	return name, errCode, mt, true
}

// kerberosPorts: the KDC and the password-change service, over TCP and UDP.
func kerberosPorts() []port {
	return []port{
		{transport: TCP, number: 88, usual: Kerberos, server: true},
		{transport: UDP, number: 88, usual: Kerberos, answers: true, hint: "Kerberos over UDP 88: MIT and Windows clients try UDP first and fall back to TCP, after a delay where UDP is dropped"},
		{transport: TCP, number: 464, server: true, hint: "Kerberos password change"},
		{transport: UDP, number: 464, answers: true, hint: "Kerberos password change over UDP"},
	}
}
