package matrix

import (
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// keyPart matches one step of a key as ConfigError writes it:
// "rules[kerberos-out]", "roles", "domain-controllers".
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
	for _, part := range strings.Split(key, ".") {
		m := keyPart.FindStringSubmatch(part)
		if m == nil || node == nil || node.Kind != yaml.MappingNode {
			return line
		}
		var next *yaml.Node
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == m[1] {
				line, next = node.Content[i].Line, node.Content[i+1]
				break
			}
		}
		if next == nil {
			return line
		}
		node = next
		if m[2] != "" && node.Kind == yaml.SequenceNode {
			var entry *yaml.Node
			for _, e := range node.Content {
				for i := 0; i+1 < len(e.Content); i += 2 {
					if e.Content[i].Value == "id" && e.Content[i+1].Value == m[2] {
						entry = e
					}
				}
			}
			if entry == nil {
				return line
			}
			line, node = entry.Line, entry
		}
	}
	return line
}

// findKey returns the line of the first mapping key with this name.
func findKey(data []byte, name string) int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return 0
	}
	var walk func(n *yaml.Node) int
	walk = func(n *yaml.Node) int {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == name {
					return n.Content[i].Line
				}
			}
		}
		for _, c := range n.Content {
			if l := walk(c); l > 0 {
				return l
			}
		}
		return 0
	}
	return walk(&doc)
}
