package matrix

import (
	"fmt"
	"strings"

	"github.com/flowverify/flowverify/internal/words"
)

// Site is what the matrix says of the site around the server beyond its
// rows: what the server runs, how the report draws the rows, what part a
// host plays, and the port range the server's system hands out. None of
// it changes a verdict; all of it is the profile's, so that a matrix with
// other names keeps its diagram, inventory and notes.
type Site struct {
	// Product names what the server runs: reports speak of "the
	// <Product> server"; empty, of "the server".
	Product string
	// ServerHost is the stem of the name the inventory gives the server's
	// host (tm, tm2, ...); empty, "server".
	ServerHost string
	// DynamicPorts is the range the server's system takes source ports
	// and RPC endpoints from; empty when the matrix does not say.
	DynamicPorts Ports
	// Groups are the diagram's boxes in drawing order.
	Groups []DiagramGroup
	// Parts are what a host can be in the site, first match winning.
	Parts []SitePart
}

// SitePart is one thing a host can be in the site (a domain controller,
// an agent): rules name it with part, and a host their flows reached
// looks like it.
type SitePart struct {
	Name      string // the stem of such hosts' names: dc -> dc1, dc2
	LooksLike string // "a domain controller (answers Kerberos, ...)"
}

// ServerLabel is what reports call the server: "Threat Manager server"
// for product "Threat Manager", "server" without one.
func ServerLabel(product string) string {
	if product == "" {
		return "server"
	}
	return product + " server"
}

// ServerLabel is what reports call this site's server.
func (s Site) ServerLabel() string { return ServerLabel(s.Product) }

// inDynamicRange says whether port is in the system's dynamic range; false
// when the matrix names none.
func (s Site) inDynamicRange(port uint16) bool { return s.DynamicPorts.Contains(port) }

// OutsideDynamicRange says whether port is outside the system's dynamic
// range; false when the matrix names none.
func (s Site) OutsideDynamicRange(port uint16) bool {
	return len(s.DynamicPorts) > 0 && !s.DynamicPorts.Contains(port)
}

type rawGroup struct {
	Name  string   `mapstructure:"name"`
	Side  string   `mapstructure:"side"`
	Roles []string `mapstructure:"roles"`
}

type rawPart struct {
	Name      string `mapstructure:"name"`
	LooksLike string `mapstructure:"looks_like"`
}

type rawSite struct {
	Product      string     `mapstructure:"product"`
	ServerHost   string     `mapstructure:"server_host"`
	DynamicPorts string     `mapstructure:"dynamic_ports"`
	Groups       []rawGroup `mapstructure:"groups"`
	Parts        []rawPart  `mapstructure:"parts"`
	// WeakEvidence and CapturePoint are for server inference (evidence.go).
	WeakEvidence []rawWeak       `mapstructure:"weak_evidence"`
	CapturePoint rawCapturePoint `mapstructure:"capture_point"`
}

type rawHint struct {
	Transport string `mapstructure:"transport"`
	Ports     string `mapstructure:"ports"`
	Text      string `mapstructure:"text"`
}

// buildSite checks the site block; roles must be built already, rules not
// (they name parts, checked against these).
func (m *Matrix) buildSite(rs rawSite, cerr configErr) error {
	s := Site{Product: strings.TrimSpace(rs.Product), ServerHost: rs.ServerHost}
	if s.ServerHost != "" {
		if err := checkName(s.ServerHost); err != nil {
			return cerr("site.server_host", "%v", err)
		}
	}
	if strings.TrimSpace(rs.DynamicPorts) != "" {
		ps, err := parsePorts(rs.DynamicPorts)
		if err != nil {
			return cerr("site.dynamic_ports", "%v", err)
		}
		if len(ps) != 1 {
			return cerr("site.dynamic_ports", "%q is %d ranges; the dynamic range is one, such as 49152-65535", rs.DynamicPorts, len(ps))
		}
		s.DynamicPorts = ps
	}
	var err error
	if s.Groups, err = m.buildGroups(rs.Groups, cerr); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, rp := range rs.Parts {
		key := fmt.Sprintf("site.parts[%d]", i)
		if rp.Name == "" {
			return cerr(key+".name", "%w", &MissingKeyError{Key: key + ".name", Want: "a name of letters, digits, '.', '_' and '-'"})
		}
		if err := checkName(rp.Name); err != nil {
			return cerr(key+".name", "%v", err)
		}
		key = "site.parts[" + rp.Name + "]"
		if seen[rp.Name] {
			return cerr(key+".name", "duplicate part %q", rp.Name)
		}
		seen[rp.Name] = true
		if strings.TrimSpace(rp.LooksLike) == "" {
			return cerr(key+".looks_like", "%w", &MissingKeyError{Key: key + ".looks_like", Want: "what a host playing this part looks like, in words"})
		}
		s.Parts = append(s.Parts, SitePart{Name: rp.Name, LooksLike: strings.TrimSpace(rp.LooksLike)})
	}
	m.Site = s
	return nil
}

// partNames lists the site's parts, for an error's suggestion.
func (s Site) partNames() []string {
	var out []string
	for _, p := range s.Parts {
		out = append(out, p.Name)
	}
	return out
}

// checkPart refuses a rule's part the site does not define.
func (m *Matrix) checkPart(part, key string, cerr configErr) error {
	if part == "" {
		return nil
	}
	for _, p := range m.Site.Parts {
		if p.Name == part {
			return nil
		}
	}
	return cerr(key, "part %q is not defined under site.parts (known: %s)%s", part, strings.Join(m.Site.partNames(), ", "), words.DidYouMean(part, m.Site.partNames()))
}

// portHint is the profile's word on unexpected traffic to some ports.
type portHint struct {
	transport uint8
	ports     Ports
	text      string
}

func (m *Matrix) buildHints(raw []rawHint, cerr configErr) error {
	for i, rh := range raw {
		key := fmt.Sprintf("hints[%d]", i)
		var h portHint
		var err error
		if h.transport, err = parseTransport(rh.Transport); err != nil {
			return cerr(key+".transport", "%v", err)
		}
		if h.ports, err = parsePorts(rh.Ports); err != nil {
			return cerr(key+".ports", "%v", err)
		}
		if h.text = strings.TrimSpace(rh.Text); h.text == "" {
			return cerr(key+".text", "missing")
		}
		m.hints = append(m.hints, h)
	}
	return nil
}
