package protocol

// syslog severities and facilities (RFC 5424 §6.2.1).
func severities() [8]string {
	return [8]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}
}

func facilities() [24]string {
	return [24]string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
		"authpriv", "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4",
		"local5", "local6", "local7"}
}

func months() [12]string {
	return [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
}

// recogniseSyslog reads RFC 3164 and RFC 5424 messages, over UDP or TCP
// (octet-counted "LEN <PRI>..." or newline-framed). Syslog is recognised by
// its framing, never by the sender's message format. Only facility,
// severity and format are kept; the message never is.
func recogniseSyslog(in Input) Result {
	if res := syslogMessage(in.Client, in.Transport); res.ID != Unknown || len(in.Client) > 0 {
		return res
	}
	// Only the responder spoke: a one-way stream whose start was missed.
	return syslogMessage(in.Server, in.Transport)
}

func syslogMessage(b []byte, t Transport) Result {
	framing := ""
	if t == TCP {
		framing = "non-transparent"
		// Octet counting (RFC 6587 §3.4.1): MSG-LEN SP SYSLOG-MSG.
		i := 0
		for i < len(b) && i < 6 && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i > 0 && i < len(b) && b[i] == ' ' && b[0] != '0' {
			b = b[i+1:]
			framing = "octet-counting"
		}
	}
	if len(b) < 4 || b[0] != '<' {
		return Result{}
	}
	pri, i := 0, 1
	for ; i < len(b) && i <= 4 && b[i] >= '0' && b[i] <= '9'; i++ {
		pri = pri*10 + int(b[i]-'0')
	}
	if i == 1 || i > 4 || i >= len(b) || b[i] != '>' || pri > 191 || (b[1] == '0' && i > 2) {
		return Result{}
	}
	rest := b[i+1:]
	res := Result{ID: Syslog, Conf: Likely}
	switch {
	case len(rest) >= 2 && rest[0] == '1' && rest[1] == ' ':
		res.Conf = Certain
		res.Meta.add("format", "rfc5424")
	case len(rest) >= 4 && isMonth(rest[:3]) && rest[3] == ' ':
		res.Conf = Certain
		res.Meta.add("format", "rfc3164")
	default:
		// A PRI alone: many devices skip the header. Demand printable text.
		for _, c := range rest[:min(len(rest), 16)] {
			if c < 0x20 && c != '\t' || c == 0x7f {
				return Result{}
			}
		}
		res.Meta.add("format", "pri-only")
	}
	res.Meta.add("facility", facilities()[pri/8])
	res.Meta.add("severity", severities()[pri%8])
	if framing != "" {
		res.Meta.add("framing", framing)
	}
	return res
}

func isMonth(b []byte) bool {
	for _, m := range months() {
		if string(b) == m {
			return true
		}
	}
	return false
}

// syslogPorts: syslog's standard receiver port. A product's own syslog
// port is its matrix's: the flow table learns the matrix's ports.
func syslogPorts() []port {
	return []port{
		{transport: UDP, number: 514, usual: Syslog, server: true, hint: "syslog on the standard port"},
	}
}
