// Package layout holds the test that keeps the packages' imports running
// one way (docs/architecture.md).
package layout

import (
	"os"
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
		"capture":             {"capture/flow", "capture/live", "classifier", "classifier/matrix", "classifier/protocol", "report", "internal/synth"},
		"capture/flow":        {"capture/live", "classifier", "classifier/matrix", "classifier/protocol", "report", "internal/synth"},
		"capture/live":        {"capture/flow", "classifier", "classifier/matrix", "classifier/protocol", "report", "internal/synth"},
		"classifier/protocol": {"capture", "capture/flow", "classifier", "classifier/matrix", "report"},
		"classifier/matrix":   {"capture/flow", "capture/live", "classifier", "report", "classifier/firewall"},
		"report":              {"capture/flow", "capture/live", "classifier", "classifier/firewall"},
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

// TestOnlyCommandsCaptureLive holds libpcap to what captures live: no
// package outside cmd/ imports capture/live, in its code or its tests
// (the package's own tests aside).
func TestOnlyCommandsCaptureLive(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}} {{join .TestImports \" \"}} {{join .XTestImports \" \"}}", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	importers := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], module)
		if !slices.Contains(f[1:], module+"capture/live") {
			continue
		}
		importers++
		if !strings.HasPrefix(pkg, "cmd/") && pkg != "capture/live" {
			t.Errorf("%s imports capture/live: only commands capture live", pkg)
		}
	}
	// The command does: without it this test checks nothing.
	if importers == 0 {
		t.Error("nothing imports capture/live: the layering changed")
	}
}

// cgoFree are the packages that build without cgo: reading captures,
// judging and reporting need no libpcap.
var cgoFree = []string{"capture", "classifier/protocol", "classifier/matrix", "report"}

// cgoDeps lists pkg's dependencies outside the standard library that have
// cgo files, as go list sees them with cgo on (with it off, their cgo
// files would be dropped from the lists, not counted).
func cgoDeps(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{if .CgoFiles}}{{.ImportPath}}{{end}}{{end}}", module+pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// TestCgoFreeBuild checks that cgoFree build with CGO_ENABLED=0: none of
// them or their dependencies outside the standard library has cgo files
// (gopacket/pcap has). Without -short it builds them so too.
func TestCgoFreeBuild(t *testing.T) {
	for _, pkg := range cgoFree {
		if d := cgoDeps(t, pkg); len(d) > 0 {
			t.Errorf("%s depends on packages with cgo files: %s", pkg, strings.Join(d, ", "))
		}
	}
	// The check can fail: capture/live links libpcap through cgo.
	if d := cgoDeps(t, "capture/live"); !slices.Contains(d, "github.com/gopacket/gopacket/pcap") {
		t.Errorf("capture/live's dependencies with cgo files are %v, not gopacket/pcap: the check above may be checking nothing", d)
	}
	if testing.Short() {
		return
	}
	args := []string{"build"}
	for _, pkg := range cgoFree {
		args = append(args, module+pkg)
	}
	build := exec.Command("go", args...)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Errorf("CGO_ENABLED=0 go build %s: %v\n%s", strings.Join(cgoFree, " "), err, out)
	}
}
