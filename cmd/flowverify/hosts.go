package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/internal/words"
	"github.com/flowverify/flowverify/report"
	"github.com/spf13/cobra"
)

// newHostsCmd is the analyst's first look at a capture nobody described:
// every host, what it serves and opens, the part it plays, and the flags
// or matrix file that would describe the site.
func newHostsCmd(stdout, stderr io.Writer, environ []string) *cobra.Command {
	var mf matrixFlags
	var format string
	var output string
	cmd := &cobra.Command{
		Use:   "hosts [flags] FILE|DIR...",
		Short: "List every host of a capture, what it serves and opens, and the site configuration that describes it",
		Example: `  flowverify hosts customer.pcapng
  flowverify hosts -f yaml -o site.yaml customer.pcapng && flowverify analyze -c site.yaml customer.pcapng`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(report.InventoryFormats(), format) {
				return &exitError{exitUsage, fmt.Errorf("--format %q: known formats are %s", format, strings.Join(report.InventoryFormats(), ", "))}
			}
			if output != "" {
				if err := writable(output); err != nil {
					return &exitError{exitUsage, fmt.Errorf("--output %s: %w", output, err)}
				}
			}
			m, err := mf.load(environ)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			files, err := expandInputs(args)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			srcs, failed, err := openInputs(files, stderr)
			if err != nil {
				return err
			}
			inv, err := classifier.Inventory(m, srcs, failed, classifier.Options{Version: version})
			if err != nil {
				return &exitError{exitUsage, err}
			}
			wordInventory(inv)
			if output == "" {
				return report.WriteInventory(stdout, inv, format)
			}
			if err := writeFileAtomic(output, func(w io.Writer) error { return report.WriteInventory(w, inv, format) }); err != nil {
				return &exitError{exitUsage, fmt.Errorf("--output %s: %w", output, cause(err))}
			}
			fmt.Fprintf(stderr, "%s found; wrote %s\n", words.Count(len(inv.Hosts), "host"), output)
			return nil
		},
	}
	mf.register(cmd, "the server's addresses or host name, or auto (default) to infer them from the traffic")
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: "+strings.Join(report.InventoryFormats(), "|")+" (yaml: a matrix file for -c)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to FILE instead of stdout")
	return cmd
}
