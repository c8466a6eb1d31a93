package matrix

import (
	"fmt"
	"strings"

	"github.com/flowverify/flowverify/internal/words"
)

// ConfigError is a configuration problem, naming the key at fault.
type ConfigError struct {
	Source string // file name or "environment" or "flag"
	line   int    // line in the file, when it can be told
	Key    string
	// Setting is the caller's setting at fault when Source is "flag"; Key
	// is then only the name it was given for (a host's, a role's), and the
	// caller words the setting as it spells it (cmd/flowverify: a flag).
	Setting Setting
	Msg     string
	// Err is the cause when it is a value of its own (a read error, an
	// *UnknownHostError, a *ProfileConflictError); Msg, when empty, is
	// its message, and when set words the cause itself (the YAML
	// parser's reason without its prefixes), so Error prints Msg alone.
	Err error
}

func (e *ConfigError) Error() string {
	src := e.Source
	if e.line > 0 {
		src = fmt.Sprintf("%s:%d", e.Source, e.line)
	}
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if mk, ok := e.Err.(*MissingKeyError); ok && e.Msg == "" {
		return fmt.Sprintf("%s: %s", src, mk)
	}
	key := e.Key
	if e.Setting != 0 {
		key = strings.TrimSpace(e.Setting.String() + " " + e.Key)
	}
	if key == "" {
		return fmt.Sprintf("%s: %s", src, msg)
	}
	return fmt.Sprintf("%s: %s: %s", src, key, msg)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Setting is a setting the caller gives outside any file and environment
// (LoadOptions: the command's flags). The policy says which one is at
// fault; only the caller knows how its user spells it.
type Setting uint8

const (
	SettingProfile Setting = iota + 1 // LoadOptions.Profile
	SettingServer                     // LoadOptions.Server
	SettingHost                       // LoadOptions.Hosts, one host
	SettingRole                       // LoadOptions.Roles, one role
	SettingFailOn                     // LoadOptions.FailOn
)

// String names the setting as the matrix file's key for the same thing.
func (s Setting) String() string {
	switch s {
	case SettingProfile:
		return "extends"
	case SettingServer:
		return "server"
	case SettingHost:
		return "hosts"
	case SettingRole:
		return "roles"
	case SettingFailOn:
		return "fail_on"
	}
	return fmt.Sprintf("setting(%d)", uint8(s))
}

// UnknownHostError is a name given where a host is expected (a role's
// member, the server) that no host defines. Known lists the hosts that
// are defined; with none, the caller may say how to define one.
type UnknownHostError struct {
	Name  string
	Known []string
}

func (e *UnknownHostError) Error() string {
	known := "none are defined; add hosts: {" + e.Name + ": [ADDR, ...]}"
	if len(e.Known) > 0 {
		known = "known: " + strings.Join(e.Known, ", ")
	}
	return fmt.Sprintf("no host %q (%s)%s", e.Name, known, words.DidYouMean(hostName(e.Name), e.Known))
}

// ProfileConflictError is a matrix file that extends one profile while
// the caller asks for another.
type ProfileConflictError struct {
	Extends, Profile string
}

func (e *ProfileConflictError) Error() string {
	return fmt.Sprintf("the file extends %q but the profile asked for is %q", e.Extends, e.Profile)
}

// MissingKeyError is a key that must be given and is not, or is given
// empty: worded as missing, not as a bad value "".
type MissingKeyError struct {
	Key  string // in full: rules[winrm-out].direction
	Want string // what it takes: "one of inbound, outbound, ..."
}

func (e *MissingKeyError) Error() string { return e.Key + " is required: " + e.Want }

// locate adds the line of the error's key when it comes from the user's
// file and the key is in it; an error of the layer check has its line.
func locate(err error, file string, data []byte) error {
	ce, ok := err.(*ConfigError)
	if !ok || ce.Source != file || ce.line > 0 || data == nil || ce.Key == "" {
		return err
	}
	ce.line = lineOf(data, ce.Key)
	return ce
}
