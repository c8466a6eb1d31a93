// Command flowverify checks the traffic of a Netwrix Threat Manager server
// against the vendor's documented firewall matrix.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit statuses (docs/design.md).
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
	exitDamaged  = 3
	// exitInconclusive: no counted finding, but the traffic does not
	// show conformance either (matrix.ExitInconclusive).
	exitInconclusive = 4
)

// exitError carries an exit status up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Environ()))
}

// run executes one command line and returns the exit status; tests call it
// directly.
func run(args []string, stdout, stderr io.Writer, environ []string) int {
	return runContext(context.Background(), args, stdout, stderr, environ)
}

// runContext is run under ctx: its end stops a monitor as Ctrl-C would
// (the Windows service's stop request).
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) int {
	root := newRootCmd(stdout, stderr, environ)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "flowverify:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "flowverify:", err)
	return exitUsage
}

// exitHelp is the exit-status table of docs/design.md, for the help of
// every command whose status says the answer.
const exitHelp = `

A rule is ok only on a flow in which the peer answered (a completed
handshake, bytes back; for syslog, a datagram received). An attempt that
shows neither an answer nor a failure is "unconfirmed".

Exit status: 0 conforms; 1 findings (per --fail-on); 2 usage, unreadable
input, or no server inferred; 3 a damaged input (the report covers what was
read); 4 no finding, but the evidence does not show conformance: a rule is
unconfirmed ("inconclusive"), or a monitor stopped before one full window
("observing").`

func newRootCmd(stdout, stderr io.Writer, environ []string) *cobra.Command {
	root := &cobra.Command{
		Use:   "flowverify",
		Short: "Verify a Netwrix Threat Manager server's traffic against its documented firewall matrix",
		Long: `flowverify reads captures (or watches interfaces), builds flows, and tells
which documented connections happen, which are missing or blocked, and what
traffic happens that the matrix does not allow.` + exitHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newAnalyzeCmd(stdout, stderr, environ), newMonitorCmd(stdout, stderr, environ), newServiceCmd(stdout, stderr, environ), newInterfacesCmd(stdout),
		newRulesCmd(stdout, environ), newProfilesCmd(stdout),
		newDiffCmd(stdout, stderr), newHostsCmd(stdout, stderr, environ), newMergeCmd(stdout, stderr), newFirewallCmd(stdout, environ), newVersionCmd(stdout))
	return root
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(stdout, "flowverify %s\n", version)
			return nil
		},
	}
}
