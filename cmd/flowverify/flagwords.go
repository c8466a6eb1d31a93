package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/firewall"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/words"
	"github.com/flowverify/flowverify/report"
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

// wordReport says a report's notices in words naming the flags, and the
// advice a text report without a server gives. It is called on every
// report the engine or the merge hands over, before anything reads it
// (the live page reads the monitor's from another goroutine), and clears
// the notices, so a second call changes nothing.
func wordReport(r *report.Report) {
	server := settingFlag(matrix.SettingServer)
	for _, n := range r.Notices {
		switch n.Kind {
		case report.NoticeUnjudged:
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s ended before the server could be inferred and were not judged (held at most %d at a time); pass %s to judge them",
				words.Count(n.Flows, "flow"), n.Held, server))
		case report.NoticeNoServer:
			reason := "not judged: no server (see the candidates, or pass " + server + ")"
			if n.Merged {
				reason = "not judged: no server in any report (see the candidates, or pass " + server + ")"
			}
			for i := range r.Rules {
				r.Rules[i].Reason = reason
			}
		}
	}
	r.Notices = nil
	if !r.NoServer() {
		return
	}
	best, tied := strongest(r)
	switch {
	case best != "":
		r.Server.Advice = "To judge against the strongest: " + server + " " + best
	case len(tied) > 0:
		r.Server.Advice = "No candidate is the strongest; to judge against one: " + server + " " + strings.Join(tied, " or ")
	default:
		r.Server.Advice = "No address shows matrix evidence; 'flowverify hosts FILE' lists every host seen, then pass " + server + " ADDR"
	}
}

// strongest is the candidate to name as the strongest, or else the
// candidates that tie: inference found no strongest (its error says so),
// or the first scores as much as the next (a merge of reports).
func strongest(r *report.Report) (best string, tied []string) {
	cs := r.Server.Candidates
	if len(cs) == 0 {
		return "", nil
	}
	if ns, ok := errors.AsType[*classifier.NoServerError](r.Server.Err); ok && len(ns.Tied) > 1 {
		for _, a := range ns.Tied {
			tied = append(tied, a.String())
		}
		return "", tied
	}
	for _, c := range cs {
		if c.Score == cs[0].Score {
			tied = append(tied, c.Address)
		}
	}
	if len(tied) > 1 {
		return "", tied
	}
	return cs[0].Address, nil
}

// wordInventory spells an inventory's site as this command's flags and
// says how to use them and the site file.
func wordInventory(inv *report.Inventory) {
	inv.Flags = inv.Flags[:0]
	for _, a := range inv.Args {
		v := strings.Join(a.Values, ",")
		if a.Name != "" {
			v = a.Name + "=" + v
		}
		inv.Flags = append(inv.Flags, settingFlag(a.Setting)+" "+v)
	}
	inv.Usage = report.InventoryUsage{
		Describe: "To describe the site (or -f yaml for a matrix file; rules narrowed to some of a role need it):",
		FileHead: []string{
			"A matrix file describing the site, written by 'flowverify hosts' from",
			"what the capture showed: check the names and the roles, then pass it",
			"with -c.",
		},
	}
}

// suggestRequest is what --suggest asks of firewall.Suggest.
func (o *outputFlags) suggestRequest() firewall.Request {
	return firewall.Request{Syntax: o.suggest, Unexpected: o.suggestUnexpected, ListFlows: "--flows"}
}

// writeReport renders r as report.Write does, and words a flow list that
// could not be kept or read back as the flag that asked for it.
func writeReport(w io.Writer, r *report.Report, format string) error {
	err := report.Write(w, r, format)
	if fe, ok := errors.AsType[*report.FlowListError](err); ok {
		return fmt.Errorf("--flows: %w", fe)
	}
	return err
}
