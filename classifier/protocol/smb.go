package protocol

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
			return Result{ID: netBIOSSSN, Conf: Likely}
		}
	}
	if c[0] != 0 || len(c) < 8 || string(c[5:8]) != "SMB" {
		return Result{}
	}
	res := Result{ID: SMB, Conf: Certain}
	switch c[4] {
	case 0xff:
		res.Meta.add("version", "1")
	case 0xfe:
		res.Meta.add("version", "2/3")
	case 0xfd:
		res.Meta.add("version", "3-encrypted")
	default:
		return Result{}
	}
	return res
}

// smbPorts: SMB, directly and over a NetBIOS session.
func smbPorts() []port {
	return []port{
		{transport: TCP, number: 445, usual: SMB, server: true, hint: "SMB: file sharing or named pipes"},
		{transport: TCP, number: 139, usual: netBIOSSSN, server: true, hint: "NetBIOS session service (SMB over NetBIOS)"},
	}
}
