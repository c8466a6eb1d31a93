package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/internal/synth"
)

// TestHostileCorpus writes the corpus of flowverify-gen -hostile, reads
// its manifest back and runs every case in its own directory: the exit
// status and every check as the manifest says; no output carries a
// terminal escape, a carriage return or a bidi control; no CSV cell is
// a formula; every planted symlink still points where it did, at a file
// that is unchanged.
func TestHostileCorpus(t *testing.T) {
	dir, cases := writeCorpus(t, synth.HostileCorpus())
	if len(cases) < 30 {
		t.Fatalf("the manifest lists %d cases", len(cases))
	}
	runCorpus(t, dir, cases)
}

// TestFalsePassCorpus runs the cases of flowverify-gen -falsepass the
// same way: crafted evidence that once made a rule ok or a report
// CONFORMS (or a merge or diff fail) where the traffic did not show it.
func TestFalsePassCorpus(t *testing.T) {
	dir, cases := writeCorpus(t, synth.FalsePassCorpus())
	runCorpus(t, dir, cases)
}

// writeCorpus writes a corpus as flowverify-gen does and reads its cases
// back from the manifest, so the test runs what a user would be handed.
func writeCorpus(t *testing.T, cs []synth.HostileCase) (string, []synth.HostileCase) {
	t.Helper()
	dir := t.TempDir()
	if err := synth.WriteHostileCorpus(dir, cs); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []synth.HostileCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("MANIFEST.json: %v", err)
	}
	return dir, cases
}

// runCorpus runs each case of a manifest in its own directory under dir:
// its Before steps, then its command, whose exit status and checks must
// be as the manifest says; no output carries a terminal escape, a
// carriage return or a bidi control; no CSV cell is a formula; every
// planted symlink still points where it did, at a file that is unchanged.
func runCorpus(t *testing.T, dir string, cases []synth.HostileCase) {
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if d := monitorDuration(c.Args); testing.Short() && d > time.Second {
				t.Skipf("-short: a monitor case that waits out %s on the wall clock", d)
			}
			cd := filepath.Join(dir, c.Name)
			links := map[string][2]string{}
			for name := range c.Links {
				links[name] = linkState(t, filepath.Join(cd, name))
			}
			t.Chdir(cd)
			for _, step := range c.Before {
				if r := flowverify(t, nil, step...); r.code > 4 {
					t.Fatalf("step %q: exit %d %s", step, r.code, r.stderr)
				}
			}
			r := flowverify(t, nil, c.Args...)
			if !slices.Contains(c.Exit, r.code) {
				t.Errorf("exit %d, want one of %v\nstderr: %s", r.code, c.Exit, r.stderr)
			}
			for _, ch := range c.Checks {
				if msg := runCheck(ch, r); msg != "" {
					t.Errorf("%s", msg)
				}
			}
			for stream, text := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
				if i := strings.IndexFunc(text, func(c rune) bool {
					return c == 0x1b || c == '\r' || c >= 0x80 && c < 0xa0 || c >= 0x202a && c <= 0x202e || c >= 0x2066 && c <= 0x2069
				}); i >= 0 {
					t.Errorf("%s carries a control character at %d: %q", stream, i, text[max(0, i-20):min(len(text), i+20)])
				}
			}
			if slices.Contains(c.Args, "flows-csv") || slices.Contains(c.Args, "csv") {
				for _, line := range strings.Split(r.stdout, "\n") {
					for _, cell := range strings.Split(line, ",") {
						if cell = strings.TrimLeft(cell, `"`); cell != "" && strings.ContainsRune("=+@", rune(cell[0])) {
							t.Errorf("a CSV cell is a formula: %q", cell)
						}
					}
				}
			}
			for name, before := range links {
				if after := linkState(t, filepath.Join(cd, name)); after != before {
					t.Errorf("%s: was %q, now %q", name, before, after)
				}
			}
		})
	}
}

// monitorDuration is the --duration of a monitor command line, or 0.
func monitorDuration(args []string) time.Duration {
	if len(args) == 0 || args[0] != "monitor" {
		return 0
	}
	for i, a := range args[:len(args)-1] {
		if a == "--duration" {
			d, _ := time.ParseDuration(args[i+1])
			return d
		}
	}
	return 0
}

// linkState is where a symlink points and what its target holds.
func linkState(t *testing.T, path string) [2]string {
	to, err := os.Readlink(path)
	if err != nil {
		return [2]string{"not a symlink: " + err.Error()}
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(path), to))
	if err != nil {
		return [2]string{to, err.Error()}
	}
	return [2]string{to, string(data)}
}

// runCheck says what is wrong with r against one check, or "". A check
// on a File reads it from the working directory, the case's.
func runCheck(ch synth.Check, r result) string {
	text, what := r.stdout, "stdout"
	switch {
	case ch.File != "":
		data, err := os.ReadFile(ch.File)
		if err != nil {
			return fmt.Sprintf("%s: %v", ch.File, err)
		}
		text, what = string(data), ch.File
	case ch.Stream == "stderr":
		text, what = r.stderr, "stderr"
	}
	if ch.JSON != "" {
		var doc any
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber() // counts near the largest int are compared exactly
		if err := dec.Decode(&doc); err != nil {
			return fmt.Sprintf("%s: %s is not JSON: %v", ch.JSON, what, err)
		}
		v, err := jsonPath(doc, ch.JSON)
		if err != nil {
			return fmt.Sprintf("%s: %v", ch.JSON, err)
		}
		got, _ := json.Marshal(v)
		if string(got) != ch.Equal {
			return fmt.Sprintf("%s is %s, want %s", ch.JSON, got, ch.Equal)
		}
		return ""
	}
	if ch.Contains != "" && !strings.Contains(text, ch.Contains) {
		return fmt.Sprintf("%s does not say %q:\n%s", what, ch.Contains, text)
	}
	if ch.Absent != "" {
		if i := strings.Index(text, ch.Absent); i >= 0 {
			return fmt.Sprintf("%s holds %q: %q", what, ch.Absent, text[max(0, i-60):min(len(text), i+60)])
		}
	}
	if ch.LinesWith != "" {
		for _, l := range strings.Split(text, "\n") {
			if strings.Contains(l, ch.LinesWith) && !strings.Contains(l, ch.Need) {
				return fmt.Sprintf("%s has a line with %q but without %q: %.200q", what, ch.LinesWith, ch.Need, l)
			}
		}
	}
	for _, l := range strings.Split(text, "\n") {
		if n := len([]rune(l)); ch.MaxLine > 0 && n > ch.MaxLine {
			return fmt.Sprintf("%s has a line of %d characters, over %d: %.80q...", what, n, ch.MaxLine, l)
		}
	}
	if ch.NoLinePrefix != "" {
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, ch.NoLinePrefix) {
				return fmt.Sprintf("%s has a line starting %q: %q", what, ch.NoLinePrefix, l)
			}
		}
	}
	return ""
}

// jsonPath walks keys separated by dots; an array takes an index, a
// [key=value] selector (the element whose key is value) or # (its length).
func jsonPath(doc any, path string) (any, error) {
	var parts []string
	for path != "" {
		if strings.HasPrefix(path, "[") {
			end := strings.Index(path, "]")
			if end < 0 {
				return nil, fmt.Errorf("unclosed selector")
			}
			parts, path = append(parts, path[:end+1]), strings.TrimPrefix(path[end+1:], ".")
			continue
		}
		i := strings.IndexAny(path, ".[")
		if i < 0 {
			parts, path = append(parts, path), ""
			break
		}
		parts, path = append(parts, path[:i]), strings.TrimPrefix(path[i:], ".")
	}
	v := doc
	for _, p := range parts {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[p]; !ok {
				return nil, fmt.Errorf("no key %q", p)
			}
		case []any:
			switch {
			case p == "#":
				v = len(x)
			case strings.HasPrefix(p, "["):
				k, want, _ := strings.Cut(strings.Trim(p, "[]"), "=")
				v = nil
				for _, e := range x {
					if m, ok := e.(map[string]any); ok && fmt.Sprint(m[k]) == want {
						v = e
						break
					}
				}
				if v == nil {
					return nil, fmt.Errorf("no element with %s=%s", k, want)
				}
			default:
				i, err := strconv.Atoi(p)
				if err != nil || i < 0 || i >= len(x) {
					return nil, fmt.Errorf("no element %q of %d", p, len(x))
				}
				v = x[i]
			}
		default:
			return nil, fmt.Errorf("%q: not an object or array", p)
		}
	}
	return v, nil
}
