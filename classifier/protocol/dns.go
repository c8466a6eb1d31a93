package protocol

import "encoding/binary"

// recogniseDNS reads a DNS message header and its first question (label
// lengths, a terminating root label, type and class). On 5353 and 5355 the
// same format is mDNS and LLMNR. Names asked are not kept. Over TCP a
// 2-byte length comes first.
func recogniseDNS(in Input) Result {
	var res Result
	for dir, b := range [2][]byte{in.Client, in.Server} {
		if in.Transport == TCP {
			if len(b) < 2 || int(binary.BigEndian.Uint16(b)) < 12 {
				continue
			}
			b = b[2:]
		}
		op, rcode, ok := dnsMessage(b, dir == 1)
		if !ok {
			continue
		}
		if res.ID == Unknown {
			res = Result{ID: DNS, Conf: Likely}
			switch in.Port {
			case 5353:
				res.ID = MDNS
			case 5355:
				res.ID = LLMNR
			}
			if op != 0 {
				res.Meta.add("opcode", itoa(op))
			}
		} else {
			res.Conf = Certain // a query and its answer
		}
		if dir == 1 {
			res.Meta.add("rcode", itoa(rcode))
		}
	}
	return res
}

func dnsMessage(b []byte, response bool) (opcode, rcode int, ok bool) {
	if len(b) < 17 {
		return 0, 0, false
	}
	flags := binary.BigEndian.Uint16(b[2:4])
	qd := binary.BigEndian.Uint16(b[4:6])
	opcode, rcode = int(flags>>11&0xf), int(flags&0xf)
	if (flags&0x8000 != 0) != response || qd == 0 || qd > 8 || (opcode != 0 && opcode != 4 && opcode != 5) || flags&0x0040 != 0 {
		return 0, 0, false
	}
	p, labels := 12, 0
	for {
		if p >= len(b) {
			return 0, 0, false
		}
		l := int(b[p])
		if l == 0 {
			p++
			break
		}
		if l&0xc0 != 0 || labels > 40 || l > 63 {
			return 0, 0, false
		}
		for _, c := range b[p+1 : min(len(b), p+1+l)] {
			if c < 0x20 || c > 0x7e {
				return 0, 0, false
			}
		}
		p += 1 + l
		labels++
	}
	if p+4 > len(b) {
		return 0, 0, false
	}
	class := binary.BigEndian.Uint16(b[p+2:]) &^ 0x8000 // mDNS's unicast-response bit
	if class != 1 && class != 3 && class != 255 || binary.BigEndian.Uint16(b[p:]) == 0 {
		return 0, 0, false
	}
	return opcode, rcode, true
}

// dnsPorts: DNS and its link-local cousins, which answer requests.
func dnsPorts() []port {
	return []port{
		{transport: UDP, number: 53, usual: DNS, server: true, answers: true, hint: "DNS: name resolution; add an ignore rule if the site does not judge it"},
		{transport: TCP, number: 53, usual: DNS, server: true, hint: "DNS over TCP (zone transfer or a large answer)"},
		{transport: UDP, number: 5353, usual: MDNS, server: true, answers: true, hint: "mDNS (link-local name resolution)"},
		{transport: UDP, number: 5355, usual: LLMNR, server: true, answers: true, hint: "LLMNR (link-local name resolution)"},
	}
}
