package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/flowverify/flowverify/internal/words"
)

// WriteDiffText renders a diff for a terminal.
func WriteDiffText(w io.Writer, d Diff) error {
	var b strings.Builder
	if len(d.MatrixChanges) > 0 {
		b.WriteString("Judged differently:\n")
		for _, c := range d.MatrixChanges {
			fmt.Fprintf(&b, "    %-8s %s -> %s\n", c.Key, c.Before, c.After)
		}
	}
	if len(d.Rules) == 0 && len(d.NewUnexpected) == 0 && len(d.GoneUnexpected) == 0 && len(d.Peers) == 0 {
		b.WriteString("No changes.\n")
	}
	if len(d.Rules) > 0 {
		b.WriteString("Rules whose status changed:\n")
		for _, c := range d.Rules {
			mark := "  "
			if c.Worse {
				mark = "! "
			}
			fmt.Fprintf(&b, "  %s%-22s %s -> %s\n", mark, c.ID, c.Before, c.After)
		}
	}
	if len(d.Peers) > 0 {
		b.WriteString("Peers:\n")
		for _, p := range d.Peers {
			was := ""
			if p.Was != "" {
				was = " (was " + p.Was + ")"
			}
			fmt.Fprintf(&b, "    %-22s %-9s %s%s\n", p.Rule, p.Change, p.Peer(), was)
		}
	}
	for _, part := range []struct {
		title string
		list  []Unexpected
	}{{"New unexpected traffic:", d.NewUnexpected}, {"Unexpected traffic no longer seen:", d.GoneUnexpected}} {
		if len(part.list) == 0 {
			continue
		}
		b.WriteString(part.title + "\n")
		for _, u := range part.list {
			fmt.Fprintf(&b, "    %s %s %s %s (%s, %s)\n", u.Direction, strings.ToUpper(u.Transport), u.Service(), u.PeerLabel(), u.Protocol, words.Count(u.Flows, "flow"))
		}
	}
	if d.Regression {
		b.WriteString("REGRESSION: " + strings.Join(d.Reasons, "; ") + "\n")
		if len(d.MatrixChanges) > 0 {
			// Still a regression: the current report fails where the
			// baseline did not. But the reader should know the cause
			// may be the description of the site, not the traffic.
			b.WriteString("  (the reports were judged differently, see above: the regression may come from that rather than from the traffic)\n")
		}
	} else {
		b.WriteString("No regression.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
