package matrix

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/flowverify/flowverify/configs"
	"github.com/spf13/viper"
)

// EnvPrefix is the prefix of environment overrides: FLOWVERIFY_SERVER,
// FLOWVERIFY_ROLES_DOMAIN_CONTROLLERS, FLOWVERIFY_FLOWS_MAX_FLOWS, ...
const EnvPrefix = "FLOWVERIFY"

// ConfigError is a configuration problem, naming the key at fault.
type ConfigError struct {
	Source string // file name or "environment" or "flag"
	Line   int    // line in the file, when it can be told
	Key    string
	Msg    string
}

func (e *ConfigError) Error() string {
	src := e.Source
	if e.Line > 0 {
		src = fmt.Sprintf("%s:%d", e.Source, e.Line)
	}
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", src, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", src, e.Key, e.Msg)
}

// locate adds the line of the error's key when it comes from the user's
// file.
func locate(err error, file string, data []byte) error {
	ce, ok := err.(*ConfigError)
	if !ok || ce.Source != file || ce.Line > 0 || data == nil {
		return err
	}
	if ce.Key != "" {
		ce.Line = lineOf(data, ce.Key)
	} else if i := strings.Index(ce.Msg, "unknown keys: "); i >= 0 {
		name := strings.TrimSpace(ce.Msg[i+len("unknown keys: "):])
		if j := strings.IndexAny(name, ", ;"); j >= 0 {
			name = name[:j]
		}
		if k := strings.LastIndex(name, "."); k >= 0 {
			name = name[k+1:]
		}
		ce.Line = findKey(data, name)
	}
	return ce
}

// LoadOptions says where the matrix comes from and what overrides it.
type LoadOptions struct {
	ConfigFile string   // user's file, merged over the embedded default
	Environ    []string // environment (os.Environ()); FLOWVERIFY_* entries override
	Profile    string   // shipped profile to start from (default "threatmanager")
	// Flag overrides, applied last.
	Server []string            // addresses or "auto"
	Roles  map[string][]string // role name -> addresses/CIDRs
	FailOn []string
}

type rawRule struct {
	ID          string   `mapstructure:"id"`
	Description string   `mapstructure:"description"`
	Direction   string   `mapstructure:"direction"`
	Local       bool     `mapstructure:"local"`
	Transport   string   `mapstructure:"transport"`
	Ports       string   `mapstructure:"ports"`
	Role        []string `mapstructure:"role"`
	Protocol    []string `mapstructure:"protocol"`
	Required    bool     `mapstructure:"required"`
	Learn       string   `mapstructure:"learn"`
}

type rawIgnore struct {
	ID          string   `mapstructure:"id"`
	Description string   `mapstructure:"description"`
	Transport   string   `mapstructure:"transport"`
	Ports       string   `mapstructure:"ports"`
	Role        []string `mapstructure:"role"`
}

type rawFlows struct {
	MaxFlows     int           `mapstructure:"max_flows"`
	TCPTimeout   time.Duration `mapstructure:"tcp_timeout"`
	UDPTimeout   time.Duration `mapstructure:"udp_timeout"`
	ClosedLinger time.Duration `mapstructure:"closed_linger"`
	EPMLifetime  time.Duration `mapstructure:"epm_lifetime"`
}

type rawMatrix struct {
	Extends     string              `mapstructure:"extends"`
	RemoveRules []string            `mapstructure:"remove_rules"`
	Name        string              `mapstructure:"name"`
	Description string              `mapstructure:"description"`
	Server      []string            `mapstructure:"server"`
	Roles       map[string][]string `mapstructure:"roles"`
	Rules       []rawRule           `mapstructure:"rules"`
	Ignore      []rawIgnore         `mapstructure:"ignore"`
	Flows       rawFlows            `mapstructure:"flows"`
	FailOn      []string            `mapstructure:"fail_on"`
}

// Load builds the effective matrix: a profile (the default, --profile, or
// the user file's "extends"), the user's file merged over it rule by rule,
// then FLOWVERIFY_* variables, then flags.
func Load(opt LoadOptions) (*Matrix, error) {
	m, data, err := load(opt)
	if err != nil {
		return nil, locate(err, opt.ConfigFile, data)
	}
	return m, nil
}

func load(opt LoadOptions) (*Matrix, []byte, error) {
	var user *viper.Viper
	var data []byte
	extends := ""
	if opt.ConfigFile != "" {
		var err error
		data, err = os.ReadFile(opt.ConfigFile)
		if err != nil {
			return nil, data, &ConfigError{Source: opt.ConfigFile, Msg: err.Error()}
		}
		if len(data) > maxConfigSize {
			return nil, data, &ConfigError{Source: opt.ConfigFile, Msg: fmt.Sprintf("%d bytes is too large for a matrix (limit %d)", len(data), maxConfigSize)}
		}
		user = viper.New()
		user.SetConfigType("yaml")
		if err := user.ReadConfig(bytes.NewReader(data)); err != nil {
			return nil, data, &ConfigError{Source: opt.ConfigFile, Msg: "not valid YAML: " + cleanYAMLError(err)}
		}
		extends = user.GetString("extends")
	}
	profile := configs.Default
	switch {
	case extends != "" && opt.Profile != "" && extends != opt.Profile:
		return nil, data, &ConfigError{Source: opt.ConfigFile, Key: "extends", Msg: fmt.Sprintf("the file extends %q but --profile asks for %q", extends, opt.Profile)}
	case extends != "":
		profile = extends
	case opt.Profile != "":
		profile = opt.Profile
	}
	base, err := configs.Lookup(profile)
	if err != nil {
		key, src := "--profile", "flag"
		if extends != "" {
			key, src = "extends", opt.ConfigFile
		}
		return nil, data, &ConfigError{Source: src, Key: key, Msg: err.Error()}
	}
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(base)); err != nil {
		return nil, data, &ConfigError{Source: "profile " + profile, Msg: err.Error()}
	}
	source := "profile " + profile
	if user != nil {
		source = opt.ConfigFile
		if err := mergeUser(v, user, opt.ConfigFile); err != nil {
			return nil, data, err
		}
	}
	if err := applyEnv(v, opt.Environ); err != nil {
		return nil, data, err
	}
	var raw rawMatrix
	if err := v.UnmarshalExact(&raw); err != nil {
		return nil, data, &ConfigError{Source: source, Msg: cleanDecodeError(err)}
	}
	m, err := build(&raw, source)
	if err != nil {
		return nil, data, err
	}
	m.Profile = profile
	m.ConfigFile = opt.ConfigFile
	m.ServerFrom = "config"
	if err := m.applyFlags(opt); err != nil {
		return nil, data, err
	}
	return m, data, nil
}

// maxConfigSize bounds a matrix file; real ones are a few kilobytes.
const maxConfigSize = 1 << 20

// mergeUser lays the user's file over the profile: scalar keys replace,
// roles replace by name, rules and ignore entries merge by id (a known id
// has the given fields replaced, a new id is added), and remove_rules drops
// rules by id.
func mergeUser(v, user *viper.Viper, file string) error {
	cerr := func(key, format string, a ...any) error {
		return &ConfigError{Source: file, Key: key, Msg: fmt.Sprintf(format, a...)}
	}
	for _, k := range user.AllKeys() {
		switch {
		case k == "extends", k == "remove_rules", k == "rules", k == "ignore":
		case strings.HasPrefix(k, "roles."):
			v.Set(k, user.Get(k))
		default:
			v.Set(k, user.Get(k))
		}
	}
	for _, list := range []string{"rules", "ignore"} {
		if !user.IsSet(list) {
			continue
		}
		add, ok := user.Get(list).([]any)
		if !ok {
			return cerr(list, "must be a list of entries with an id")
		}
		cur, _ := v.Get(list).([]any)
		merged := make([]any, 0, len(cur)+len(add))
		merged = append(merged, cur...)
		seen := map[string]bool{}
		for i, e := range add {
			entry, ok := e.(map[string]any)
			if !ok {
				return cerr(fmt.Sprintf("%s[%d]", list, i), "must be a mapping")
			}
			id, _ := entry["id"].(string)
			if id == "" {
				return cerr(fmt.Sprintf("%s[%d].id", list, i), "missing")
			}
			if seen[id] {
				return cerr(fmt.Sprintf("%s[%s].id", list, id), "duplicate rule id %q", id)
			}
			seen[id] = true
			replaced := false
			for j, c := range merged {
				if cm, ok := c.(map[string]any); ok && cm["id"] == id {
					over := map[string]any{}
					for k, val := range cm {
						over[k] = val
					}
					for k, val := range entry {
						over[k] = val
					}
					merged[j] = over
					replaced = true
				}
			}
			if !replaced {
				merged = append(merged, entry)
			}
		}
		v.Set(list, merged)
	}
	if user.IsSet("remove_rules") {
		ids := splitList(user.GetStringSlice("remove_rules"))
		cur, _ := v.Get("rules").([]any)
		for _, id := range ids {
			found := false
			out := cur[:0:0]
			for _, c := range cur {
				if cm, ok := c.(map[string]any); ok && cm["id"] == id {
					found = true
					continue
				}
				out = append(out, c)
			}
			if !found {
				return cerr("remove_rules", "no rule %q to remove", id)
			}
			cur = out
		}
		v.Set("rules", cur)
	}
	return nil
}

// cleanYAMLError keeps the YAML parser's line information.
func cleanYAMLError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "yaml: "); i >= 0 {
		msg = msg[i:]
	}
	return msg
}

// applyEnv maps FLOWVERIFY_A_B onto the known key a.b (or a.b-c); unknown
// variables are an error rather than silently doing nothing.
func applyEnv(v *viper.Viper, environ []string) error {
	known := map[string]string{}
	for _, k := range v.AllKeys() {
		known[envName(k)] = k
	}
	// Roles may be set even when the default lists them empty.
	for _, role := range []string{"domain-controllers", "activity-monitor-agents", "threat-prevention-agents",
		"access-analyzer-consoles", "console-clients", "postgresql-servers", "action-service-servers"} {
		known[envName("roles."+role)] = "roles." + role
	}
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix+"_") {
			continue
		}
		key, ok := known[name]
		if !ok {
			return &ConfigError{Source: "environment", Key: name, Msg: "unknown variable (scalar keys only, e.g. FLOWVERIFY_SERVER, FLOWVERIFY_ROLES_DOMAIN_CONTROLLERS, FLOWVERIFY_FLOWS_MAX_FLOWS)"}
		}
		v.Set(key, val)
	}
	return nil
}

func envName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

// cleanDecodeError keeps the part of mapstructure's message that names keys.
func cleanDecodeError(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "decoding failed due to the following error(s):")
	msg = strings.TrimSpace(msg)
	msg = strings.ReplaceAll(msg, "'' has invalid keys:", "unknown keys:")
	msg = regexp.MustCompile(`'([^']+)' has invalid keys:`).ReplaceAllString(msg, "$1: unknown keys:")
	msg = strings.ReplaceAll(msg, "\n\n", "; ")
	return msg
}

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

// ParseAddrOrPrefix reads "192.0.2.1" or "192.0.2.0/24".
func ParseAddrOrPrefix(s string) (netip.Prefix, error) {
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

func build(raw *rawMatrix, src string) (*Matrix, error) {
	cerr := func(key, format string, a ...any) error {
		return &ConfigError{Source: src, Key: key, Msg: fmt.Sprintf(format, a...)}
	}
	m := &Matrix{Name: raw.Name, Description: raw.Description, Roles: map[string]*Role{}}
	if m.Name == "" {
		m.Name = "custom"
	}
	for name, addrs := range raw.Roles {
		r := &Role{Name: name}
		for _, a := range splitList(addrs) {
			p, err := ParseAddrOrPrefix(a)
			if err != nil {
				return nil, cerr("roles."+name, "%v", err)
			}
			r.Prefixes = append(r.Prefixes, p)
		}
		m.Roles[name] = r
		m.RoleOrder = append(m.RoleOrder, name)
	}
	slices.Sort(m.RoleOrder)
	if err := m.setServer(splitList(raw.Server)); err != nil {
		return nil, cerr("server", "%v", err)
	}
	seen := map[string]bool{}
	for i, rr := range raw.Rules {
		key := fmt.Sprintf("rules[%d]", i)
		if rr.ID == "" {
			return nil, cerr(key+".id", "missing")
		}
		key = fmt.Sprintf("rules[%s]", rr.ID)
		if seen[rr.ID] {
			return nil, cerr(key+".id", "duplicate rule id %q", rr.ID)
		}
		seen[rr.ID] = true
		r := Rule{ID: rr.ID, Description: rr.Description, Local: rr.Local, Required: rr.Required, Learn: rr.Learn}
		var err error
		if r.Direction, err = parseDirection(rr.Direction); err != nil {
			return nil, cerr(key+".direction", "%v", err)
		}
		if r.Direction == Local {
			r.Local = true
		}
		if r.Transport, err = parseTransport(rr.Transport); err != nil {
			return nil, cerr(key+".transport", "%v", err)
		}
		if r.Ports, err = ParsePorts(rr.Ports); err != nil {
			return nil, cerr(key+".ports", "%v", err)
		}
		r.Roles = splitList(rr.Role)
		for _, name := range r.Roles {
			if m.Roles[name] == nil {
				return nil, cerr(key+".role", "role %q is not defined under roles", name)
			}
		}
		r.Protocols = splitList(rr.Protocol)
		if r.Learn != "" && r.Learn != "epm" {
			return nil, cerr(key+".learn", "%q is not a known learner (epm)", r.Learn)
		}
		m.Rules = append(m.Rules, r)
	}
	for i, ir := range raw.Ignore {
		key := fmt.Sprintf("ignore[%d]", i)
		if ir.ID == "" {
			return nil, cerr(key+".id", "missing")
		}
		if seen[ir.ID] {
			return nil, cerr(key+".id", "duplicate id %q", ir.ID)
		}
		seen[ir.ID] = true
		g := IgnoreRule{ID: ir.ID, Description: ir.Description, Roles: splitList(ir.Role)}
		var err error
		if g.Transport, err = parseTransport(ir.Transport); err != nil {
			return nil, cerr(key+".transport", "%v", err)
		}
		if g.Ports, err = ParsePorts(ir.Ports); err != nil {
			return nil, cerr(key+".ports", "%v", err)
		}
		for _, name := range g.Roles {
			if m.Roles[name] == nil {
				return nil, cerr(key+".role", "role %q is not defined under roles", name)
			}
		}
		m.Ignore = append(m.Ignore, g)
	}
	f := raw.Flows
	if f.MaxFlows < 0 {
		return nil, cerr("flows.max_flows", "must not be negative")
	}
	for k, d := range map[string]time.Duration{"flows.tcp_timeout": f.TCPTimeout, "flows.udp_timeout": f.UDPTimeout, "flows.closed_linger": f.ClosedLinger, "flows.epm_lifetime": f.EPMLifetime} {
		if d < 0 {
			return nil, cerr(k, "must not be negative")
		}
	}
	m.Limits = Limits(f)
	if m.Limits.EPMLifetime == 0 {
		m.Limits.EPMLifetime = time.Hour
	}
	fo, err := parseFailOn(raw.FailOn)
	if err != nil {
		return nil, cerr("fail_on", "%v", err)
	}
	m.FailOn = fo
	return m, nil
}

func parseFailOn(in []string) ([]string, error) {
	var out []string
	for _, k := range splitList(in) {
		k = strings.ToLower(k)
		switch {
		case k == "none":
			return []string{}, nil
		case k == "all":
			return FindingNames(), nil
		case !slices.Contains(FindingNames(), k):
			return nil, fmt.Errorf("%q is not one of %s, all, none", k, strings.Join(FindingNames(), ", "))
		}
		out = append(out, k)
	}
	return out, nil
}

func (m *Matrix) setServer(list []string) error {
	m.Server, m.ServerAuto = nil, false
	if len(list) == 0 || (len(list) == 1 && strings.EqualFold(list[0], "auto")) {
		m.ServerAuto = true
		return nil
	}
	for _, s := range list {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			if strings.EqualFold(s, "auto") {
				return errors.New(`"auto" cannot be combined with addresses`)
			}
			return fmt.Errorf("%q is not an IP address", s)
		}
		m.Server = append(m.Server, a.Unmap())
	}
	return nil
}

func (m *Matrix) applyFlags(opt LoadOptions) error {
	if len(opt.Server) > 0 {
		if err := m.setServer(splitList(opt.Server)); err != nil {
			return &ConfigError{Source: "flag", Key: "--server", Msg: err.Error()}
		}
		m.ServerFrom = "flag"
	}
	for name, addrs := range opt.Roles {
		r := m.Roles[name]
		if r == nil {
			return &ConfigError{Source: "flag", Key: "--role " + name, Msg: fmt.Sprintf("no such role (known: %s)", strings.Join(m.RoleOrder, ", "))}
		}
		r.Prefixes = nil
		for _, a := range splitList(addrs) {
			p, err := ParseAddrOrPrefix(a)
			if err != nil {
				return &ConfigError{Source: "flag", Key: "--role " + name, Msg: err.Error()}
			}
			r.Prefixes = append(r.Prefixes, p)
		}
	}
	if opt.FailOn != nil {
		fo, err := parseFailOn(opt.FailOn)
		if err != nil {
			return &ConfigError{Source: "flag", Key: "--fail-on", Msg: err.Error()}
		}
		m.FailOn = fo
	}
	return nil
}
