package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tool is the path of an external program a test hands its output to.
// Missing, the test skips: it did not check, so it must not pass.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (Debian package %s; make test-deps installs it)", name, pkg)
	}
	return path
}

// nftCheck has nft parse and check a ruleset without loading it. Where
// the machine refuses nft the rights that needs, the test skips.
func nftCheck(t *testing.T, ruleset string) {
	t.Helper()
	nft := tool(t, "nft", "nftables")
	file := filepath.Join(t.TempDir(), "rules.nft")
	if err := os.WriteFile(file, []byte(ruleset), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(nft, "-c", "-f", file).CombinedOutput()
	switch {
	case err != nil && strings.Contains(string(out), "Operation not permitted"):
		t.Skip("nft -c needs CAP_NET_ADMIN here")
	case err != nil:
		t.Errorf("nft -c rejects the rules: %v\n%s\n%s", err, out, ruleset)
	}
}

// iptablesCheck has iptables-restore --test parse and check rules
// without loading them; it skips like nftCheck.
func iptablesCheck(t *testing.T, rules string) {
	t.Helper()
	cmd := exec.Command(tool(t, "iptables-restore", "iptables"), "--test")
	cmd.Stdin = strings.NewReader(rules)
	out, err := cmd.CombinedOutput()
	switch {
	case err != nil && (strings.Contains(string(out), "Permission denied") || strings.Contains(string(out), "not permitted")):
		t.Skip("iptables-restore --test needs root here")
	case err != nil:
		t.Errorf("iptables-restore --test rejects the rules: %v\n%s\n%s", err, out, rules)
	}
}
