package matrix

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowverify/flowverify/internal/words"
	"gopkg.in/yaml.v3"
)

// shapeKind is what one key of a matrix file holds.
type shapeKind uint8

const (
	shapeText     shapeKind = iota + 1 // a string
	shapeFlag                          // true or false
	shapeNumber                        // a whole number
	shapeDuration                      // 90s, 5m
	shapeList                          // a list of strings, or one string of them
	shapeNamed                         // name -> list (hosts, roles)
	shapeMapping                       // known keys (the top level, site, flows)
	shapeEntries                       // a list of mappings (rules, ignore, hints)
)

// shape is the form a layer's YAML must have. It is read from the raw
// structs' mapstructure tags, so that the check here and the decoder
// after the merge know the same keys.
type shape struct {
	kind  shapeKind
	keys  map[string]*shape // shapeMapping, and each entry of shapeEntries
	names []string          // the keys, sorted, for a suggestion
}

// matrixShape is the shape of a whole file; it is never written after
// it is built.
var matrixShape = shapeOf(reflect.TypeFor[rawMatrix]())

var durationType = reflect.TypeFor[time.Duration]()

func shapeOf(t reflect.Type) *shape {
	switch {
	case t == durationType:
		return &shape{kind: shapeDuration}
	case t.Kind() == reflect.String:
		return &shape{kind: shapeText}
	case t.Kind() == reflect.Bool:
		return &shape{kind: shapeFlag}
	case t.Kind() == reflect.Int:
		return &shape{kind: shapeNumber}
	case t.Kind() == reflect.Map:
		return &shape{kind: shapeNamed}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		s := shapeOf(t.Elem())
		s.kind = shapeEntries
		return s
	case t.Kind() == reflect.Slice:
		return &shape{kind: shapeList}
	case t.Kind() == reflect.Struct:
		s := &shape{kind: shapeMapping, keys: map[string]*shape{}}
		for i := range t.NumField() {
			name := t.Field(i).Tag.Get("mapstructure")
			s.keys[name] = shapeOf(t.Field(i).Type)
			s.names = append(s.names, name)
		}
		slices.Sort(s.names)
		return s
	}
	panic("matrix: no shape for " + t.String())
}

// at is the shape of a dotted key ("flows.max_flows", "roles.auditors"),
// or nil.
func (s *shape) at(key string) *shape {
	for part := range strings.SplitSeq(key, ".") {
		switch {
		case s == nil:
			return nil
		case s.kind == shapeNamed:
			s = &shape{kind: shapeList}
		default:
			s = s.keys[part]
		}
	}
	return s
}

// layerCheck checks one layer's YAML (the profile's, the user's file)
// against the matrix's shape before it is merged, while each value still
// has its line and its rule its id: after the merge a rule is only a
// position in a list of every layer's rules.
type layerCheck struct {
	src string // the file, or "profile NAME"
	// checked holds the mappings checked already, with the shape they
	// were checked against: an anchor that merge keys or aliases name
	// many times is walked once, so that a few hundred bytes of nested
	// "<<: [*a, *a, ...]" cost their size, not ten to the depth walks.
	// It also ends an anchor that contains an alias to itself.
	checked map[checkedMapping]bool
}

type checkedMapping struct {
	n *yaml.Node
	s *shape
}

func newLayerCheck(src string) *layerCheck {
	return &layerCheck{src: src, checked: map[checkedMapping]bool{}}
}

func (c *layerCheck) errorf(line int, key, format string, a ...any) error {
	return &ConfigError{Source: c.src, line: line, Key: key, Msg: fmt.Sprintf(format, a...)}
}

// document checks a parsed document; an empty one is an empty layer.
func (c *layerCheck) document(doc *yaml.Node) error {
	if len(doc.Content) == 0 {
		return nil
	}
	return c.value(doc.Content[0], matrixShape, "", doc.Content[0].Line)
}

// value checks n against s; key is n's place, written as errors write
// it, and line the line an error blames: its key's, where it has one.
func (c *layerCheck) value(n *yaml.Node, s *shape, key string, line int) error {
	if n = deref(n); n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // the key given empty: its zero value
	}
	switch s.kind {
	case shapeMapping:
		return c.mapping(n, s, key, line)
	case shapeEntries:
		return c.entries(n, s, key, line)
	case shapeNamed:
		return c.named(n, key, line)
	case shapeList:
		if n.Kind == yaml.SequenceNode {
			for i, e := range n.Content {
				if err := c.value(e, &shape{kind: shapeText}, fmt.Sprintf("%s[%d]", key, i), e.Line); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if n.Kind != yaml.ScalarNode {
		return c.errorf(line, key, "%s given; want %s", kindOf(n), s.kind.want())
	}
	if err := checkScalar(s.kind, n.Tag, n.Value); err != nil {
		return c.errorf(line, key, "%v", err)
	}
	return nil
}

// named checks a mapping of names to lists (hosts, roles).
func (c *layerCheck) named(n *yaml.Node, key string, line int) error {
	if n.Kind != yaml.MappingNode {
		return c.errorf(line, key, "%s given; want a mapping of names to lists", kindOf(n))
	}
	var first keyLines
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		full := key + "." + k.Value
		if err := first.add(c, k, full); err != nil {
			return err
		}
		if err := c.value(n.Content[i+1], &shape{kind: shapeList}, full, k.Line); err != nil {
			return err
		}
	}
	return nil
}

// keyLines are the keys of one mapping so far, in lower case, for a key
// given twice: the decoder matches keys whatever their case, so Server
// after server would silently replace it.
type keyLines map[string]*yaml.Node

func (kl *keyLines) add(c *layerCheck, k *yaml.Node, full string) error {
	if *kl == nil {
		*kl = keyLines{}
	}
	name := strings.ToLower(k.Value)
	if prev, ok := (*kl)[name]; ok {
		as := ""
		if prev.Value != k.Value {
			as = " as " + prev.Value
		}
		return c.errorf(k.Line, full, "given twice (first%s at line %d)", as, prev.Line)
	}
	(*kl)[name] = k
	return nil
}

// mapping checks a mapping's keys: an unknown one is refused with the
// closest known key, at every level.
func (c *layerCheck) mapping(n *yaml.Node, s *shape, key string, line int) error {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		what := kindOf(n) + " given"
		if key == "" {
			what = "the matrix is " + kindOf(n)
		}
		return c.errorf(line, key, "%s; want a mapping with the keys %s", what, strings.Join(s.names, ", "))
	}
	if c.checked[checkedMapping{n, s}] {
		return nil
	}
	c.checked[checkedMapping{n, s}] = true
	var first keyLines
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" { // a YAML merge key: the merged mappings' keys are this one's
			merged := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				merged = v.Content
			}
			for _, m := range merged {
				if err := c.mapping(m, s, key, k.Line); err != nil {
					return err
				}
			}
			continue
		}
		// The decoder matches keys whatever their case.
		name := strings.ToLower(k.Value)
		full := joinKey(key, k.Value)
		sub := s.keys[name]
		if sub == nil {
			if hint := words.DidYouMean(name, s.names); hint != "" {
				return c.errorf(k.Line, full, "unknown key%s", hint)
			}
			return c.errorf(k.Line, full, "unknown key (known: %s)", strings.Join(s.names, ", "))
		}
		if err := first.add(c, k, full); err != nil {
			return err
		}
		if err := c.value(v, sub, full, k.Line); err != nil {
			return err
		}
	}
	return nil
}

// entries checks a list of mappings; an entry is named by its id or name,
// as the errors about its values after the merge name it. Two entries of
// one layer with one name are refused here, on the second one's line.
func (c *layerCheck) entries(n *yaml.Node, s *shape, key string, line int) error {
	if n.Kind != yaml.SequenceNode {
		return c.errorf(line, key, "%s given; want a list of entries", kindOf(n))
	}
	first := map[string]int{}
	for i, e := range n.Content {
		e = deref(e)
		sel := strconv.Itoa(i)
		k, v := entryName(e)
		if k != nil {
			if err := c.entryName(k, v, fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
			sel = v.Value
			field := key + "[" + sel + "]." + strings.ToLower(k.Value)
			if l, ok := first[sel]; ok {
				return c.errorf(k.Line, field, "duplicate %s %q (first at line %d)", strings.ToLower(k.Value), sel, l)
			}
			first[sel] = k.Line
		}
		if err := c.mapping(e, s, key+"["+sel+"]", e.Line); err != nil {
			return err
		}
	}
	return nil
}

// entryName is the key and value of an entry's id or name, or nils.
func entryName(e *yaml.Node) (k, v *yaml.Node) {
	for j := 0; j+1 < len(e.Content) && e.Kind == yaml.MappingNode; j += 2 {
		if name := strings.ToLower(e.Content[j].Value); name == "id" || name == "name" {
			if v := deref(e.Content[j+1]); v.Kind == yaml.ScalarNode && v.Tag != "!!null" && v.Value != "" {
				return e.Content[j], v
			}
		}
	}
	return nil, nil
}

// entryName checks an entry's id: text (the merge matches ids as text,
// so id: 5 would be no id at all), and a rule's or ignore entry's a
// name checkName allows, refused here on its line rather than after
// the merge, where the entry is only a place in every layer's list.
func (c *layerCheck) entryName(k, v *yaml.Node, at string) error {
	field := at + "." + strings.ToLower(k.Value)
	if v.Tag != "!!str" {
		return c.errorf(k.Line, field, "%s is not text; quote it (%q) if it is the %s", v.Value, v.Value, strings.ToLower(k.Value))
	}
	if strings.EqualFold(k.Value, "id") {
		if err := checkName(v.Value); err != nil {
			return c.errorf(k.Line, field, "%v", err)
		}
	}
	return nil
}

// deref is the node an alias stands for.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func joinKey(key, name string) string {
	if key == "" {
		return name
	}
	return key + "." + name
}

// checkScalar says whether a scalar of this YAML tag and text decodes
// into a key of kind k; the environment's values are all text. It
// accepts what the decoder's weak typing accepts (88 for "88", "true"
// for true) and nothing it would refuse, nor what it would misread: a
// bare number as a duration, true as a number.
func checkScalar(k shapeKind, tag, text string) error {
	switch k {
	case shapeFlag:
		if tag == "!!bool" || tag == "!!int" || text == "" {
			return nil
		}
		if _, err := strconv.ParseBool(text); err != nil {
			return fmt.Errorf("%q is not true or false", text)
		}
	case shapeNumber:
		if tag == "!!bool" {
			return fmt.Errorf("%s is not a whole number", text)
		}
		if text == "" {
			return nil
		}
		if _, err := strconv.ParseInt(text, 0, 64); err != nil {
			return fmt.Errorf("%q is not a whole number", text)
		}
	case shapeDuration:
		// A bare number would be nanoseconds: tcp_timeout: 90 would end
		// every TCP flow between two packets.
		if tag == "!!int" && text != "0" {
			return fmt.Errorf("%s is not a duration: give a unit, such as 90s, 5m or 1h", text)
		}
		if text == "" {
			return nil
		}
		if _, err := time.ParseDuration(text); err != nil {
			return fmt.Errorf("%q is not a duration such as 90s, 5m or 1h", text)
		}
	}
	return nil
}

func (k shapeKind) want() string {
	switch k {
	case shapeText:
		return "text"
	case shapeFlag:
		return "true or false"
	case shapeNumber:
		return "a whole number"
	case shapeDuration:
		return "a duration such as 90s, 5m or 1h"
	case shapeList:
		return "a list"
	}
	return "a mapping"
}

func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}
