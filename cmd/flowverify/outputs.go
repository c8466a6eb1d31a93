package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/classifier/firewall"
	"github.com/flowverify/flowverify/report"
	"github.com/spf13/cobra"
)

// Where a report goes: the output flags, the checks that an -o file can
// be written before any input is read, and the atomic write.

type outputFlags struct {
	format            string
	formatSet         bool // -f given: the report goes to stdout beside any -o files
	outputs           []string
	flows             bool
	suggest           string
	suggestUnexpected bool
}

func (o *outputFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&o.format, "format", "f", report.FormatText, "report format: "+strings.Join(report.KnownFormats(), "|"))
	fl.StringArrayVarP(&o.outputs, "output", "o", nil, "write the report to FILE (repeatable; format from the extension)")
	fl.BoolVar(&o.flows, "flows", false, "include every flow with its verdict (JSON), or one flow per line (jsonl)")
	fl.StringVar(&o.suggest, "suggest", "", "propose firewall rules for blocked attempts: powershell (default), netsh, nftables, iptables")
	fl.Lookup("suggest").NoOptDefVal = firewall.PowerShell
	fl.BoolVar(&o.suggestUnexpected, "suggest-unexpected", false, "with --suggest, also write rules that would allow the unexpected traffic")
}

// takeSuggestSyntax lets "--suggest powershell" work as well as
// "--suggest=powershell": with an optional value, pflag leaves the syntax
// among the arguments.
func (o *outputFlags) takeSuggestSyntax(cmd *cobra.Command, args []string) []string {
	if !cmd.Flags().Changed("suggest") || len(args) == 0 || !slices.Contains(firewall.Syntaxes(), args[0]) {
		return args
	}
	if _, err := os.Stat(args[0]); err == nil {
		return args // a capture file that happens to be called "netsh"
	}
	o.suggest = args[0]
	return args[1:]
}

// check validates the output flags and, before any input is read, that
// every -o file can be written where the user asked: a run over a large
// capture must not end in a path error.
func (o *outputFlags) check(cmd *cobra.Command) error {
	o.formatSet = cmd.Flags().Changed("format")
	if !slices.Contains(report.KnownFormats(), o.format) {
		return fmt.Errorf("--format %q: known formats are %s", o.format, strings.Join(report.KnownFormats(), ", "))
	}
	if o.suggest != "" && !slices.Contains(firewall.Syntaxes(), o.suggest) {
		return fmt.Errorf("--suggest %q: use %s", o.suggest, strings.Join(firewall.Syntaxes(), ", "))
	}
	if o.suggestUnexpected && o.suggest == "" {
		o.suggest = firewall.PowerShell
	}
	if o.format == report.FormatFlowsCSV {
		o.flows = true // a flow list without the flows would be a header alone
	}
	for _, out := range o.outputs {
		if f, _ := report.FormatFromPath(out); f == report.FormatFlowsCSV {
			o.flows = true
		}
		if out == "-" {
			continue
		}
		if _, ok := report.FormatFromPath(out); !ok {
			return fmt.Errorf("--output %q: cannot tell the format from the extension (use .json, .jsonl, .html, .xml, .csv, .flows.csv, .md or .txt)", out)
		}
		if err := writable(out); err != nil {
			return fmt.Errorf("--output %s: %w", out, err)
		}
	}
	return nil
}

// write renders the report: to stdout when no -o names a file (or when
// -f or -o - asks for it beside them); to each file through a temporary
// name and a rename, so an interrupted run never leaves half a report.
// With files, stderr gets the summary line and "wrote PATH" for each, so
// -o never silences a run.
func (o *outputFlags) write(stdout, stderr io.Writer, r *report.Report) error {
	if len(o.outputs) == 0 {
		return writeReport(stdout, r, o.format)
	}
	toStdout := o.formatSet
	var wrote []string
	for _, out := range o.outputs {
		if out == "-" {
			toStdout = true
			continue
		}
		format, _ := report.FormatFromPath(out)
		if err := writeFileAtomic(out, func(w io.Writer) error { return writeReport(w, r, format) }); err != nil {
			return fmt.Errorf("--output %s: %w", out, cause(err))
		}
		wrote = append(wrote, out)
	}
	if toStdout {
		if err := writeReport(stdout, r, o.format); err != nil {
			return err
		}
	}
	fmt.Fprintln(stderr, report.SummaryLine(r))
	for _, w := range wrote {
		fmt.Fprintln(stderr, "wrote", w)
	}
	return nil
}

// writable says whether a file can be created at path: its directory
// exists and takes a new file (tried, as permissions alone do not tell:
// a read-only mount, ACLs), and path is not a directory.
func writable(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("directory %s does not exist", dir)
	case !st.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return errors.New("is a directory")
	}
	if err := notALink(path); err != nil {
		return err
	}
	probe, err := os.CreateTemp(dir, ".flowverify-probe-*")
	if err != nil {
		return fmt.Errorf("cannot create a file in %s: %w", dir, cause(err))
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// cause drops the path from an *os.PathError: the path named in our
// errors is the user's, never the temporary one we wrote through. Only an
// error that is itself a PathError: one deeper in a wrapped chain sits
// under a message of its own (the flow list's spill file, a capture),
// which must not be dropped with it.
func cause(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// notALink refuses a symbolic link at an output path. The rename would
// replace the link, not write through it, but a link someone planted or
// set up on purpose should not vanish without a word.
func notALink(path string) error {
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSymlink != 0 {
		return errors.New("is a symbolic link: refusing to replace it (name the file it points to instead)")
	}
	return nil
}

func writeFileAtomic(path string, fill func(io.Writer) error) error {
	if err := notALink(path); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := fill(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
