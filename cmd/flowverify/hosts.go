package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/words"
	"github.com/flowverify/flowverify/report"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// newHostsCmd is the analyst's first look at a capture nobody described:
// every host, what it serves and opens, the part it plays, and the flags
// or matrix file that would describe the site.
func newHostsCmd(stdout, stderr io.Writer, environ []string) *cobra.Command {
	var mf matrixFlags
	var format string
	var output string
	var quiet bool
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
			var prog classifier.Progress
			if !quiet {
				prog = progressBar(stderr, srcs)
			}
			inv, err := classifier.Inventory(m, srcs, failed, classifier.Options{Version: version, Progress: prog})
			if err != nil {
				return &exitError{exitUsage, err}
			}
			wordInventory(inv)
			wordUndecided(inv, append(rerunFlags(cmd), args...))
			if output == "" {
				if err := report.WriteInventory(stdout, inv, format); err != nil {
					return err
				}
				return hostsExit(inv)
			}
			if err := writeFileAtomic(output, func(w io.Writer) error { return report.WriteInventory(w, inv, format) }); err != nil {
				return &exitError{exitUsage, fmt.Errorf("--output %s: %w", output, cause(err))}
			}
			fmt.Fprintf(stderr, "%s found; wrote %s\n", words.Count(len(inv.Hosts), "host"), output)
			return hostsExit(inv)
		},
	}
	mf.register(cmd, "the server's addresses or host name, or auto (default) to infer them from the traffic")
	cmd.Flags().StringVarP(&format, "format", "f", report.FormatText, "output format: "+strings.Join(report.InventoryFormats(), "|")+" ("+report.FormatYAML+": a matrix file for -c)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to FILE instead of stdout")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

// hostsExit is analyze's status for what hosts can tell: 3 when an input
// was damaged (the inventory covers what was read), 2 when no server was
// decided (the inventory and the site file's choices are still written),
// else 0.
func hostsExit(inv *report.Inventory) error {
	if inv.Damaged {
		return &exitError{exitDamaged, newDamagedError(&report.Report{Inputs: inv.Inputs})}
	}
	if inv.Decided() {
		return nil
	}
	advice := inv.Undecided.Advice
	if advice != "" {
		advice = strings.ToLower(advice[:1]) + advice[1:]
	}
	msg := "no server could be inferred (" + strings.Join(inv.Server.Evidence, "; ") + "); " + advice
	return &exitError{exitUsage, &notJudgedError{msg, inv.Server.Err}}
}

// rerunFlags are the flags hosts was given that shape the site (the
// profile, a matrix file, hosts and roles), for the line that lists it
// again with a server: without them it would describe another site.
func rerunFlags(cmd *cobra.Command) []string {
	var out []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "server", "format", "output", "quiet":
			return
		}
		vals := []string{f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			vals = sv.GetSlice()
		}
		for _, v := range vals {
			out = append(out, "--"+f.Name, v)
		}
	})
	return out
}

// shellWord quotes a word for a POSIX shell when it needs it.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:/=@%+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// wordUndecided says, for an inventory without a server, the --server
// line to paste: the candidate analyze names as the strongest, the tied
// ones, or, without evidence, one of the hosts listed.
func wordUndecided(inv *report.Inventory, args []string) {
	if inv.Decided() {
		return
	}
	server := settingFlag(matrix.SettingServer)
	best, tied := strongest(&report.Report{Server: inv.Server})
	choice := "ADDR"
	u := &inv.Undecided
	switch {
	case best != "":
		choice = best
		u.Advice = "The strongest candidate is " + best + ": try " + server + " " + best
	case len(tied) > 0:
		u.Advice = "No candidate is the strongest: try " + server + " with the right one of " + strings.Join(tied, ", ")
	default:
		u.Advice = "No address shows matrix evidence: pass " + server + " ADDR, the server's address among the hosts listed"
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellWord(a)
	}
	again := "flowverify hosts " + server + " " + choice + " " + strings.Join(quoted, " ")
	u.Describe = []string{
		"No server was decided, so no host plays a part yet. Name the server and list the site again:",
		"  " + again,
	}
	u.FileHow = []string{
		"Uncomment the line of the server below, or better, run",
		"  " + again + " -f yaml",
		"which also names the site's other hosts and fills the roles.",
	}
}
