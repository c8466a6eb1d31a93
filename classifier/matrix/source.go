package matrix

import "fmt"

// ServerSource says where a report's server addresses came from
// (report server.source). Its text is part of the report schema.
type ServerSource uint8

// Server sources. The zero value is no source at all, written "".
const (
	// serverFromConfig: the matrix file or its environment named it.
	serverFromConfig ServerSource = iota + 1
	// ServerFromFlag: the command line named it.
	ServerFromFlag
	// ServerInferred: the evidence in the traffic showed it ("auto").
	ServerInferred
	// ServerFromInterfaces: a monitor's own interfaces' addresses.
	ServerFromInterfaces
	// ServerMerged: the servers of the reports a merge added up.
	ServerMerged
	// ServerNone: no server was known, so nothing was judged.
	ServerNone
)

var serverSourceNames = [...]string{0: "", serverFromConfig: "config", ServerFromFlag: "flag", ServerInferred: "auto",
	ServerFromInterfaces: "interfaces", ServerMerged: "merged", ServerNone: "none"}

func (s ServerSource) String() string {
	if int(s) < len(serverSourceNames) {
		return serverSourceNames[s]
	}
	return fmt.Sprintf("source(%d)", uint8(s))
}

// MarshalText writes the source's name.
func (s ServerSource) MarshalText() ([]byte, error) {
	if int(s) >= len(serverSourceNames) {
		return nil, fmt.Errorf("no server source %d", uint8(s))
	}
	return []byte(serverSourceNames[s]), nil
}

// UnmarshalText reads a source's name, as a report read back writes it.
func (s *ServerSource) UnmarshalText(b []byte) error {
	for k, name := range serverSourceNames {
		if name == string(b) {
			*s = ServerSource(k)
			return nil
		}
	}
	return fmt.Errorf("%q is not a server source (config, flag, auto, interfaces, merged, none)", b)
}
