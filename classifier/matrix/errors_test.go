package matrix

import (
	"errors"
	"io/fs"
	"testing"
)

// TestLoadErrorsAreValues: what Load refuses says which setting or key is
// at fault and why as values, for errors.As, and names no flag: the
// caller words a Setting as it spells it.
func TestLoadErrorsAreValues(t *testing.T) {
	cases := []struct {
		name    string
		opt     func(t *testing.T) LoadOptions
		source  string
		setting Setting
		key     string
		cause   func(error) bool
		msg     string // the error without a caller's words
	}{
		{"unknown host in a role", func(*testing.T) LoadOptions {
			return LoadOptions{Roles: map[string][]string{"domain-controllers": {"dc9"}}}
		}, "flag", SettingRole, "domain-controllers",
			func(err error) bool { uh, ok := errors.AsType[*UnknownHostError](err); return ok && uh.Name == "dc9" },
			`flag: roles domain-controllers: no host "dc9" (none are defined; add hosts: {dc9: [ADDR, ...]})`},
		{"unknown server host", func(*testing.T) LoadOptions {
			return LoadOptions{Server: []string{"tm"}, Hosts: map[string][]string{"tn": {"10.20.0.10"}}}
		}, "flag", SettingServer, "",
			func(err error) bool { uh, ok := errors.AsType[*UnknownHostError](err); return ok && uh.Name == "tm" },
			`flag: server: no host "tm" (known: tn); did you mean tn?`},
		{"a host's bad address", func(*testing.T) LoadOptions {
			return LoadOptions{Hosts: map[string][]string{"dc1": {"10.20.0.0/24"}}}
		}, "flag", SettingHost, "dc1", func(err error) bool { return errors.Unwrap(err) == nil },
			`flag: hosts dc1: "10.20.0.0/24" is not an IP address (a host lists addresses; CIDRs belong in roles)`},
		{"a profile the file does not extend", func(t *testing.T) LoadOptions {
			return LoadOptions{ConfigFile: writeConfig(t, "extends: threatmanager\n"), Profile: "threatmanager-3.0"}
		}, "", 0, "extends",
			func(err error) bool {
				pc, ok := errors.AsType[*ProfileConflictError](err)
				return ok && pc.Extends == "threatmanager" && pc.Profile == "threatmanager-3.0"
			}, ""},
		{"a rule without a direction", func(t *testing.T) LoadOptions {
			return LoadOptions{ConfigFile: writeConfig(t, "rules:\n  - {id: winrm-out, transport: tcp, ports: \"5985\"}\n")}
		}, "", 0, "rules[winrm-out].direction",
			func(err error) bool {
				mk, ok := errors.AsType[*MissingKeyError](err)
				return ok && mk.Key == "rules[winrm-out].direction"
			}, ""},
		{"bad fail_on", func(*testing.T) LoadOptions { return LoadOptions{FailOn: []string{"everything"}} },
			"flag", SettingFailOn, "", func(err error) bool { return errors.Unwrap(err) != nil }, ""},
		{"a missing file", func(*testing.T) LoadOptions { return LoadOptions{ConfigFile: "/nonexistent/matrix.yaml"} },
			"/nonexistent/matrix.yaml", 0, "", func(err error) bool { return errors.Is(err, fs.ErrNotExist) }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := c.opt(t)
			_, err := Load(opt)
			ce, ok := errors.AsType[*ConfigError](err)
			if !ok {
				t.Fatalf("%v: not a *ConfigError", err)
			}
			source := c.source
			if source == "" {
				source = opt.ConfigFile
			}
			if ce.Source != source || ce.Setting != c.setting || ce.Key != c.key {
				t.Errorf("source %q setting %v key %q, want %q %v %q", ce.Source, ce.Setting, ce.Key, source, c.setting, c.key)
			}
			if !c.cause(err) {
				t.Errorf("%v: not the cause meant", err)
			}
			if c.msg != "" && err.Error() != c.msg {
				t.Errorf("message\n  %s\nwant\n  %s", err, c.msg)
			}
		})
	}
}
