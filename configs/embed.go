// Package configs embeds the shipped matrices (profiles) so the binary
// works alone.
package configs

import (
	"embed"
	"fmt"
	"github.com/flowverify/flowverify/internal/words"
	"strings"
)

//go:embed threatmanager*.yaml
var files embed.FS

// Default is the profile used when none is named.
const Default = "threatmanager"

// Profile is one shipped matrix.
type Profile struct {
	Name string
	Data []byte
}

// Profiles lists the shipped profiles, default first.
func Profiles() []Profile {
	entries, _ := files.ReadDir(".")
	out := []Profile{}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".yaml")
		data, _ := files.ReadFile(e.Name())
		p := Profile{Name: name, Data: data}
		if name == Default {
			out = append([]Profile{p}, out...)
		} else {
			out = append(out, p)
		}
	}
	return out
}

// Lookup returns a profile's YAML.
func Lookup(name string) ([]byte, error) {
	for _, p := range Profiles() {
		if p.Name == name {
			return p.Data, nil
		}
	}
	var names []string
	for _, p := range Profiles() {
		names = append(names, p.Name)
	}
	return nil, fmt.Errorf("no profile %q (known: %s)%s", name, strings.Join(names, ", "), words.DidYouMean(name, names))
}
