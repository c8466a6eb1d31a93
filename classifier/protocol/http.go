package protocol

import "bytes"

func httpMethods() [9]string {
	return [...]string{"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"}
}

const http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// recogniseHTTP reads an HTTP/1.x request line (method SP target SP
// HTTP/1.x CRLF), the HTTP/2 connection preface, and a status line from
// the server. Only method, version and status code are kept: targets and
// headers can carry tokens.
func recogniseHTTP(in Input) Result {
	c := bytes.TrimLeft(in.Client, " \t\r\n")
	if n := min(len(c), len(http2Preface)); n >= 14 && string(c[:n]) == http2Preface[:n] {
		return Result{ID: HTTP2, Conf: Certain}
	}
	var res Result
	for _, m := range httpMethods() {
		if len(c) > len(m) && string(c[:len(m)]) == m && c[len(m)] == ' ' {
			res = Result{ID: HTTP, Conf: Likely}
			res.Meta.add("method", m)
			if i := bytes.IndexByte(c, '\n'); i >= 0 {
				line := bytes.TrimRight(c[:i], "\r")
				if j := bytes.LastIndexByte(line, ' '); j > len(m) && bytes.HasPrefix(line[j+1:], []byte("HTTP/1.")) && len(line) == j+9 && (line[j+8] == '0' || line[j+8] == '1') {
					res.Conf = Certain
					res.Meta.add("version", string(line[j+1:]))
				}
			}
			break
		}
	}
	s := in.Server
	if len(s) >= 12 && string(s[:7]) == "HTTP/1." && s[8] == ' ' && isDigits(s[9:12]) {
		if res.ID == Unknown {
			res = Result{ID: HTTP, Conf: Likely}
		} else {
			res.Conf = Certain
		}
		res.Meta.add("status", string(s[9:12]))
	}
	return res
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// httpPorts: HTTP on the standard port and the consoles'.
func httpPorts() []port {
	return []port{
		{transport: TCP, number: 80, usual: HTTP, server: true, hint: "HTTP"},
		{transport: TCP, number: 8080, usual: HTTP, server: true},
	}
}
