package protocol

import "strconv"

// ICMPName names an ICMP (v6 false) or ICMPv6 message type as reports show
// it, with the code where the type has several that matter.
func ICMPName(v6 bool, ty, code uint8) string {
	name := icmpTypeName(v6, ty)
	if name == "" {
		name = "type-" + strconv.Itoa(int(ty))
	}
	if code != 0 {
		name += "/" + strconv.Itoa(int(code))
	}
	return name
}

func icmpTypeName(v6 bool, ty uint8) string {
	if v6 {
		switch ty {
		case 1:
			return "destination-unreachable"
		case 2:
			return "packet-too-big"
		case 3:
			return "time-exceeded"
		case 4:
			return "parameter-problem"
		case 128:
			return "echo-request"
		case 129:
			return "echo-reply"
		}
		return ""
	}
	switch ty {
	case 0:
		return "echo-reply"
	case 3:
		return "destination-unreachable"
	case 5:
		return "redirect"
	case 8:
		return "echo-request"
	case 11:
		return "time-exceeded"
	case 12:
		return "parameter-problem"
	case 13:
		return "timestamp-request"
	case 15:
		return "information-request"
	case 17:
		return "address-mask-request"
	}
	return ""
}
