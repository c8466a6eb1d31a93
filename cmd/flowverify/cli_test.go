package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// cliEnv, set to 1, makes this test binary flowverify itself: a test that
// needs the CLI in a process of its own (signals, another user, another
// network namespace, a tool that checks its ExecStart) runs the test
// binary, already built, instead of a `go build` of its own. Not
// FLOWVERIFY_*, which the monitor reads as configuration.
const cliEnv = "FV_TEST_BINARY_IS_THE_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(cliEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Environ()))
	}
	os.Exit(m.Run())
}

// cliBinary is the path of an executable that is flowverify when run by
// cliCommand: this test binary.
func cliBinary(t testing.TB) string {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// cliCommand is exec.Command(name, args...) with cliEnv set, so that the
// test binary it starts, directly or through a wrapper that keeps the
// environment (ip netns exec, setpriv), is flowverify.
func cliCommand(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), cliEnv+"=1")
	return cmd
}

// sharedCLIBinary copies the test binary into a directory of its own that
// every user may read (the test binary's lies under go test's private
// one), for a CLI run as another user.
func sharedCLIBinary(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile(cliBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "flowverify-cli-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "flowverify")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}
