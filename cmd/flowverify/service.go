package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/flowverify/flowverify/report"
	"github.com/spf13/cobra"
)

// Event Log ids, one per kind of finding, stable across versions so that
// a SIEM or a scheduled task can key on them (listed in the README).
var eventLogIDs = map[report.EventType]uint32{
	report.EventRuleMissing:    1001,
	report.EventRuleBlocked:    1002,
	report.EventRuleRecovered:  1003,
	report.EventUnexpectedSeen: 1004,
	report.EventDropsRose:      1005,
	report.EventScan:           1006,
}

// eventLogText is the one line an Event Log entry carries for an event.
func eventLogText(ev report.Event) string {
	var b strings.Builder
	b.WriteString(ev.Type.String())
	dir := "" // as JSON omits it
	if ev.Direction != 0 {
		dir = ev.Direction.String()
	}
	for _, kv := range [][2]string{{"rule", ev.Rule}, {"status", string(ev.Status)}, {"previous", string(ev.Previous)},
		{"transport", ev.Transport}, {"direction", dir}, {"peer", ev.Peer}, {"host", ev.Host}, {"interface", ev.Interface}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, " %s=%s", kv[0], kv[1])
		}
	}
	if ev.Port != 0 {
		fmt.Fprintf(&b, " port=%d", ev.Port)
	}
	if ev.Drops != 0 {
		fmt.Fprintf(&b, " drops=%d", ev.Drops)
	}
	if ev.Reason != "" {
		b.WriteString(": " + ev.Reason)
	}
	return b.String()
}

func newServiceCmd(stdout, stderr io.Writer, environ []string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "service install|uninstall|start|stop|status",
		Short: "Run the monitor as a Windows service (Linux: configs/flowverify.service)",
		Long: `On Windows, 'flowverify service install [monitor flags...]' registers the
monitor with the Service Control Manager, set to start with the system, and
the Event Log source "flowverify"; the flags are stored with the service
and 'status' shows them. Stopping the service or shutting Windows down
ends the monitor as Ctrl-C would: the final report is written. Findings
also go to the Event Log (ids in the README). On Linux, use the systemd
unit configs/flowverify.service instead.`,
	}
	sub := func(use, short string, fn func(args []string) error, args cobra.PositionalArgs) *cobra.Command {
		c := &cobra.Command{Use: use, Short: short, Args: args,
			RunE: func(c *cobra.Command, args []string) error {
				if err := fn(args); err != nil {
					return &exitError{exitUsage, err}
				}
				return nil
			}}
		return c
	}
	status := func(args []string) error {
		st, err := serviceStatus()
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, st)
		return nil
	}
	run := &cobra.Command{Use: "run", Hidden: true, DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error { return serviceRun(args, environ) }}
	install := sub("install [monitor flags...]", "register the monitor, with these flags, as a service started with the system", serviceInstall, cobra.ArbitraryArgs)
	// What follows install is the monitor's flags, not install's: they
	// are stored with the service as given.
	install.DisableFlagParsing = true
	cmd.AddCommand(
		install,
		sub("uninstall", "stop and remove the service and its Event Log source", func([]string) error { return serviceUninstall() }, cobra.NoArgs),
		sub("start", "start the service", func([]string) error { return serviceControl(true) }, cobra.NoArgs),
		sub("stop", "stop the service (the monitor writes its final report)", func([]string) error { return serviceControl(false) }, cobra.NoArgs),
		sub("status", "say whether the service runs, and with which flags", status, cobra.NoArgs),
		run)
	return cmd
}
