package matrix

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/flowverify/flowverify/configs"
	"github.com/flowverify/flowverify/internal/words"
	"github.com/spf13/viper"
	"gopkg.in/yaml.v3"
)

// envPrefix is the prefix of environment overrides: FLOWVERIFY_SERVER,
// FLOWVERIFY_ROLES_<ROLE>, FLOWVERIFY_FLOWS_MAX_FLOWS, ...
const envPrefix = "FLOWVERIFY"

// LoadOptions says where the matrix comes from and what overrides it.
type LoadOptions struct {
	ConfigFile string // user's file, merged over the embedded default
	// ConfigData, when set, is the user's file itself, read as if from
	// ConfigFile (which still names it).
	ConfigData []byte
	Environ    []string // environment (os.Environ()); FLOWVERIFY_* entries override
	Profile    string   // shipped profile to start from (default configs.Default)
	// ProfileData, when set, is the profile's YAML itself instead of a
	// shipped one's (Profile, or the default, still names it).
	ProfileData []byte
	// Flag overrides, applied last.
	Server []string            // addresses, host names or "auto"
	Hosts  map[string][]string // host name -> addresses (--host)
	Roles  map[string][]string // role name -> host names, addresses, CIDRs
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
	OneWay      bool     `mapstructure:"one_way"`
	StrictRange bool     `mapstructure:"strict_range"`
	Part        string   `mapstructure:"part"`
	Evidence    int      `mapstructure:"evidence"`
	Service     string   `mapstructure:"service"`
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
	Hosts       map[string][]string `mapstructure:"hosts"`
	Roles       map[string][]string `mapstructure:"roles"`
	Rules       []rawRule           `mapstructure:"rules"`
	Ignore      []rawIgnore         `mapstructure:"ignore"`
	Flows       rawFlows            `mapstructure:"flows"`
	FailOn      []string            `mapstructure:"fail_on"`
	Site        rawSite             `mapstructure:"site"`
	Hints       []rawHint           `mapstructure:"hints"`
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
	user, data, err := readUser(opt.ConfigFile, opt.ConfigData)
	if err != nil {
		return nil, data, err
	}
	profile, v, err := readProfile(opt, user)
	if err != nil {
		return nil, data, err
	}
	source := "profile " + profile
	profileRoles := map[string]bool{}
	for name := range v.GetStringMap("roles") {
		profileRoles[name] = true
	}
	if user != nil {
		source = opt.ConfigFile
		if err := mergeUser(v, user, opt.ConfigFile); err != nil {
			return nil, data, err
		}
	}
	envKeys, err := applyEnv(v, opt.Environ)
	if err != nil {
		return nil, data, err
	}
	raw, err := decode(v, source)
	if err != nil {
		return nil, data, err
	}
	m, err := build(raw, source, envKeys)
	if err != nil {
		return nil, data, err
	}
	m.Profile = profile
	m.ConfigFile = opt.ConfigFile
	m.ServerFrom = serverFromConfig
	if err := m.applyFlags(opt); err != nil {
		return nil, data, err
	}
	if err := m.resolve(); err != nil {
		return nil, data, err
	}
	if err := m.checkRolesUsed(profileRoles); err != nil {
		return nil, data, err
	}
	return m, data, nil
}

// readUser reads the user's file, if one is given; data is returned even
// with an error, for the error's line.
func readUser(file string, data []byte) (*viper.Viper, []byte, error) {
	if file == "" {
		return nil, nil, nil
	}
	var err error
	if data == nil {
		if data, err = os.ReadFile(file); err != nil {
			return nil, data, &ConfigError{Source: file, Err: err}
		}
	}
	if len(data) > maxConfigSize {
		return nil, data, &ConfigError{Source: file, Msg: fmt.Sprintf("%d bytes is too large for a matrix (limit %d)", len(data), maxConfigSize)}
	}
	user, err := readLayer(file, data)
	if err != nil {
		return nil, data, err
	}
	return user, data, nil
}

// readProfile picks the profile (the user file's extends, --profile or
// the default) and reads it.
func readProfile(opt LoadOptions, user *viper.Viper) (string, *viper.Viper, error) {
	extends := ""
	if user != nil {
		extends = user.GetString("extends")
	}
	profile := configs.Default
	switch {
	case extends != "" && opt.Profile != "" && extends != opt.Profile:
		return "", nil, &ConfigError{Source: opt.ConfigFile, Key: "extends", Err: &ProfileConflictError{Extends: extends, Profile: opt.Profile}}
	case extends != "":
		profile = extends
	case opt.Profile != "":
		profile = opt.Profile
	}
	base := opt.ProfileData
	if base == nil {
		var err error
		if base, err = configs.Lookup(profile); err != nil {
			ce := &ConfigError{Source: "flag", Setting: SettingProfile, Err: err}
			if extends != "" {
				ce = &ConfigError{Source: opt.ConfigFile, Key: "extends", Err: err}
			}
			return "", nil, ce
		}
	}
	v, err := readLayer("profile "+profile, base)
	if err != nil {
		return "", nil, err
	}
	return profile, v, nil
}

// readLayer parses one layer's YAML (a profile, the user's file) and
// checks it against the matrix's shape before the merge, while its values
// have their lines and its rules their ids.
func readLayer(src string, data []byte) (*viper.Viper, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(src, err)
	}
	if err := newLayerCheck(src).document(&doc); err != nil {
		return nil, err
	}
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return nil, yamlError(src, err)
	}
	return v, nil
}

// yamlError words a parser's error as the file's: its first reason,
// without the parser's and viper's prefixes ("While parsing config:
// yaml: unmarshal errors:"). The reason's own "line N" stays in its
// text: for a syntax error yaml.v3 counts it from 0 and from where the
// enclosing block began, so it is no line to put after the file's name.
func yamlError(src string, err error) error {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, "yaml: "); ok {
		msg = rest
	}
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	msg, _, _ = strings.Cut(strings.TrimSpace(msg), "\n")
	return &ConfigError{Source: src, Msg: "not valid YAML: " + msg, Err: err}
}

// decode reads the merged layers into the raw matrix. Every layer's keys
// and types were checked as it was read and every variable's value as it
// was set, so the decoder's own error is not expected; it is kept whole
// as the cause rather than reworded from its text.
func decode(v *viper.Viper, source string) (*rawMatrix, error) {
	var raw rawMatrix
	if err := v.UnmarshalExact(&raw); err != nil {
		return nil, &ConfigError{Source: source, Msg: "the merged matrix does not decode: " + err.Error(), Err: err}
	}
	if err := raw.required(source); err != nil {
		return nil, err
	}
	return &raw, nil
}

// required refuses an entry that, all layers merged, lacks a key it
// cannot do without: a rule added without a direction is told so, not
// that "" is not a direction.
func (raw *rawMatrix) required(source string) error {
	type need struct{ key, value, want string }
	const (
		transports = "tcp or udp"
		ports      = "a port, a list or a range, such as 88, 5435,5439 or 49152-65535"
	)
	check := func(key string, needs ...need) error {
		for _, n := range needs {
			if strings.TrimSpace(n.value) == "" {
				return &ConfigError{Source: source, Key: key + "." + n.key, Err: &MissingKeyError{Key: key + "." + n.key, Want: n.want}}
			}
		}
		return nil
	}
	for i, r := range raw.Rules {
		if err := check(entryKey("rules", i, r.ID), need{"direction", r.Direction, "one of inbound, outbound, bidirectional or local"},
			need{"transport", r.Transport, transports}, need{"ports", r.Ports, ports}); err != nil {
			return err
		}
	}
	for i, g := range raw.Ignore {
		if err := check(entryKey("ignore", i, g.ID), need{"transport", g.Transport, transports}, need{"ports", g.Ports, ports}); err != nil {
			return err
		}
	}
	for i, h := range raw.Hints {
		if err := check(fmt.Sprintf("hints[%d]", i), need{"transport", h.Transport, transports}, need{"ports", h.Ports, ports}); err != nil {
			return err
		}
	}
	return nil
}

// entryKey names a list's entry by its id, or by its place without one.
func entryKey(list string, i int, id string) string {
	if id == "" {
		return fmt.Sprintf("%s[%d]", list, i)
	}
	return list + "[" + id + "]"
}

// maxConfigSize bounds a matrix file; real ones are a few kilobytes.
const maxConfigSize = 1 << 20

// mergeUser lays the user's file over the profile: scalar keys replace,
// roles replace by name, rules and ignore entries merge by id (a known id
// has the given fields replaced, a new id is added), and remove_rules drops
// rules by id.
func mergeUser(v, user *viper.Viper, file string) error {
	for _, k := range user.AllKeys() {
		switch k {
		case "extends", "remove_rules", "rules", "ignore":
		default:
			v.Set(k, user.Get(k))
		}
	}
	for _, list := range []string{"rules", "ignore"} {
		if !user.IsSet(list) {
			continue
		}
		if err := mergeEntries(v, user, list, file); err != nil {
			return err
		}
	}
	if user.IsSet("remove_rules") {
		return removeRules(v, splitList(user.GetStringSlice("remove_rules")), file)
	}
	return nil
}

// mergeEntries merges the file's entries of one list (rules, ignore)
// into the profile's by id. The layer check has refused an id given
// twice or not as text.
func mergeEntries(v, user *viper.Viper, list, file string) error {
	cerr := func(key, format string, a ...any) error {
		return &ConfigError{Source: file, Key: key, Msg: fmt.Sprintf(format, a...)}
	}
	add, ok := user.Get(list).([]any)
	if !ok {
		return cerr(list, "must be a list of entries with an id")
	}
	cur, _ := v.Get(list).([]any)
	base := entryIDs(cur)
	merged := make([]any, 0, len(cur)+len(add))
	merged = append(merged, cur...)
	for i, e := range add {
		entry, ok := e.(map[string]any)
		if !ok {
			return cerr(fmt.Sprintf("%s[%d]", list, i), "must be a mapping")
		}
		id, _ := entry["id"].(string)
		if id == "" {
			key := fmt.Sprintf("%s[%d].id", list, i)
			return &ConfigError{Source: file, Key: key, Err: &MissingKeyError{Key: key, Want: "a file's entry names the one it adds or replaces by its id"}}
		}
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
			if err := newEntry(list, id, entry, base, file); err != nil {
				return err
			}
			merged = append(merged, entry)
		}
	}
	v.Set(list, merged)
	return nil
}

// newEntry refuses an entry the file adds that lacks a key only a new
// one needs, when its id is close to one of the profile's: it is a typo
// of that id (adws-ot), and "direction is required" would not say so.
func newEntry(list, id string, entry map[string]any, base []string, file string) error {
	needs, what := []string{"direction", "transport", "ports"}, "a rule"
	if list == "ignore" {
		needs, what = []string{"transport", "ports"}, "an ignore entry"
	}
	lacks := false
	for _, n := range needs {
		lacks = lacks || !hasValue(entry, n)
	}
	near := words.Closest(id, base)
	if !lacks || near == "" {
		return nil
	}
	return &ConfigError{Source: file, Key: list + "[" + id + "]", Msg: fmt.Sprintf("not %s of the profile (did you mean %s?); a new one needs %s and %s",
		what, near, strings.Join(needs[:len(needs)-1], ", "), needs[len(needs)-1])}
}

// hasValue says whether a decoded entry gives key (in any case, as the
// decoder matches it) a value.
func hasValue(entry map[string]any, key string) bool {
	for k, val := range entry {
		if strings.EqualFold(k, key) && val != nil && fmt.Sprint(val) != "" {
			return true
		}
	}
	return false
}

// entryIDs are the ids of a decoded list's entries.
func entryIDs(list []any) []string {
	var ids []string
	for _, c := range list {
		if cm, ok := c.(map[string]any); ok {
			if id, ok := cm["id"].(string); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// removeRules drops the rules with these ids; an id no layer defines is
// an error, not a silent no-op.
func removeRules(v *viper.Viper, ids []string, file string) error {
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
			return &ConfigError{Source: file, Key: "remove_rules", Msg: fmt.Sprintf("no rule %q to remove%s", id, words.DidYouMean(id, entryIDs(cur)))}
		}
		cur = out
	}
	v.Set("rules", cur)
	return nil
}

// applyEnv maps FLOWVERIFY_A_B onto the known key a.b (or a.b-c); unknown
// variables are an error rather than silently doing nothing.
// FLOWVERIFY_HOSTS_NAME defines or replaces host name (underscores read as
// '-'). It returns the keys it set, each with its variable.
func applyEnv(v *viper.Viper, environ []string) (map[string]string, error) {
	known := map[string]string{}
	for _, k := range v.AllKeys() {
		known[envName(k)] = k
	}
	// Every role of the profile and the file may be set, also one they
	// list empty (which has no key of its own).
	for role := range v.GetStringMap("roles") {
		known[envName("roles."+role)] = "roles." + role
	}
	set := map[string]string{}
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, envPrefix+"_") {
			continue
		}
		key, ok := known[name]
		if rest, host := strings.CutPrefix(name, envPrefix+"_HOSTS_"); !ok && host && rest != "" {
			key, ok = "hosts."+strings.ReplaceAll(strings.ToLower(rest), "_", "-"), true
		}
		if !ok {
			var names []string
			for n := range known {
				names = append(names, n)
			}
			slices.Sort(names)
			return nil, &ConfigError{Source: "environment", Key: name, Msg: "unknown variable (scalar keys only, e.g. FLOWVERIFY_SERVER, FLOWVERIFY_ROLES_<ROLE>, FLOWVERIFY_HOSTS_<NAME>, FLOWVERIFY_FLOWS_MAX_FLOWS)" + words.DidYouMean(name, names)}
		}
		if err := checkEnv(key, val); err != nil {
			return nil, &ConfigError{Source: "environment", Key: name, Err: err}
		}
		v.Set(key, val)
		set[key] = name
	}
	return set, nil
}

// checkEnv checks a variable's value as the file's would be checked: a
// variable sets one scalar key or one list.
func checkEnv(key, val string) error {
	s := matrixShape.at(key)
	if s == nil || s.kind == shapeMapping || s.kind == shapeEntries || s.kind == shapeNamed {
		return fmt.Errorf("%s is not a scalar key or a list; a file sets it", key)
	}
	return checkScalar(s.kind, "!!str", val)
}

func envName(key string) string {
	return envPrefix + "_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

func (m *Matrix) applyFlags(opt LoadOptions) error {
	if len(opt.Server) > 0 {
		m.serverList, m.serverFrom = splitList(opt.Server), origin{src: "flag", setting: SettingServer}
		m.ServerFrom = ServerFromFlag
	}
	for name, addrs := range opt.Hosts {
		if err := m.setHost(name, addrs, origin{src: "flag", key: name, setting: SettingHost}); err != nil {
			return err
		}
	}
	for name, members := range opt.Roles {
		r := m.Roles[name]
		if r == nil {
			return &ConfigError{Source: "flag", Key: name, Setting: SettingRole, Msg: fmt.Sprintf("no such role (known: %s)%s", strings.Join(m.RoleOrder, ", "), words.DidYouMean(name, m.RoleOrder))}
		}
		r.Members, r.from = splitList(members), origin{src: "flag", key: name, setting: SettingRole}
	}
	if opt.FailOn != nil {
		fo, err := parseFailOn(opt.FailOn)
		if err != nil {
			return &ConfigError{Source: "flag", Setting: SettingFailOn, Err: err}
		}
		m.FailOn = fo
	}
	return nil
}

// checkRolesUsed refuses a role that the profile does not define and no
// rule or ignore entry uses: a misspelt role in a file would otherwise
// leave the one meant at "any address" without a word.
func (m *Matrix) checkRolesUsed(profile map[string]bool) error {
	used := map[string]bool{}
	for _, r := range m.Rules {
		for _, n := range r.Roles {
			used[n] = true
		}
	}
	for _, g := range m.Ignore {
		for _, n := range g.roles {
			used[n] = true
		}
	}
	for _, name := range m.RoleOrder {
		if profile[name] || used[name] {
			continue
		}
		var known []string
		for n := range profile {
			known = append(known, n)
		}
		slices.Sort(known)
		return m.Roles[name].from.errorf("role %q is used by no rule and is not one of the profile's (%s)%s",
			name, strings.Join(known, ", "), words.DidYouMean(name, known))
	}
	return nil
}
