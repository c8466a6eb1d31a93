package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/flowverify/flowverify/capture/live"
	"github.com/spf13/cobra"
)

func newInterfacesCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "interfaces",
		Short: "List the capture devices and their addresses",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			devs, err := live.Interfaces()
			if err != nil {
				return &exitError{exitUsage, err}
			}
			if len(devs) == 0 {
				return &exitError{exitUsage, live.PermissionHint(errNoDevices{})}
			}
			fmt.Fprintf(stdout, "%-28s %-40s %s\n", "DEVICE", "ADDRESSES", "DESCRIPTION")
			for _, d := range devs {
				desc := d.Description
				if d.Loopback {
					desc = strings.TrimSpace(desc + " (loopback)")
				}
				fmt.Fprintf(stdout, "%-28s %-40s %s\n", d.Name, strings.Join(d.Addresses, ","), desc)
			}
			return nil
		},
	}
}
