// Package layout holds the test that keeps the packages' imports running
// one way (docs/architecture.md).
package layout

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/flowverify/flowverify/"

// deps lists every package of the module that pkg depends on, directly or
// not, as go list -deps sees them (test files excluded).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", module+pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	var own []string
	for _, p := range strings.Fields(string(out)) {
		if rest, ok := strings.CutPrefix(p, module); ok && rest != pkg {
			own = append(own, rest)
		}
	}
	return own
}

func TestImportsRunOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []string
	for _, p := range strings.Fields(string(out)) {
		pkgs = append(pkgs, strings.TrimPrefix(p, module))
	}
	// What each package may not depend on: a package's own question
	// never needs a layer above it.
	forbidden := map[string][]string{
		"capture":             {"capture/flow", "classifier", "classifier/matrix", "classifier/protocol", "report", "internal/synth"},
		"capture/flow":        {"classifier", "classifier/matrix", "classifier/protocol", "report", "internal/synth"},
		"classifier/protocol": {"capture", "capture/flow", "classifier", "classifier/matrix", "report"},
		"classifier/matrix":   {"classifier", "report", "classifier/firewall"},
		"report":              {"classifier", "classifier/firewall"},
		"classifier/firewall": {"classifier"},
		"internal/synth":      {"capture", "capture/flow", "classifier", "classifier/matrix", "report"},
		"internal/safefile":   {"capture", "capture/flow", "classifier", "classifier/matrix", "classifier/protocol", "report", "internal/synth"},
	}
	checked := 0
	for pkg, bad := range forbidden {
		if !slices.Contains(pkgs, pkg) {
			t.Errorf("package %s is gone: update this test and docs/architecture.md", pkg)
			continue
		}
		for _, d := range deps(t, pkg) {
			if slices.Contains(bad, d) {
				t.Errorf("%s depends on %s", pkg, d)
			}
			checked++
		}
	}
	// Nothing imports a command.
	for _, pkg := range pkgs {
		for _, d := range deps(t, pkg) {
			if strings.HasPrefix(d, "cmd/") {
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
	}
	// The policy is what report builds on: if this edge vanished, the
	// test above would no longer be checking the layering it names.
	if !slices.Contains(deps(t, "report"), "classifier/matrix") || checked == 0 {
		t.Errorf("report no longer depends on classifier/matrix (%d edges checked): the layering changed", checked)
	}
}
