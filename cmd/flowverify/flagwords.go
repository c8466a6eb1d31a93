package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"
)

// This file is where flowverify's flag names meet what the engine, the
// policy and the report say: they return what happened as values (a
// setting, a kind of notice, an error type with its fields), and only
// here is it worded with the flags a user types.

// settingFlag spells a setting of matrix.LoadOptions as the flag that
// gives it.
func settingFlag(s matrix.Setting) string {
	switch s {
	case matrix.SettingProfile:
		return "--profile"
	case matrix.SettingServer:
		return "--server"
	case matrix.SettingHost:
		return "--host"
	case matrix.SettingRole:
		return "--role"
	case matrix.SettingFailOn:
		return "--fail-on"
	}
	return s.String()
}

// wordLoadError words what matrix.Load refused with the flags: the
// setting at fault and the flag that would mend it. Load returns its
// *matrix.ConfigError as it is, unwrapped, so a copy replaces it whole.
func wordLoadError(err error) error {
	ce, ok := err.(*matrix.ConfigError)
	if !ok {
		return err
	}
	c := *ce
	if c.Setting != 0 {
		c.Key = strings.TrimSpace(settingFlag(c.Setting) + " " + c.Key)
		c.Setting = 0
	}
	if c.Msg == "" {
		if uh, ok := errors.AsType[*matrix.UnknownHostError](c.Err); ok && len(uh.Known) == 0 {
			c.Msg = fmt.Sprintf("no host %q (none are defined; add hosts: {%s: [ADDR, ...]} or %s %s=ADDR,...)", uh.Name, uh.Name, settingFlag(matrix.SettingHost), uh.Name)
		}
		if pc, ok := errors.AsType[*matrix.ProfileConflictError](c.Err); ok {
			c.Msg = fmt.Sprintf("the file extends %q but %s asks for %q", pc.Extends, settingFlag(matrix.SettingProfile), pc.Profile)
		}
	}
	return &c
}
