package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
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
	Schema string          `json:"schema"`
	Inputs []Input         `json:"inputs"`
	Server Server          `json:"server"`
	Hosts  []InventoryHost `json:"hosts"`
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
}

// InventorySchema names the JSON form of an inventory.
const InventorySchema = "flowverify/hosts/v1"

// InventoryHost is one machine: one address, or an IPv4 and an IPv6 one
// seen behind the same single Ethernet station.
type InventoryHost struct {
	Name      string    `json:"name,omitempty"` // given when the host plays a part in the site
	Addresses []string  `json:"addresses"`
	MAC       string    `json:"mac,omitempty"`
	LooksLike string    `json:"looks_like,omitempty"`
	Roles     []string  `json:"roles,omitempty"` // matrix roles whose rules reached it
	Evidence  []string  `json:"evidence,omitempty"`
	Packets   uint64    `json:"packets"`
	Bytes     uint64    `json:"bytes"`
	Serves    []Service `json:"serves"`
	Opens     []Service `json:"opens"`
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
}

// SiteRule narrows one rule to a role of its own.
type SiteRule struct {
	ID   string   `json:"id" yaml:"id"`
	Role []string `json:"role" yaml:"role,flow"`
}

// InventoryFormats are the formats 'hosts' writes.
func InventoryFormats() []string { return []string{"text", "json", "csv", "yaml"} }

// WriteInventory renders an inventory.
func WriteInventory(w io.Writer, inv *Inventory, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(inv)
	case "csv":
		return writeInventoryCSV(w, inv)
	case "yaml":
		return writeSiteYAML(w, inv)
	case "text":
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

func writeInventoryText(w io.Writer, inv *Inventory) error {
	t := textWriter{w: bufio.NewWriter(w)}
	for _, in := range inv.Inputs {
		t.p("Input:  %s (%s) %s\n", in.Name, in.Format, words.Count(in.Packets, "packet"))
	}
	if inv.Server.Source == matrix.ServerNone {
		t.para("Server: not found: ", "  ", strings.Join(inv.Server.Evidence, "; "))
	} else {
		t.p("Server: %s (%s)\n", serverLabel(&Report{Server: inv.Server}), inv.Server.Source)
	}
	t.p("\n%s\n", words.Count(len(inv.Hosts), "host"))
	for _, h := range inv.Hosts {
		name := strings.Join(h.Addresses, ", ")
		if h.Name != "" {
			name = h.Name + " (" + name + ")"
		}
		what := h.LooksLike
		if what == "" {
			what = "no part of the site"
		}
		t.para("", "    ", fmt.Sprintf("%s: %s; %s, %d bytes", name, what, words.Count(h.Packets, "packet"), h.Bytes))
		t.para("    serves: ", "            ", services(h.Serves))
		t.para("    opens:  ", "            ", services(h.Opens))
		for _, e := range h.Evidence {
			t.para("    - ", "      ", e)
		}
	}
	if inv.Others > 0 {
		t.p("(%s more not listed)\n", words.Count(inv.Others, "address", "addresses"))
	}
	t.p("\n%s\n", inv.Usage.Describe)
	t.p("  flowverify analyze \\\n")
	for _, f := range inv.Flags {
		t.p("    %s \\\n", f)
	}
	t.p("    FILE...\n")
	return t.w.Flush()
}

func writeInventoryCSV(w io.Writer, inv *Inventory) error {
	c := csv.NewWriter(w)
	c.Write(csvRow([]string{"name", "addresses", "mac", "looks_like", "roles", "packets", "bytes", "serves", "opens", "evidence"}))
	for _, h := range inv.Hosts {
		c.Write(csvRow([]string{h.Name, strings.Join(h.Addresses, " "), h.MAC, h.LooksLike, strings.Join(h.Roles, " "),
			strconv.FormatUint(h.Packets, 10), strconv.FormatUint(h.Bytes, 10), serviceCells(h.Serves), serviceCells(h.Opens), strings.Join(h.Evidence, "; ")}))
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
// must hold exactly the site configuration: a name can never add a key.
func writeSiteYAML(w io.Writer, inv *Inventory) error {
	var root yaml.Node
	if err := root.Encode(inv.Config); err != nil {
		return err
	}
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
	root.HeadComment = strings.Join(head, "\n")
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "rules" {
			// Whoever edits the file should know why these rows are
			// here before removing them.
			root.Content[i].HeadComment = "Rules that reached only some of their role's members, each with a role\n" +
				"of its own: judged with the whole role they would be partial."
		}
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
	if err := sameSite(b.Bytes(), inv.Config); err != nil {
		return fmt.Errorf("the site file does not read back as written: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
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
