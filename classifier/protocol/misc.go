package protocol

import "bytes"

// recogniseSMB reads the NetBIOS session header (type 0, 3-byte length)
// and the SMB protocol id behind it: 0xFF "SMB" (SMB1), 0xFE "SMB"
// (SMB2/3) or 0xFD "SMB" (SMB3 transform). A NetBIOS session request
// (0x81) alone is NetBIOS session service.
func recogniseSMB(in Input) Result {
	c := in.Client
	if in.Transport != TCP || len(c) < 4 {
		return Result{}
	}
	if c[0] == 0x81 && len(c) >= 4 {
		l := int(c[1]&1)<<16 | int(c[2])<<8 | int(c[3])
		if l >= 68 && l < 512 && c[1]&0xfe == 0 {
			return Result{ID: NetBIOSSSN, Conf: Likely}
		}
	}
	if c[0] != 0 || len(c) < 8 || string(c[5:8]) != "SMB" {
		return Result{}
	}
	res := Result{ID: SMB, Conf: Certain}
	switch c[4] {
	case 0xff:
		res.Meta.Add("version", "1")
	case 0xfe:
		res.Meta.Add("version", "2/3")
	case 0xfd:
		res.Meta.Add("version", "3-encrypted")
	default:
		return Result{}
	}
	return res
}

// recogniseRDP reads TPKT (version 3) carrying an X.224 Connection Request
// (0xE0), as an RDP client opens.
func recogniseRDP(in Input) Result {
	c := in.Client
	if in.Transport != TCP || len(c) < 11 || c[0] != 3 || c[1] != 0 {
		return Result{}
	}
	l := int(c[2])<<8 | int(c[3])
	if l < 11 || l > 4096 || int(c[4]) != l-5 || c[5]&0xf0 != 0xe0 {
		return Result{}
	}
	res := Result{ID: RDP, Conf: Certain}
	if s := in.Server; len(s) >= 6 && s[0] == 3 && s[5]&0xf0 == 0xd0 {
		res.Meta.Add("server", "connection-confirm")
	}
	return res
}

// recogniseSSH reads the identification string "SSH-2.0-" (or 1.99).
func recogniseSSH(in Input) Result {
	for _, b := range [2][]byte{in.Client, in.Server} {
		switch {
		case bytes.HasPrefix(b, []byte("SSH-2.0-")):
			res := Result{ID: SSH, Conf: Certain}
			res.Meta.Add("version", "2.0")
			return res
		case bytes.HasPrefix(b, []byte("SSH-1.99-")):
			res := Result{ID: SSH, Conf: Certain}
			res.Meta.Add("version", "1.99")
			return res
		}
	}
	return Result{}
}
