package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/configs"
	"github.com/flowverify/flowverify/report"
	"github.com/spf13/cobra"
)

func newRulesCmd(stdout io.Writer, environ []string) *cobra.Command {
	var mf matrixFlags
	var format string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Print the effective matrix as the vendor's table does",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := mf.load(environ)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			switch format {
			case report.FormatText:
				writeRulesText(stdout, m)
			case report.FormatMarkdown, "md":
				writeRulesMarkdown(stdout, m)
			default:
				return &exitError{exitUsage, fmt.Errorf("--format %q: use text or markdown", format)}
			}
			return nil
		},
	}
	mf.registerMatrix(cmd)
	cmd.Flags().StringVarP(&format, "format", "f", report.FormatText, "text or markdown")
	return cmd
}

func newProfilesCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "profiles",
		Short: "List the shipped matrices (--profile NAME)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			for _, p := range configs.Profiles() {
				m, err := matrix.Load(matrix.LoadOptions{Profile: p.Name})
				if err != nil {
					return &exitError{exitUsage, err}
				}
				def := ""
				if p.Name == configs.Default {
					def = " (default)"
				}
				fmt.Fprintf(stdout, "%-20s %d rules  %s%s\n", p.Name, len(m.Rules), m.Description, def)
			}
			return nil
		},
	}
}

func ruleRows(m *matrix.Matrix) [][]string {
	var rows [][]string
	for _, r := range m.Rules {
		dir := strings.ToUpper(r.Direction.String()[:1]) + r.Direction.String()[1:]
		if r.Local && r.Direction != matrix.Local {
			dir += " (or local)"
		}
		ports := r.Ports.String()
		if r.Learn == matrix.LearnEPM {
			ports = "learned from 135, else " + ports
		}
		req := "optional"
		if r.Required {
			req = "required"
		}
		role := strings.Join(r.Roles, ", ")
		if role == "" {
			role = "any"
		}
		rows = append(rows, []string{r.ID, dir, strings.ToUpper(matrix.TransportName(r.Transport)), ports,
			strings.Join(r.Protocols, "/"), role, req, r.Description})
	}
	return rows
}

func rulesHeader() []string {
	return []string{"ID", "Communication Direction", "Protocol", "Ports", "Application", "Peer role", "Required", "Description"}
}

func writeRulesText(w io.Writer, m *matrix.Matrix) {
	fmt.Fprintf(w, "Matrix %q (profile %s): %s\n", m.Name, m.Profile, report.Printable(m.Description))
	if m.ConfigFile != "" {
		fmt.Fprintf(w, "User file: %s\n", report.Printable(m.ConfigFile))
	}
	fmt.Fprintln(w)
	widths := make([]int, len(rulesHeader()))
	rows := append([][]string{rulesHeader()}, ruleRows(m)...)
	for _, r := range rows {
		for i, c := range r {
			r[i] = report.Printable(c)
			widths[i] = max(widths[i], len(r[i]))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(c)
			} else {
				fmt.Fprintf(&b, "%-*s  ", widths[i], c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
	writeRoles(w, m, "")
}

func writeRoles(w io.Writer, m *matrix.Matrix, bullet string) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, bullet+"Roles:")
	for _, name := range m.RoleOrder {
		var addrs []string
		for _, p := range m.Roles[name].Prefixes {
			addrs = append(addrs, p.String())
		}
		members := strings.Join(addrs, ", ")
		if members == "" {
			members = "(any address)"
		}
		fmt.Fprintf(w, "%s  %s: %s\n", bullet, name, members)
	}
	if len(m.Ignore) > 0 {
		fmt.Fprintln(w, bullet+"Ignored:")
		for _, g := range m.Ignore {
			fmt.Fprintf(w, "%s  %s: %s %s %s\n", bullet, g.ID, matrix.TransportName(g.Transport), g.Ports, report.Printable(g.Description))
		}
	}
}

func writeRulesMarkdown(w io.Writer, m *matrix.Matrix) {
	fmt.Fprintf(w, "## Matrix `%s`\n\n%s\n\n", report.MarkdownText(m.Name), report.MarkdownText(m.Description))
	fmt.Fprintf(w, "| %s |\n", strings.Join(rulesHeader(), " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(rulesHeader())))
	for _, r := range ruleRows(m) {
		for i := range r {
			r[i] = report.MarkdownText(r[i])
		}
		fmt.Fprintf(w, "| `%s` | %s |\n", r[0], strings.Join(r[1:], " | "))
	}
	writeRoles(w, m, "")
}
