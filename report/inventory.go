package report

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/words"
	"gopkg.in/yaml.v3"
)

// Inventory is what 'flowverify hosts' found: every host a capture shows,
// what it serves and opens, the part of a Threat Manager site it looks
// like, and the configuration that would describe the site.
type Inventory struct {
	Schema string  `json:"schema"`
	Inputs []Input `json:"inputs"`
	// Damaged: an input stopped being readable; the inventory covers
	// what was read before (each input says where).
	Damaged  bool            `json:"damaged"`
	Warnings []string        `json:"warnings,omitempty"`
	Server   Server          `json:"server"`
	Hosts    []InventoryHost `json:"hosts"`
	// Others counts addresses past the inventory's bound.
	Others int `json:"others,omitempty"`
	// Config is the site as a matrix file would give it: hosts, roles,
	// the server, and rules narrowed where not every member of a role was
	// seen on them.
	Config SiteConfig `json:"config"`
	// Flags is the same as command-line flags: Args in the command's
	// words.
	Flags []string  `json:"flags"`
	Args  []SiteArg `json:"-"`
	// Usage is filled by the command, like Flags.
	Usage InventoryUsage `json:"-"`
	// Undecided is what the command tells a reader when no server was
	// decided, in its words (it names flags); filled like Usage.
	Undecided InventoryUndecided `json:"-"`
}

// InventoryUndecided words an inventory without a server: what to paste
// to name it, in the text and in the site file.
type InventoryUndecided struct {
	// Advice follows the candidates in the text: the --server line.
	Advice string
	// Describe replaces the command that would describe the site.
	Describe []string
	// FileHow leads the site file's commented choices.
	FileHow []string
}

// Decided says whether the inventory knows the server: without one, no
// host plays a part and the site file can only offer choices.
func (inv *Inventory) Decided() bool { return inv.Server.Source != matrix.ServerNone }

// InventorySchema names the JSON form of an inventory.
const InventorySchema = "flowverify/hosts/v1"

// InventoryHost is one machine: one address, or an IPv4 and an IPv6 one
// seen behind the same single Ethernet station.
type InventoryHost struct {
	Name      string   `json:"name,omitempty"` // given when the host plays a part in the site
	Addresses []string `json:"addresses"`
	MAC       string   `json:"mac,omitempty"`
	LooksLike string   `json:"looks_like,omitempty"`
	Roles     []string `json:"roles,omitempty"` // matrix roles whose rules reached it
	Evidence  []string `json:"evidence,omitempty"`
	Packets   uint64   `json:"packets"`
	Bytes     uint64   `json:"bytes"`
	// Serves lists the ports the host answered on; Refused those it
	// refused (an RST to the SYN, an ICMP error) and NoAnswer those it
	// never answered. Opens lists the ports it connected to and got an
	// answer from; Tried those that refused it or never answered.
	Serves   []Service `json:"serves"`
	Refused  []Ports   `json:"refused"`
	NoAnswer []Ports   `json:"no_answer"`
	Opens    []Service `json:"opens"`
	Tried    []Ports   `json:"tried"`
}

// Ports are the ports of one transport a host refused, never answered or
// tried in vain, as ranges ("1-87,89-388"): a scan's thousand ports are
// one line.
type Ports struct {
	Transport string `json:"transport"`
	Ports     string `json:"ports"`
	Count     int    `json:"count"`
	Flows     int    `json:"flows"`
	Peers     int    `json:"peers"`
}

// Service is a transport port a host answered on (serves) or connected to
// (opens), with what was recognised there.
type Service struct {
	Transport string `json:"transport"`
	Port      int    `json:"port"`
	Protocol  string `json:"protocol"`
	Flows     int    `json:"flows"`
	Peers     int    `json:"peers"`
}

// SiteConfig is the part of a matrix file that describes a site.
type SiteConfig struct {
	// Extends names the profile when it is not the default: the file
	// describes the site against that profile's rows.
	Extends string              `json:"extends,omitempty" yaml:"extends,omitempty"`
	Server  []string            `json:"server,omitempty" yaml:"server,omitempty"`
	Hosts   map[string][]string `json:"hosts,omitempty" yaml:"hosts,omitempty"`
	Roles   map[string][]string `json:"roles,omitempty" yaml:"roles,omitempty"`
	Rules   []SiteRule          `json:"rules,omitempty" yaml:"rules,omitempty"`
	// Site holds the diagram's boxes when a narrowed rule's own role
	// must be drawn where the rule's first role is.
	Site *SiteGroups `json:"site,omitempty" yaml:"site,omitempty"`
	// Kept are the roles the matrix restricts, written with its members
	// whatever the traffic showed: a site file never widens a role.
	Kept []string `json:"kept,omitempty" yaml:"-"`
	// Base is the matrix file (-c) the site was described with, if any:
	// the site file carries it, as -c takes one file and lays it over a
	// profile, so that rules and settings of that file are not lost.
	Base []byte `json:"-" yaml:"-"`
}

// SiteGroups is the part of a matrix file's site block the site file
// writes: the diagram's boxes, all of them (a list replaces the
// profile's).
type SiteGroups struct {
	Groups []SiteGroup `json:"groups" yaml:"groups"`
}

// SiteRule narrows one rule to a role of its own.
type SiteRule struct {
	ID   string   `json:"id" yaml:"id"`
	Role []string `json:"role" yaml:"role,flow"`
}

// FormatYAML is the inventory's site file: a matrix file for -c. The
// inventory's other formats are the report's FormatText, FormatJSON and
// FormatCSV.
const FormatYAML = "yaml"

// InventoryFormats are the formats 'hosts' writes.
func InventoryFormats() []string { return []string{FormatText, FormatJSON, FormatCSV, FormatYAML} }

// WriteInventory renders an inventory.
func WriteInventory(w io.Writer, inv *Inventory, format string) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(inv)
	case FormatCSV:
		return writeInventoryCSV(w, inv)
	case FormatYAML:
		return writeSiteYAML(w, inv)
	case FormatText:
		return writeInventoryText(w, inv)
	}
	return fmt.Errorf("unknown format %q (%s)", format, strings.Join(InventoryFormats(), ", "))
}

func services(ss []Service) string {
	if len(ss) == 0 {
		return "-"
	}
	return serviceCells(ss)
}

func serviceCells(ss []Service) string {
	var out []string
	for _, s := range ss {
		out = append(out, fmt.Sprintf("%s/%d %s (%s)", s.Transport, s.Port, s.Protocol, words.Count(s.Flows, "flow")))
	}
	return strings.Join(out, ", ")
}

// portCells writes ports as "tcp/1-87, 89-388 (997 ports, 997 flows)":
// spaced, so that a scan's ranges wrap inside the column.
func portCells(ps []Ports) string {
	var out []string
	for _, p := range ps {
		n := words.Count(p.Flows, "flow")
		if p.Count > 1 {
			n = words.Count(p.Count, "port") + ", " + n
		}
		out = append(out, fmt.Sprintf("%s/%s (%s)", p.Transport, strings.ReplaceAll(p.Ports, ",", ", "), n))
	}
	return strings.Join(out, "; ")
}

func writeInventoryText(w io.Writer, inv *Inventory) error {
	t := textWriter{w: bufio.NewWriter(w)}
	for _, in := range inv.Inputs {
		state := ""
		if in.Damaged {
			state = "  DAMAGED"
		}
		t.p("Input:  %s (%s) %s%s\n", in.Name, in.Format, words.Count(in.Packets, "packet"), state)
		for _, wmsg := range in.Warnings {
			t.para("  ! ", "    ", wmsg)
		}
	}
	for _, wmsg := range inv.Warnings {
		t.para("  ! ", "    ", wmsg)
	}
	t.inventoryServer(inv)
	t.p("\n%s\n", words.Count(len(inv.Hosts), "host"))
	for _, h := range inv.Hosts {
		t.inventoryHost(h)
	}
	if inv.Others > 0 {
		t.p("(%s more not listed)\n", words.Count(inv.Others, "address", "addresses"))
	}
	if !inv.Decided() {
		t.p("\n")
		for _, l := range inv.Undecided.Describe {
			t.p("%s\n", l)
		}
		return t.w.Flush()
	}
	t.p("\n%s\n", inv.Usage.Describe)
	t.p("  flowverify analyze \\\n")
	for _, f := range inv.Flags {
		t.p("    %s \\\n", f)
	}
	t.p("    FILE...\n")
	return t.w.Flush()
}

// inventoryServer writes the server, or why there is none, the
// candidates with their evidence and the line that names one.
func (t textWriter) inventoryServer(inv *Inventory) {
	if inv.Decided() {
		t.p("Server: %s (%s)\n", serverLabel(&Report{Server: inv.Server}), inv.Server.Source)
		return
	}
	t.para("Server: not found: ", "  ", strings.Join(inv.Server.Evidence, "; "))
	for i, c := range inv.Server.Candidates {
		t.p("  candidate %d: %s, score %d\n", i+1, c.Address, c.Score)
		for _, e := range c.Evidence {
			t.para("    - ", "      ", e)
		}
	}
	if inv.Undecided.Advice != "" {
		t.para("  ", "  ", inv.Undecided.Advice)
	}
}

// inventoryHost writes one host: what it looks like, the ports it
// answered, refused and left unanswered, and those it opened.
func (t textWriter) inventoryHost(h InventoryHost) {
	name := strings.Join(h.Addresses, ", ")
	if h.Name != "" {
		name = h.Name + " (" + name + ")"
	}
	what := h.LooksLike
	if what == "" {
		what = "no part of the site"
	}
	const indent = "               "
	t.para("", "    ", fmt.Sprintf("%s: %s; %s, %d bytes", name, what, words.Count(h.Packets, "packet"), h.Bytes))
	t.para("    serves:    ", indent, services(h.Serves))
	if len(h.Refused) > 0 {
		t.para("    refused:   ", indent, portCells(h.Refused))
	}
	if len(h.NoAnswer) > 0 {
		t.para("    no answer: ", indent, portCells(h.NoAnswer))
	}
	t.para("    opens:     ", indent, services(h.Opens))
	if len(h.Tried) > 0 {
		t.para("    tried:     ", indent, portCells(h.Tried)+", refused or no answer")
	}
	for _, e := range h.Evidence {
		t.para("    - ", "      ", e)
	}
}

func writeInventoryCSV(w io.Writer, inv *Inventory) error {
	c := csv.NewWriter(w)
	c.Write(csvRow([]string{"name", "addresses", "mac", "looks_like", "roles", "packets", "bytes", "serves", "opens", "evidence", "refused", "no_answer", "tried"}))
	for _, h := range inv.Hosts {
		c.Write(csvRow([]string{h.Name, strings.Join(h.Addresses, " "), h.MAC, h.LooksLike, strings.Join(h.Roles, " "),
			strconv.FormatUint(h.Packets, 10), strconv.FormatUint(h.Bytes, 10), serviceCells(h.Serves), serviceCells(h.Opens), strings.Join(h.Evidence, "; "),
			portCells(h.Refused), portCells(h.NoAnswer), portCells(h.Tried)}))
	}
	c.Flush()
	return c.Error()
}

// writeSiteYAML writes the site as a matrix file for -c. The YAML encoder
// writes all of it, from a node tree: the values are the encoder's own
// scalars, quoted as YAML needs, and input-derived text (capture and zip
// member names) goes only into comments, through printable, which leaves
// no character that YAML reads as a line break (LF, CR, NEL, U+2028,
// U+2029) or that hides text. The names stay in a comment because the
// matrix has no key for where a file came from, and an unknown key is an
// error for -c. Before anything is written, the output is read back and
// must hold exactly the site configuration (laid over the matrix file it
// was described with, if any): a name can never add a key.
func writeSiteYAML(w io.Writer, inv *Inventory) error {
	base, baseHead, err := baseMapping(inv.Config.Base)
	if err != nil {
		return fmt.Errorf("the matrix file the site was described with: %w", err)
	}
	cfg := inv.Config
	var root yaml.Node
	if err := root.Encode(cfg); err != nil {
		return err
	}
	head := siteHead(inv)
	if !inv.Decided() {
		head = append(head, serverChoices(inv)...)
	}
	root.HeadComment = strings.Join(head, "\n")
	commentSite(&root)
	commentKept(mappingValue(&root, "roles"), cfg.Kept)
	if base != nil {
		layBase(&root, base, baseHead)
	}
	if len(root.Content) == 0 {
		// Nothing but choices: comments alone, not "{}", so that
		// uncommenting a server line leaves a valid file.
		return writeChoicesOnly(w, head)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(4)
	if err := enc.Encode(&root); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	check := sameSite(b.Bytes(), cfg)
	if base != nil {
		check = sameLaidSite(b.Bytes(), cfg)
	}
	if check == nil {
		check = siteLoads(b.Bytes(), cfg)
	}
	if check != nil {
		return fmt.Errorf("the site file does not read back as written: %w", check)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// writeChoicesOnly writes a site file of comments alone, read back first:
// it must hold no key at all.
func writeChoicesOnly(w io.Writer, head []string) error {
	var b bytes.Buffer
	for _, l := range head {
		b.WriteString(strings.TrimRight("# "+l, " ") + "\n")
	}
	var got any
	if err := yaml.Unmarshal(b.Bytes(), &got); err != nil || got != nil {
		return fmt.Errorf("the site file does not read back as written: %v %v", got, err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// maxChoices bounds the hosts offered as the server when no address
// shows matrix evidence.
const maxChoices = 10

// serverChoices are the site file's commented choices when no server was
// decided: each candidate with its evidence and the line that names it,
// strongest first; without candidates, the hosts that answered something
// (all hosts when none did), busiest first.
func serverChoices(inv *Inventory) []string {
	out := []string{""}
	out = append(out, commentWrap("", "  ", "No server could be inferred: "+strings.Join(inv.Server.Evidence, "; ")+".")...)
	for _, l := range inv.Undecided.FileHow {
		out = append(out, printable(l))
	}
	for i, c := range inv.Server.Candidates {
		out = append(out, "", fmt.Sprintf("Candidate %d, score %d:", i+1, c.Score))
		for _, e := range c.Evidence {
			out = append(out, commentWrap("  - ", "    ", e)...)
		}
		out = append(out, "server: ["+printable(c.Address)+"]")
	}
	if len(inv.Server.Candidates) > 0 {
		return out
	}
	hosts := slices.Clone(inv.Hosts)
	if slices.ContainsFunc(hosts, func(h InventoryHost) bool { return len(h.Serves) > 0 }) {
		hosts = slices.DeleteFunc(hosts, func(h InventoryHost) bool { return len(h.Serves) == 0 })
	}
	slices.SortStableFunc(hosts, func(a, b InventoryHost) int { return cmp.Compare(b.Packets, a.Packets) })
	for _, h := range hosts[:min(len(hosts), maxChoices)] {
		what := "answered nothing"
		if len(h.Serves) > 0 {
			what = "answered " + serviceCells(h.Serves)
		}
		out = append(out, "")
		out = append(out, commentWrap("", "  ", strings.Join(h.Addresses, ", ")+" ("+words.Count(h.Packets, "packet")+"): "+what)...)
		out = append(out, "server: ["+printable(strings.Join(h.Addresses, ", "))+"]")
	}
	return out
}

// commentWrap wraps printable text to the file's comment width, the
// first line after first, the others after rest.
func commentWrap(first, rest, text string) []string {
	lines := wrap(printable(text), textWidth-2-runeLen(first), textWidth-2-runeLen(rest))
	for i := range lines {
		if i == 0 {
			lines[i] = first + lines[i]
		} else {
			lines[i] = rest + lines[i]
		}
	}
	return lines
}

// siteHead is the file's opening comment: how it came about, from which
// inputs, and what each named host looks like.
func siteHead(inv *Inventory) []string {
	head := slices.Clone(inv.Usage.FileHead)
	for _, in := range inv.Inputs {
		head = append(head, "  from "+printable(in.Name))
	}
	names := make([]string, 0, len(inv.Config.Hosts))
	for n := range inv.Config.Hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, h := range inv.Hosts {
			if h.Name == n && h.LooksLike != "" {
				head = append(head, "  "+printable(n)+": "+printable(h.LooksLike))
			}
		}
	}
	return head
}

// commentSite says why the narrowed rules and the diagram's boxes are in
// the file: whoever edits it should know before removing them.
func commentSite(root *yaml.Node) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "rules":
			root.Content[i].HeadComment = "Rules that reached only some of their role's members, each with a role\n" +
				"of its own: judged with the whole role they would be partial."
		case "site":
			root.Content[i].HeadComment = "The diagram's boxes, with each narrowed rule's own role in the box of\n" +
				"the role it narrows."
			groups := mappingValue(root.Content[i+1], "groups")
			if groups == nil {
				continue
			}
			for _, g := range groups.Content {
				if roles := mappingValue(g, "roles"); roles != nil {
					roles.Style = yaml.FlowStyle
				}
			}
		}
	}
}

// mappingValue is the value of key in a mapping node, nil without one.
// Keys match in any case, as the matrix's loader matches them.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if strings.EqualFold(n.Content[i].Value, key) {
			return n.Content[i+1]
		}
	}
	return nil
}

// baseMapping reads the matrix file the site was described with: its
// top-level mapping, nil without a file (or an empty one), and the
// document's opening comment, which is not the mapping's.
func baseMapping(data []byte) (*yaml.Node, string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, "", err
	}
	if len(doc.Content) == 0 {
		return nil, "", nil
	}
	if doc.Content[0].Kind != yaml.MappingNode {
		return nil, "", fmt.Errorf("not a mapping")
	}
	return doc.Content[0], doc.HeadComment, nil
}

// commentKept says, on the line of each role the matrix restricts, that
// its members are the matrix's: whoever reads the file should know the
// traffic did not give them, and that emptying the list admits any peer.
func commentKept(roles *yaml.Node, kept []string) {
	if roles == nil {
		return
	}
	for i := 0; i+1 < len(roles.Content); i += 2 {
		if slices.Contains(kept, roles.Content[i].Value) {
			roles.Content[i].LineComment = "the matrix's own members, kept: the capture does not widen a role it restricts"
		}
	}
}

// layBase lays the site over the matrix file it was described with, as
// one file: the site's server, hosts and roles replace the file's; its
// narrowed rules set the role of the file's entry of that id (a second
// entry would be a duplicate) or are added; its diagram boxes replace the
// file's site.groups; everything else of the file stays as it was, its
// comments included. Keys match in any case, as the loader matches them:
// a file's Server is its server. The comments above a replaced key (the
// file's opening one, when it is the first) move to the next key kept,
// and an alias to an anchor the file defined in a replaced value gets a
// copy of the value (resolveAliases).
func layBase(root, base *yaml.Node, docHead string) {
	ours := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		ours[root.Content[i].Value] = root.Content[i+1]
	}
	var heads []string // comments of replaced keys, for the next key kept
	if docHead != "" {
		heads = append(heads, docHead)
	}
	for i := 0; i+1 < len(base.Content); i += 2 {
		k, v := base.Content[i], base.Content[i+1]
		switch strings.ToLower(k.Value) {
		case "extends", "server", "hosts", "roles":
			// The site's (extends: the profile the matrix was built on).
			if k.HeadComment != "" {
				heads = append(heads, k.HeadComment)
			}
			continue
		case "rules":
			if r := ours["rules"]; r != nil {
				r.Content = mergeRuleNodes(v.Content, r.Content)
				setComment(root, "rules", joinComments(append(heads, k.HeadComment, "The rules of the matrix file the site was described with. Those that\n"+
					"reached only some of their role's members have a role of their own:\n"+
					"judged with the whole role they would be partial.")))
				heads = nil
				continue
			}
		case "site":
			if s := ours["site"]; s != nil {
				if v.Kind != yaml.MappingNode {
					continue // an empty site block: the site's alone
				}
				setMapping(v, "groups", mappingValue(s, "groups"))
				s.Content = v.Content
				continue
			}
		}
		if len(heads) > 0 {
			k.HeadComment = joinComments(append(heads, k.HeadComment))
			heads = nil
		}
		root.Content = append(root.Content, k, v)
	}
	if len(heads) > 0 {
		root.FootComment = joinComments(append(heads, root.FootComment))
	}
	resolveAliases(root, map[string]*yaml.Node{})
}

// joinComments joins the comments given, blank ones left out.
func joinComments(cs []string) string {
	return strings.Join(slices.DeleteFunc(cs, func(c string) bool { return c == "" }), "\n")
}

// resolveAliases walks the laid file in the order it is written and
// replaces an alias whose anchor is not defined before it (the anchor
// was in a value the site replaced, or comes later now that the site's
// keys lead) with a copy of the value it stood for: the file reads back
// with the values the matrix file gave, and no "unknown anchor".
// defined maps each anchor to the node it names at this point.
func resolveAliases(n *yaml.Node, defined map[string]*yaml.Node) {
	for i, c := range n.Content {
		if c.Kind == yaml.AliasNode && defined[c.Value] != c.Alias {
			c = unanchored(c.Alias)
			n.Content[i] = c
		}
		if c.Anchor != "" {
			defined[c.Anchor] = c
		}
		resolveAliases(c, defined)
	}
}

// unanchored is a deep copy of a node without its anchors: its aliases
// are copied as aliases, for resolveAliases to judge in their place.
func unanchored(n *yaml.Node) *yaml.Node {
	c := *n
	c.Anchor = ""
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, e := range n.Content {
		if e.Kind == yaml.AliasNode {
			a := *e
			c.Content[i] = &a
			continue
		}
		c.Content[i] = unanchored(e)
	}
	return &c
}

// setComment sets the comment above a key of a mapping node.
func setComment(n *yaml.Node, key, text string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if strings.EqualFold(n.Content[i].Value, key) {
			n.Content[i].HeadComment = text
		}
	}
}

// setMapping sets key in a mapping node, adding it when missing.
func setMapping(n *yaml.Node, key string, val *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if strings.EqualFold(n.Content[i].Value, key) {
			n.Content[i+1] = val
			return
		}
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, val)
}

// mergeRuleNodes is the file's rule entries with the narrowed rules'
// roles set, then the narrowed rules the file has no entry for.
func mergeRuleNodes(file, narrowed []*yaml.Node) []*yaml.Node {
	roleOf := map[string]*yaml.Node{}
	var ids []string
	for _, e := range narrowed {
		id := mappingValue(e, "id").Value
		roleOf[id] = mappingValue(e, "role")
		ids = append(ids, id)
	}
	out := slices.Clone(file)
	for _, e := range out {
		if id := mappingValue(e, "id"); id != nil && roleOf[id.Value] != nil {
			setMapping(e, "role", roleOf[id.Value])
			delete(roleOf, id.Value)
		}
	}
	for i, id := range ids {
		if roleOf[id] != nil {
			out = append(out, narrowed[i])
		}
	}
	return out
}

// sameSite reads a written site file back: it must decode, with no key
// the configuration does not have, to what was meant to be written.
func sameSite(data []byte, want SiteConfig) error {
	var got SiteConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&got); err != nil {
		return err
	}
	a, err := yaml.Marshal(got)
	if err != nil {
		return err
	}
	b, err := yaml.Marshal(want)
	if err != nil {
		return err
	}
	if !bytes.Equal(a, b) {
		return fmt.Errorf("read %q, meant %q", a, b)
	}
	return nil
}

// sameLaidSite reads back a site file laid over a matrix file: as values,
// with keys in lower case as the loader reads them, it must be the file's
// with the site's keys laid over it as layBase does, nothing more.
func sameLaidSite(data []byte, cfg SiteConfig) error {
	var base any
	if err := yaml.Unmarshal(cfg.Base, &base); err != nil {
		return err
	}
	want, _ := foldKeys(base).(map[string]any)
	for _, k := range []string{"extends", "server", "hosts", "roles"} {
		delete(want, k)
	}
	cfg.Base = nil
	site, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	var ours map[string]any
	if err := yaml.Unmarshal(site, &ours); err != nil {
		return err
	}
	for k, v := range ours {
		switch k {
		case "rules":
			want[k] = mergeRuleValues(want[k], v)
		case "site":
			s, _ := want[k].(map[string]any)
			if s == nil {
				s = map[string]any{}
			}
			s["groups"] = v.(map[string]any)["groups"]
			want[k] = s
		default:
			want[k] = v
		}
	}
	var got any
	if err := yaml.Unmarshal(data, &got); err != nil {
		return err
	}
	if got = foldKeys(got); !reflect.DeepEqual(got, want) {
		return fmt.Errorf("read %v, meant %v", got, want)
	}
	return nil
}

// foldKeys is a decoded value with every mapping key in lower case.
func foldKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[strings.ToLower(k)] = foldKeys(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = foldKeys(e)
		}
		return out
	}
	return v
}

// siteLoads loads a written site file with the loader analyze -c uses:
// it must load, and give the hosts, the server, the roles, the narrowed
// rules' roles and the diagram's boxes the site was described with. A
// file that read back right as YAML can still mean another matrix (a key
// the loader reads otherwise, a role left undefined): this is what -c
// will judge with.
func siteLoads(data []byte, cfg SiteConfig) error {
	m, err := matrix.Load(matrix.LoadOptions{ConfigFile: "the site file", ConfigData: data})
	if err != nil {
		return err
	}
	var errs []string
	check := func(what string, got, want []string) {
		got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			errs = append(errs, fmt.Sprintf("%s %v, meant %v", what, got, want))
		}
	}
	check("hosts", m.HostOrder, slices.Collect(maps.Keys(cfg.Hosts)))
	var server []string
	for name, addrs := range cfg.Hosts {
		if h := m.Hosts[name]; h != nil {
			check("host "+name, addrStrings(h.Addrs), addrs)
		}
		if slices.Contains(cfg.Server, name) {
			server = append(server, addrs...)
		}
	}
	if len(cfg.Server) > 0 {
		check("server", addrStrings(m.Server), server)
	}
	for name, members := range cfg.Roles {
		if r := m.Roles[name]; r == nil {
			errs = append(errs, "role "+name+" is not defined")
		} else {
			check("role "+name, r.Members, members)
		}
	}
	for _, sr := range cfg.Rules {
		i := slices.IndexFunc(m.Rules, func(r matrix.Rule) bool { return r.ID == sr.ID })
		if i < 0 {
			errs = append(errs, "rule "+sr.ID+" is not defined")
		} else {
			check("rule "+sr.ID, m.Rules[i].Roles, sr.Role)
		}
	}
	if cfg.Site != nil {
		var got, want []string
		for _, g := range m.Site.Groups {
			got = append(got, g.Name+": "+strings.Join(g.Roles, ","))
		}
		for _, g := range cfg.Site.Groups {
			want = append(want, g.Name+": "+strings.Join(g.Roles, ","))
		}
		check("groups", got, want)
	}
	if len(errs) > 0 {
		return fmt.Errorf("loads as another site: %s", strings.Join(errs, "; "))
	}
	return nil
}

func addrStrings(as []netip.Addr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

// mergeRuleValues is mergeRuleNodes over decoded values.
func mergeRuleValues(file, narrowed any) []any {
	out, _ := file.([]any)
	out = slices.Clone(out)
	for _, n := range narrowed.([]any) {
		nm := n.(map[string]any)
		found := false
		for _, e := range out {
			if em, ok := e.(map[string]any); ok && em["id"] == nm["id"] {
				em["role"], found = nm["role"], true
			}
		}
		if !found {
			out = append(out, n)
		}
	}
	return out
}
