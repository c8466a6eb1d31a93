package matrix

import (
	"fmt"
	"strings"

	"github.com/flowverify/flowverify/internal/words"
)

// DiagramGroup is a box of the report's diagram: the rows whose first role
// is one of Roles, on the side of the server the vendor's figure draws
// them. Rows no box claims go to the renderer's own boxes (the server
// itself for local rows, "Other" for the rest).
type DiagramGroup struct {
	Name  string
	Left  bool
	Roles []string
}

// buildGroups checks site.groups: named boxes, each on a side, each role
// defined and in one box only.
func (m *Matrix) buildGroups(raw []rawGroup, cerr configErr) ([]DiagramGroup, error) {
	var out []DiagramGroup
	boxOf := map[string]string{}
	names := map[string]bool{}
	for i, rg := range raw {
		name := strings.TrimSpace(rg.Name)
		key := fmt.Sprintf("site.groups[%d]", i)
		if name == "" {
			return nil, cerr(key+".name", "%w", &MissingKeyError{Key: key + ".name", Want: "the box's title, as the diagram shows it"})
		}
		key = "site.groups[" + name + "]"
		if names[name] {
			return nil, cerr(key+".name", "duplicate group %q", name)
		}
		names[name] = true
		g := DiagramGroup{Name: name}
		switch strings.ToLower(strings.TrimSpace(rg.Side)) {
		case "left":
			g.Left = true
		case "right":
		case "":
			return nil, cerr(key+".side", "%w", &MissingKeyError{Key: key + ".side", Want: "left or right"})
		default:
			return nil, cerr(key+".side", "%q is not left or right", rg.Side)
		}
		g.Roles = splitList(rg.Roles)
		for _, role := range g.Roles {
			if m.Roles[role] == nil {
				return nil, cerr(key+".roles", "role %q is not defined under roles%s", role, words.DidYouMean(role, m.RoleOrder))
			}
			if other, ok := boxOf[role]; ok {
				return nil, cerr(key+".roles", "role %q is in group %q already: a rule is drawn in one box", role, other)
			}
			boxOf[role] = name
		}
		out = append(out, g)
	}
	return out, nil
}
