package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/classifier/matrix"
)

// The diagram draws a rule in the box of its first role, as the report's
// matrix.site lists them; a report without one (written before it was
// kept) draws every rule in the renderer's own boxes and speaks of "the
// server", never of a product.
func TestSiteBoxesAndWords(t *testing.T) {
	site := &Site{Product: "Acme Vault", Groups: []SiteGroup{
		{Name: "Directory", Side: "right", Roles: []string{"dirs"}},
		{Name: "Clients", Side: "left", Roles: []string{"users", "admins"}},
	}}
	rules := []Rule{
		{ID: "a", Role: "admins,dirs", Direction: matrix.Inbound, Status: matrix.StatusOK},
		{ID: "b", Role: "dirs", Direction: matrix.Outbound, Status: matrix.StatusMissing},
		{ID: "c", Direction: matrix.Local, Status: matrix.StatusNotSeen},
		{ID: "d", Role: "nobody", Direction: matrix.Outbound, Status: matrix.StatusNotSeen},
	}
	for _, c := range []struct {
		site                     *Site
		boxes                    []string // of rules a, b, c, d
		heading, server, comment string
	}{
		{site, []string{"Clients", "Directory", boxServerItself, boxOther}, "Acme Vault traffic against", "Acme Vault server", "The Acme Vault server and"},
		{nil, []string{boxOther, boxOther, boxServerItself, boxOther}, "<h1>Traffic against", ">Server</text>", "The server and"},
	} {
		for i, r := range rules {
			if got := c.site.boxOf(r.Role, r.Direction); got != c.boxes[i] {
				t.Errorf("site %v: rule %s in %q, want %q", c.site != nil, r.ID, got, c.boxes[i])
			}
		}
		r := &Report{Schema: Schema, Matrix: MatrixInfo{Name: "m", Profile: "p", Site: c.site}, Rules: rules}
		var b bytes.Buffer
		if err := WriteHTML(&b, r); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		for _, want := range []string{c.heading, c.server, c.comment} {
			if !strings.Contains(page, want) {
				t.Errorf("site %v: the page does not say %q", c.site != nil, want)
			}
		}
		// The left column's boxes are drawn before the right's, each in
		// the matrix's order, the renderer's own last.
		var order []string
		for _, part := range strings.Split(page, `data-group="`)[1:] {
			order = append(order, part[:strings.IndexByte(part, '"')])
		}
		want := "Other|unexpected"
		if c.site != nil {
			want = "Clients|On the server itself|Directory|Other|unexpected"
		} else {
			want = "On the server itself|" + want
		}
		if got := strings.Join(order, "|"); got != want {
			t.Errorf("site %v: boxes drawn %s, want %s", c.site != nil, got, want)
		}
	}
}

// matrix.site is an additive key: a report without it reads back with
// none, one with it keeps it.
func TestSiteReadsBack(t *testing.T) {
	for _, site := range []*Site{nil, {Product: "X", Groups: []SiteGroup{{Name: "G", Side: "left", Roles: []string{"r"}}}}} {
		in := &Report{Schema: Schema, Matrix: MatrixInfo{Name: "m", Profile: "p", Site: site}, Rules: []Rule{}, Unexpected: []Unexpected{}, Blocked: []Blocked{}}
		var b bytes.Buffer
		if err := writeJSON(&b, in); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), `"site"`) != (site != nil) {
			t.Errorf("site %v written as %s", site, b.String())
		}
		var back struct {
			Matrix MatrixInfo `json:"matrix"`
		}
		if err := json.Unmarshal(b.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		if (back.Matrix.Site == nil) != (site == nil) || site != nil && back.Matrix.Site.Groups[0].Roles[0] != "r" {
			t.Errorf("read back %+v", back.Matrix.Site)
		}
	}
}
