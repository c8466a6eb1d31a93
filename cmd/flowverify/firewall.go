package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/classifier/firewall"
	"github.com/spf13/cobra"
)

func newFirewallCmd(stdout io.Writer, environ []string) *cobra.Command {
	var mf matrixFlags
	var syntax string
	cmd := &cobra.Command{
		Use:   "firewall [--profile NAME] [--role NAME=HOST|ADDR|CIDR,...] [--syntax powershell|netsh|nftables|iptables]",
		Short: "Print the host-firewall rules the matrix implies for the server",
		Example: `  flowverify firewall --role domain-controllers=10.0.0.21,10.0.0.22 --syntax powershell
  flowverify firewall --profile threatmanager-3.0 --syntax nftables > tm.nft && nft -c -f tm.nft`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := mf.load(environ)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			if !slices.Contains(firewall.Syntaxes(), syntax) {
				return &exitError{exitUsage, fmt.Errorf("--syntax %q: use %s", syntax, strings.Join(firewall.Syntaxes(), ", "))}
			}
			header := fmt.Sprintf("flowverify %s: host-firewall rules for the %s, matrix %q (profile %s)", version, m.Site.ServerLabel(), m.Name, m.Profile)
			if m.ConfigFile != "" {
				header += " with " + m.ConfigFile
			}
			return firewall.Write(stdout, syntax, firewall.Header{Text: header, Server: m.Site.ServerLabel()}, firewall.FromMatrix(m))
		},
	}
	mf.registerMatrix(cmd)
	cmd.Flags().StringVar(&syntax, "syntax", firewall.PowerShell, "the firewall's language: powershell, netsh, nftables or iptables")
	return cmd
}
