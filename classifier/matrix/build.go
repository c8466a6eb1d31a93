package matrix

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/flowverify/flowverify/classifier/protocol"
	"github.com/flowverify/flowverify/internal/words"
)

func parseTransport(s string) (uint8, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "tcp":
		return TCP, nil
	case "udp":
		return UDP, nil
	}
	return 0, fmt.Errorf("%q is not tcp or udp", s)
}

func parseDirection(s string) (Direction, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "inbound", "in":
		return Inbound, nil
	case "outbound", "out":
		return Outbound, nil
	case "bidirectional", "both":
		return Bidirectional, nil
	case "local":
		return Local, nil
	}
	return 0, fmt.Errorf("%q is not inbound, outbound, bidirectional or local", s)
}

// parseAddrOrPrefix reads "192.0.2.1" or "192.0.2.0/24".
func parseAddrOrPrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// splitList accepts ["a","b"], ["a,b"] and "a b" forms (env and flags).
func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		out = append(out, strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })...)
	}
	return out
}

// build turns a decoded matrix into the model, checking every field; an
// error names the key it is about and src, the layer it came from.
// envKeys maps the keys that FLOWVERIFY_* variables set to the variable,
// so that an error about one names the variable, not the profile.
func build(raw *rawMatrix, src string, envKeys map[string]string) (*Matrix, error) {
	from := func(key string) origin {
		if v, ok := envKeys[key]; ok {
			return origin{src: "environment", key: v}
		}
		return origin{src: src, key: key}
	}
	cerr := func(key, format string, a ...any) error {
		// "%w" with one error keeps the cause a value (a *MissingKeyError
		// is worded as missing, and callers can errors.As it).
		if len(a) == 1 && format == "%w" {
			if err, ok := a[0].(error); ok {
				return from(key).wrap(err)
			}
		}
		return from(key).errorf(format, a...)
	}
	m := &Matrix{Name: raw.Name, Description: raw.Description, Roles: map[string]*Role{}, Hosts: map[string]*Host{}}
	if m.Name == "" {
		m.Name = "custom"
	}
	for name, addrs := range raw.Hosts {
		if err := m.setHost(name, addrs, from("hosts."+name)); err != nil {
			return nil, err
		}
	}
	if err := m.buildRoles(raw.Roles, from); err != nil {
		return nil, err
	}
	m.serverList, m.serverFrom = splitList(raw.Server), from("server")
	if err := m.buildSite(raw.Site, cerr); err != nil {
		return nil, err
	}
	if err := m.buildHints(raw.Hints, cerr); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, rr := range raw.Rules {
		if err := m.buildRule(i, rr, seen, cerr); err != nil {
			return nil, err
		}
	}
	if err := m.buildEvidence(raw.Site, cerr); err != nil {
		return nil, err
	}
	for i, ir := range raw.Ignore {
		if err := m.buildIgnore(i, ir, seen, cerr); err != nil {
			return nil, err
		}
	}
	if err := m.buildLimits(raw.Flows, cerr); err != nil {
		return nil, err
	}
	fo, err := parseFailOn(raw.FailOn)
	if err != nil {
		return nil, cerr("fail_on", "%v", err)
	}
	m.FailOn = fo
	return m, nil
}

// configErr makes a ConfigError about one key.
type configErr func(key, format string, a ...any) error

// buildRoles keeps each role's members as given; resolve reads them once
// the hosts of every layer are known.
func (m *Matrix) buildRoles(roles map[string][]string, from func(string) origin) error {
	for name, members := range roles {
		o := from("roles." + name)
		if err := checkName(name); err != nil {
			return o.errorf("%v", err)
		}
		r := &Role{Name: name, Members: splitList(members), from: o}
		m.Roles[name] = r
		m.RoleOrder = append(m.RoleOrder, name)
	}
	slices.Sort(m.RoleOrder)
	return nil
}

// buildRule checks the i-th rule and adds it; seen holds the ids so far.
func (m *Matrix) buildRule(i int, rr rawRule, seen map[string]bool, cerr configErr) error {
	key := fmt.Sprintf("rules[%d]", i)
	if rr.ID == "" {
		return cerr(key+".id", "missing")
	}
	if err := checkName(rr.ID); err != nil {
		return cerr(key+".id", "%v", err)
	}
	key = fmt.Sprintf("rules[%s]", rr.ID)
	if seen[rr.ID] {
		return cerr(key+".id", "duplicate rule id %q", rr.ID)
	}
	seen[rr.ID] = true
	r := Rule{ID: rr.ID, Description: rr.Description, Local: rr.Local, Required: rr.Required,
		OneWay: rr.OneWay, StrictRange: rr.StrictRange, Part: rr.Part, evidence: rr.Evidence, service: strings.TrimSpace(rr.Service)}
	var err error
	if r.Direction, err = parseDirection(rr.Direction); err != nil {
		return cerr(key+".direction", "%v", err)
	}
	if r.Direction == Local {
		r.Local = true
	}
	if r.Transport, err = parseTransport(rr.Transport); err != nil {
		return cerr(key+".transport", "%v", err)
	}
	if r.Ports, err = parsePorts(rr.Ports); err != nil {
		return cerr(key+".ports", "%v", err)
	}
	r.Roles = splitList(rr.Role)
	for _, name := range r.Roles {
		if m.Roles[name] == nil {
			return cerr(key+".role", "role %q is not defined under roles%s", name, words.DidYouMean(name, m.RoleOrder))
		}
	}
	r.Protocols = splitList(rr.Protocol)
	for i, name := range r.Protocols {
		// Reports write the names in lower case; LDAP is that ldap. A
		// misspelt name would match no recognised flow and turn every
		// one of them into a mismatch, so it is refused here.
		name = strings.ToLower(name)
		r.Protocols[i] = name
		if _, ok := protocol.ByName(name); !ok {
			return cerr(key+".protocol", "unknown protocol %q%s", name, words.DidYouMean(name, protocol.Names()))
		}
	}
	if err := r.Learn.UnmarshalText([]byte(rr.Learn)); err != nil {
		return cerr(key+".learn", "%v", err)
	}
	if r.OneWay && r.Transport != UDP {
		// A TCP or ICMP peer always answers when it works: only a
		// datagram can be the whole of a working exchange.
		return cerr(key+".one_way", "only a udp rule can be one-way (this one is %s)", TransportName(r.Transport))
	}
	if r.StrictRange && r.Learn != LearnEPM {
		return cerr(key+".strict_range", "applies only to a rule with learn: epm")
	}
	if err := m.checkPart(r.Part, key+".part", cerr); err != nil {
		return err
	}
	if err := checkEvidence(r, key, cerr); err != nil {
		return err
	}
	m.Rules = append(m.Rules, r)
	return nil
}

// buildIgnore checks the i-th ignore entry and adds it.
func (m *Matrix) buildIgnore(i int, ir rawIgnore, seen map[string]bool, cerr configErr) error {
	key := fmt.Sprintf("ignore[%d]", i)
	if ir.ID == "" {
		return cerr(key+".id", "missing")
	}
	if err := checkName(ir.ID); err != nil {
		return cerr(key+".id", "%v", err)
	}
	if seen[ir.ID] {
		return cerr(key+".id", "duplicate id %q", ir.ID)
	}
	seen[ir.ID] = true
	g := IgnoreRule{ID: ir.ID, Description: ir.Description, roles: splitList(ir.Role)}
	var err error
	if g.Transport, err = parseTransport(ir.Transport); err != nil {
		return cerr(key+".transport", "%v", err)
	}
	if g.Ports, err = parsePorts(ir.Ports); err != nil {
		return cerr(key+".ports", "%v", err)
	}
	for _, name := range g.roles {
		if m.Roles[name] == nil {
			return cerr(key+".role", "role %q is not defined under roles%s", name, words.DidYouMean(name, m.RoleOrder))
		}
	}
	m.Ignore = append(m.Ignore, g)
	return nil
}

func (m *Matrix) buildLimits(f rawFlows, cerr configErr) error {
	if f.MaxFlows < 0 {
		return cerr("flows.max_flows", "must not be negative")
	}
	// 0 is the flow table's default. A timeout or a lifetime under a
	// second would end flows and learned ports between two packets of
	// one exchange; a FIN's linger may be short.
	for _, l := range []struct {
		key      string
		d, least time.Duration
	}{{"flows.tcp_timeout", f.TCPTimeout, time.Second}, {"flows.udp_timeout", f.UDPTimeout, time.Second},
		{"flows.closed_linger", f.ClosedLinger, 0}, {"flows.epm_lifetime", f.EPMLifetime, time.Second}} {
		switch {
		case l.d < 0:
			return cerr(l.key, "must not be negative")
		case l.d > 0 && l.d < l.least:
			return cerr(l.key, "%v is shorter than %v: a flow would end between two packets", l.d, l.least)
		}
	}
	m.Limits = Limits(f)
	if m.Limits.EPMLifetime == 0 {
		m.Limits.EPMLifetime = time.Hour
	}
	return nil
}

func parseFailOn(in []string) ([]Finding, error) {
	var out []Finding
	for _, k := range splitList(in) {
		k = strings.ToLower(k)
		f, ok := parseFinding(k)
		switch {
		case k == "none":
			return []Finding{}, nil
		case k == "all":
			return Findings(), nil
		case !ok:
			return nil, fmt.Errorf("%q is not one of %s, all, none", k, strings.Join(findingNames[1:], ", "))
		}
		out = append(out, f)
	}
	return out, nil
}

// checkName holds rule ids, ignore ids and role names to letters, digits,
// '.', '_' and '-', starting with a letter or digit, at most 64 bytes:
// they are written into reports, metrics labels and every firewall
// syntax's scripts, where a quote or a shell character could break out.
func checkName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("%q: a name has 1 to 64 characters", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return fmt.Errorf("%q: a name is letters, digits, '.', '_' and '-', starting with a letter or digit", name)
		}
	}
	return nil
}
