package main

import (
	"fmt"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/spf13/cobra"
)

// matrixFlags are the flags every command that judges traffic shares.
type matrixFlags struct {
	profile  string
	config   string
	server   []string
	hosts    []string
	roles    []string
	failOn   []string
	maxFlows int
}

// register adds the flags of the commands that judge traffic: the
// matrix's, the server, what fails the run and the flow cap.
func (f *matrixFlags) register(cmd *cobra.Command, serverHelp string) {
	f.registerMatrix(cmd)
	fl := cmd.Flags()
	fl.StringSliceVarP(&f.server, "server", "s", nil, serverHelp)
	fl.StringSliceVar(&f.failOn, "fail-on", nil, "findings that make the exit status 1: missing,blocked,mismatch,unexpected,partial,scan, all or none")
	fl.IntVar(&f.maxFlows, "max-flows", 0, "cap on flows held at once (0: config value)")
}

// registerMatrix adds the flags that shape the matrix alone (rules,
// firewall): the commands that read no traffic take no more.
func (f *matrixFlags) registerMatrix(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "matrix file (YAML) merged over the profile, rule by rule")
	fl.StringVarP(&f.profile, "profile", "p", "", "shipped matrix (see 'flowverify profiles'; default threatmanager)")
	fl.StringArrayVar(&f.hosts, "host", nil, "a host with all its addresses, NAME=ADDR,... (repeatable): one peer whichever address it uses")
	fl.StringArrayVar(&f.roles, "role", nil, "role members, NAME=HOST|ADDR|CIDR,... (repeatable)")
}

func (f *matrixFlags) load(environ []string) (*matrix.Matrix, error) {
	opt := matrix.LoadOptions{ConfigFile: f.config, Environ: environ, Server: f.server, Profile: f.profile}
	if len(f.roles) > 0 {
		opt.Roles = map[string][]string{}
		for _, r := range f.roles {
			name, addrs, ok := strings.Cut(r, "=")
			if !ok || name == "" {
				return nil, fmt.Errorf("--role %q: want NAME=ADDR or NAME=CIDR, several separated by commas", r)
			}
			opt.Roles[name] = append(opt.Roles[name], addrs)
		}
	}
	for _, h := range f.hosts {
		name, addrs, ok := strings.Cut(h, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--host %q: want NAME=ADDR, several addresses separated by commas", h)
		}
		if opt.Hosts == nil {
			opt.Hosts = map[string][]string{}
		}
		opt.Hosts[name] = append(opt.Hosts[name], addrs)
	}
	if f.failOn != nil {
		opt.FailOn = f.failOn
	}
	m, err := matrix.Load(opt)
	if err != nil {
		return nil, wordLoadError(err)
	}
	if f.maxFlows < 0 {
		return nil, fmt.Errorf("--max-flows must not be negative")
	}
	if f.maxFlows > 0 {
		m.Limits.MaxFlows = f.maxFlows
	}
	return m, nil
}
