package matrix

import (
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// keyPart matches one step of a key as ConfigError writes it:
// "rules[ldap-out]", "roles", "site", "groups[Agents]".
var keyPart = regexp.MustCompile(`^([^\[\]]+)(?:\[([^\]]+)\])?$`)

// lineOf finds the line of a key in a YAML document: "a.b" walks
// mappings, "rules[id]" picks the sequence entry with that id. Unknown
// keys reported by the decoder are found by name anywhere. 0 when unknown.
func lineOf(data []byte, key string) int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return 0
	}
	node := doc.Content[0]
	line := 0
	for _, part := range splitKey(key) {
		m := keyPart.FindStringSubmatch(part)
		if m == nil || node == nil || node.Kind != yaml.MappingNode {
			return line
		}
		var next *yaml.Node
		for i := 0; i+1 < len(node.Content); i += 2 {
			// The decoder matches keys whatever their case.
			if strings.EqualFold(node.Content[i].Value, m[1]) {
				line, next = node.Content[i].Line, node.Content[i+1]
				break
			}
		}
		if next == nil {
			return line
		}
		node = next
		if m[2] != "" && node.Kind == yaml.SequenceNode {
			entry := seqEntry(node, m[2])
			if entry == nil {
				return line
			}
			line, node = entry.Line, entry
		}
	}
	return line
}

// seqEntry picks a sequence's entry by its id or name ("rules[ldap-out]",
// "site.groups[Agents]"), or else by its index ("hints[2]").
func seqEntry(seq *yaml.Node, sel string) *yaml.Node {
	for _, e := range seq.Content {
		for i := 0; i+1 < len(e.Content); i += 2 {
			if k := strings.ToLower(e.Content[i].Value); (k == "id" || k == "name") && e.Content[i+1].Value == sel {
				return e
			}
		}
	}
	if n, err := strconv.Atoi(sel); err == nil && n >= 0 && n < len(seq.Content) {
		return seq.Content[n]
	}
	return nil
}

// splitKey cuts a key at its dots, but not at one inside brackets: a
// rule's id may have one (rules[x.y].ports).
func splitKey(key string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(key); i++ {
		switch key[i] {
		case '[':
			depth++
		case ']':
			depth = max(depth-1, 0)
		case '.':
			if depth == 0 {
				parts = append(parts, key[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, key[start:])
}
