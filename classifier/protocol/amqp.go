package protocol

import "encoding/binary"

// recogniseAMQP reads the 8-byte protocol header a client sends first
// ("AMQP" + protocol id + version), and the broker's Connection.Start
// method frame (AMQP 0-9-1 class 10, method 10).
func recogniseAMQP(in Input) Result {
	c := in.Client
	var res Result
	if len(c) >= 8 && string(c[:4]) == "AMQP" {
		res = Result{ID: AMQP, Conf: Certain}
		switch h := c[4:8]; {
		case h[0] == 0 && h[1] == 0 && h[2] == 9 && h[3] == 1:
			res.Meta.add("version", "0-9-1")
		case h[0] == 0 && h[1] == 1 && h[2] == 0 && h[3] == 0:
			res.Meta.add("version", "1.0")
		case h[0] == 3 && h[1] == 1 && h[2] == 0 && h[3] == 0:
			res.Meta.add("version", "1.0")
			res.Meta.add("layer", "sasl")
		case h[0] == 2 && h[1] == 1 && h[2] == 0 && h[3] == 0:
			res.Meta.add("version", "1.0")
			res.Meta.add("layer", "tls")
		case h[0] == 1 && h[1] == 1:
			res.Meta.add("version", "0-"+itoa(int(h[2]))) // 0-8 and 0-9 headers
		default:
			res.Conf = Likely
		}
	} else if len(c) >= 4 && string(c[:4]) == "AMQP" {
		res = Result{ID: AMQP, Conf: Likely}
	}
	if res.ID == Unknown {
		// Mid-stream: a whole 0-9-1 frame from either side (type, channel,
		// size, payload, frame-end 0xCE), as nDPI accepts.
		for _, b := range [2][]byte{in.Client, in.Server} {
			if kind, ok := amqpFrame(b); ok {
				res = Result{ID: AMQP, Conf: Certain}
				res.Meta.add("version", "0-9-1")
				res.Meta.add("first-frame", kind)
				break
			}
		}
	}
	if start, ok := connectionStart(in.Server); ok {
		if res.ID == Unknown {
			res = Result{ID: AMQP, Conf: Certain}
		}
		res.Meta.add("broker", "connection.start "+start)
	}
	return res
}

// connectionStart checks a method frame: type 1, channel 0, size, class 10
// method 10, version major/minor, ..., frame-end 0xCE.
func connectionStart(s []byte) (string, bool) {
	if len(s) < 11 || s[0] != 1 || s[1] != 0 || s[2] != 0 {
		return "", false
	}
	size := int(binary.BigEndian.Uint32(s[3:7]))
	if size < 6 || size > 1<<20 {
		return "", false
	}
	if binary.BigEndian.Uint16(s[7:9]) != 10 || binary.BigEndian.Uint16(s[9:11]) != 10 {
		return "", false
	}
	if len(s) > 7+size && s[7+size] != 0xce {
		return "", false
	}
	if len(s) < 13 {
		return "", true
	}
	return itoa(int(s[11])) + "-" + itoa(int(s[12])), true
}

// amqpFrame checks one complete AMQP 0-9-1 frame at the start of b.
func amqpFrame(b []byte) (string, bool) {
	if len(b) < 8 {
		return "", false
	}
	size := int(binary.BigEndian.Uint32(b[3:7]))
	if size > 1<<20 || len(b) < 8+size || b[7+size] != 0xce {
		return "", false
	}
	switch b[0] {
	case 1:
		if size < 4 {
			return "", false
		}
		switch binary.BigEndian.Uint16(b[7:9]) { // class id
		case 10, 20, 40, 50, 60, 85, 90:
			return "method", true
		}
	case 2:
		return "content-header", size >= 14
	case 3:
		return "content-body", true
	case 8:
		return "heartbeat", size == 0
	}
	return "", false
}

// amqpPorts: AMQP's standard broker port; a product's own is its matrix's.
func amqpPorts() []port {
	return []port{
		{transport: TCP, number: 5672, usual: AMQP, server: true, hint: "AMQP on its standard port"},
	}
}
