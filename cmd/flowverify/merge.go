package main

import (
	"io"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
	"github.com/spf13/cobra"
)

func newMergeCmd(stdout, stderr io.Writer) *cobra.Command {
	var of outputFlags
	var anyMatrix bool
	cmd := &cobra.Command{
		Use:   "merge REPORT.json...",
		Short: "Combine reports of several sensors, files or days into one answer",
		Long: `merge adds reports up and decides rule statuses and the verdict again over
the sums, as one analysis would: reports without a server stay not judged
(exit 2), a monitor short of its window keeps the merge observing.` + exitHelp,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := of.check(cmd); err != nil {
				return &exitError{exitUsage, err}
			}
			var rs []*report.Report
			for _, a := range args {
				r, err := report.Read(a)
				if err != nil {
					return &exitError{exitUsage, err}
				}
				defer r.Flows.Close()
				rs = append(rs, r)
			}
			m, err := report.Merge(rs, anyMatrix)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			wordReport(m)
			defer m.Flows.Close()
			if err := of.write(stdout, stderr, m); err != nil {
				return &exitError{exitUsage, err}
			}
			// The merged report carries no matrix of its own: every
			// finding kind counts, as before.
			code := matrix.ExitStatus(m.Facts(), func(matrix.Finding) bool { return true }, m.Summary.Damaged)
			if code == matrix.ExitConforms {
				return nil
			}
			return &exitError{code, nil}
		},
	}
	cmd.Flags().StringVarP(&of.format, "format", "f", report.FormatText, "report format: "+strings.Join(report.KnownFormats(), "|"))
	cmd.Flags().StringArrayVarP(&of.outputs, "output", "o", nil, "write the merged report to FILE (repeatable)")
	cmd.Flags().BoolVar(&anyMatrix, "allow-matrix-change", false, "merge reports judged against different matrices")
	return cmd
}
