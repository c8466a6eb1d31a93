package main

import (
	"bufio"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"
)

// depsEntry is one line of scripts/deps.txt.
type depsEntry struct{ group, command, pkg string }

func readDeps(t *testing.T, file string) []depsEntry {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []depsEntry
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if len(fields) < 3 || len(fields) > 4 {
			t.Fatalf("%s:%d: want GROUP COMMAND PACKAGE [LOCATION], got %q", file, n, sc.Text())
		}
		out = append(out, depsEntry{fields[0], fields[1], fields[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// bashBuiltins run inside the shell and need no package.
var bashBuiltins = []string{
	".", ":", "[", "alias", "break", "builtin", "case", "cd", "command", "continue", "declare", "echo",
	"eval", "exec", "exit", "export", "false", "getopts", "hash", "local", "printf", "pwd", "read",
	"readonly", "return", "set", "shift", "shopt", "source", "test", "trap", "true", "type", "ulimit",
	"umask", "unset", "wait",
}

// scriptVars are variables the lab calls as commands: the project's own scripts.
var scriptVars = map[string]string{"DEPS": "scripts/deps.sh"}

// shellCommands lists the external commands a bash script calls, looking
// through the wrappers the lab uses (its ns function, ip netns exec, env,
// timeout, and the strings given to su -c and bash -c), and the variables
// it calls as commands.
func shellCommands(t *testing.T, name, src string) (cmds, vars []string) {
	t.Helper()
	file, err := syntax.NewParser().Parse(strings.NewReader(src), name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	funcs := map[string]bool{}
	syntax.Walk(file, func(n syntax.Node) bool {
		if fd, ok := n.(*syntax.FuncDecl); ok {
			funcs[fd.Name.Value] = true
		}
		return true
	})
	seen := map[string]bool{}
	var add func(args []string)
	add = func(args []string) {
		if len(args) == 0 {
			return
		}
		first := args[0]
		if v, ok := strings.CutPrefix(first, "$"); ok && !strings.Contains(v, "/") {
			// "$@" in a wrapper function forwards its callers' commands,
			// which the walk sees at each call.
			if v != "@" && v != "*" {
				vars = append(vars, v)
			}
			return
		}
		cmd := path.Base(first)
		switch {
		case cmd == "ns": // ns HOST CMD...
			if len(args) > 2 {
				add(args[2:])
			}
			return
		case cmd == "ip" && len(args) > 4 && args[1] == "netns" && args[2] == "exec":
			seen["ip"] = true
			add(args[4:])
			return
		case cmd == "env":
			seen[cmd] = true
			i := 1
			for i < len(args) && (strings.Contains(args[i], "=") || strings.HasPrefix(args[i], "-")) {
				i++
			}
			add(args[i:])
			return
		case cmd == "timeout":
			seen[cmd] = true
			i := 1
			for i < len(args) && strings.HasPrefix(args[i], "-") {
				i++
			}
			add(args[min(i+1, len(args)):])
			return
		case cmd == "exec":
			add(args[1:])
			return
		case cmd == "su" || cmd == "bash":
			seen[cmd] = true
			if i := slices.Index(args, "-c"); i >= 0 && i+1 < len(args) {
				inner, innerVars := shellCommands(t, name+": "+cmd+" -c", args[i+1])
				for _, c := range inner {
					seen[c] = true
				}
				vars = append(vars, innerVars...)
			}
			return
		}
		if !funcs[cmd] && !slices.Contains(bashBuiltins, cmd) {
			seen[cmd] = true
		}
	}
	syntax.Walk(file, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		args := make([]string, len(call.Args))
		for i, w := range call.Args {
			args[i] = wordText(w)
		}
		add(args)
		return true
	})
	for c := range seen {
		cmds = append(cmds, c)
	}
	sort.Strings(cmds)
	return cmds, vars
}

// wordText flattens a shell word: literals and quotes as written,
// parameters as $NAME.
func wordText(w *syntax.Word) string {
	var b strings.Builder
	var parts func([]syntax.WordPart)
	parts = func(ps []syntax.WordPart) {
		for _, p := range ps {
			switch p := p.(type) {
			case *syntax.Lit:
				b.WriteString(p.Value)
			case *syntax.SglQuoted:
				b.WriteString(p.Value)
			case *syntax.DblQuoted:
				parts(p.Parts)
			case *syntax.ParamExp:
				b.WriteString("$" + p.Param.Value)
			default:
				b.WriteString("$(...)")
			}
		}
	}
	parts(w.Parts)
	return b.String()
}

// TestShellCommandsSeesThroughWrappers holds the walker itself to account:
// a command the lab reaches only through a wrapper must still be found.
func TestShellCommandsSeesThroughWrappers(t *testing.T) {
	for _, c := range []struct {
		src  string
		want []string
	}{
		{"ns() { :; }\nns dc env A=1 B=2 krb5kdc -P x", []string{"env", "krb5kdc"}},
		{"ip netns exec fv0-tm timeout 60 samba-tool drs", []string{"ip", "samba-tool", "timeout"}},
		{`su postgres -c "$bin/initdb -D $DIR"`, []string{"initdb", "su"}},
		{`bash -c "exec 3<>/dev/tcp/x/1"; echo $(sort -V | tail -1)`, []string{"bash", "sort", "tail"}},
		{"f() { kadmin.local -q x >/dev/null 2>&1; }", []string{"kadmin.local"}},
		{"for h in a b; do [ -x /x ] || nosuchtool --flag; done", []string{"nosuchtool"}},
	} {
		got, _ := shellCommands(t, "case", c.src)
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: commands %v, want %v", c.src, got, c.want)
		}
	}
}

// TestLabCommandsAreListed fails when scripts/lab.sh calls a command that
// scripts/deps.txt does not name, so that make test-deps installs it, and
// when the list names a lab command that the lab no longer calls.
func TestLabCommandsAreListed(t *testing.T) {
	src, err := os.ReadFile("../../scripts/lab.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmds, vars := shellCommands(t, "scripts/lab.sh", string(src))
	listed := map[string]bool{}
	labListed := map[string]bool{}
	for _, e := range readDeps(t, "../../scripts/deps.txt") {
		listed[e.command] = true
		if e.group == "lab" {
			labListed[e.command] = true
		}
	}
	for _, c := range cmds {
		if !labListed[c] {
			t.Errorf("scripts/lab.sh calls %s, which scripts/deps.txt does not list in group lab (add its Debian package)", c)
		}
		delete(labListed, c)
	}
	for c := range labListed {
		t.Errorf("scripts/deps.txt lists %s for the lab, which scripts/lab.sh does not call", c)
	}
	for _, v := range vars {
		if _, ok := scriptVars[v]; !ok {
			t.Errorf("scripts/lab.sh calls the command in $%s, which this test cannot check (name it in scriptVars)", v)
		}
	}
	// The commands that broke a fresh machine once, and those reached only
	// through wrappers: the walk must see them, or it checks nothing.
	for _, c := range []string{"kadmin.local", "initdb", "postgres", "samba-tool", "krb5kdc", "slapd", "ss"} {
		if !slices.Contains(cmds, c) {
			t.Errorf("the walk of scripts/lab.sh did not find %s (found %v)", c, cmds)
		}
	}
	// The end-to-end test's own tools.
	for _, c := range []string{"ip", "pgrep"} {
		if !listed[c] {
			t.Errorf("the end-to-end test calls %s, which scripts/deps.txt does not list", c)
		}
	}
}
