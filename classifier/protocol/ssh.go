package protocol

import "bytes"

// recogniseSSH reads the identification string "SSH-2.0-" (or 1.99).
func recogniseSSH(in Input) Result {
	for _, b := range [2][]byte{in.Client, in.Server} {
		switch {
		case bytes.HasPrefix(b, []byte("SSH-2.0-")):
			res := Result{ID: SSH, Conf: Certain}
			res.Meta.add("version", "2.0")
			return res
		case bytes.HasPrefix(b, []byte("SSH-1.99-")):
			res := Result{ID: SSH, Conf: Certain}
			res.Meta.add("version", "1.99")
			return res
		}
	}
	return Result{}
}

// sshPorts: SSH.
func sshPorts() []port {
	return []port{
		{transport: TCP, number: 22, usual: SSH, server: true, hint: "SSH"},
	}
}
