package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/flowverify/flowverify/report"
	"github.com/spf13/cobra"
)

func newDiffCmd(stdout, stderr io.Writer) *cobra.Command {
	var format string
	var anyMatrix bool
	cmd := &cobra.Command{
		Use:   "diff BASELINE.json CURRENT.json",
		Short: "What changed between two reports; exit 1 on a regression",
		Long: `diff compares a known-good baseline report with a current one: rules whose
status changed, peers that appeared, vanished or are written differently
(named, unnamed, renamed: a peer is the same by host name or by an address
in common), new and vanished unexpected traffic, and what differs in how
the two were judged (matrix, config file, named hosts, server). A rule that
got worse, a vanished peer or new unexpected traffic is a regression
(exit 1), so a recorded capture plus a baseline is a regression test.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			base, err := report.Read(args[0])
			if err != nil {
				return &exitError{exitUsage, err}
			}
			cur, err := report.Read(args[1])
			if err != nil {
				return &exitError{exitUsage, err}
			}
			return diffReports(stdout, base, cur, format, anyMatrix)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", report.FormatText, "text or json")
	cmd.Flags().BoolVar(&anyMatrix, "allow-matrix-change", false, "compare reports judged against different profiles or matrices")
	return cmd
}

func diffReports(stdout io.Writer, base, cur *report.Report, format string, anyMatrix bool) error {
	if !report.SameMatrix(base, cur) && !anyMatrix {
		return &exitError{exitUsage, fmt.Errorf("the reports were judged against different matrices (%s/%s and %s/%s); pass --allow-matrix-change to compare anyway",
			base.Matrix.Profile, base.Matrix.Name, cur.Matrix.Profile, cur.Matrix.Name)}
	}
	d := report.Compare(base, cur)
	switch format {
	case report.FormatJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			return err
		}
	case report.FormatText:
		if err := report.WriteDiffText(stdout, d); err != nil {
			return err
		}
	default:
		return &exitError{exitUsage, fmt.Errorf("--format %q: use text or json", format)}
	}
	if d.Regression {
		return &exitError{exitFindings, nil}
	}
	return nil
}
