package layout

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// root is the module's directory, seen from this package's.
const root = "../.."

// commandFlags reads the long and short names of flowverify's flags from
// cmd/flowverify's calls to pflag (fl.StringVarP(&v, "server", "s", ...)).
func commandFlags(t *testing.T) (long, short []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "cmd", "flowverify", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	arg := func(c *ast.CallExpr, i int) string {
		if i >= len(c.Args) {
			return ""
		}
		lit, ok := c.Args[i].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return ""
		}
		s, _ := strconv.Unquote(lit.Value)
		return s
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := c.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			switch m := sel.Sel.Name; {
			case strings.HasSuffix(m, "VarP"):
				long, short = append(long, arg(c, 1)), append(short, arg(c, 2))
			case strings.HasSuffix(m, "Var"):
				long = append(long, arg(c, 1))
			}
			return true
		})
	}
	clean := func(l []string) []string {
		slices.Sort(l)
		return slices.DeleteFunc(slices.Compact(l), func(s string) bool { return s == "" })
	}
	return clean(long), clean(short)
}

// shortFlagsOwnSyntax are the files whose output is another tool's
// command line, with single-letter options of its own that share
// flowverify's letters: iptables' -p, -s and -j, nft's -f. Long flags are
// still checked there.
var shortFlagsOwnSyntax = []string{"classifier/firewall/firewall.go"}

// TestOnlyTheCommandNamesFlags: no package but the commands writes one of
// flowverify's flags in a string. The engine, the policy and the report
// return what happened as values (a matrix.Setting, a report.Notice, an
// error type with its fields) and cmd/flowverify words them with its
// flags (flagwords.go), so a renamed flag is renamed in one place. The
// generator and tests may name flags.
func TestOnlyTheCommandNamesFlags(t *testing.T) {
	long, short := commandFlags(t)
	for _, want := range []string{"server", "fail-on", "flows", "profile", "host", "role", "max-flows", "config"} {
		if !slices.Contains(long, want) {
			t.Fatalf("flag --%s not found among cmd/flowverify's (%v): the scan no longer reads the flag definitions", want, long)
		}
	}
	if !slices.Contains(short, "c") || !slices.Contains(short, "f") {
		t.Fatalf("shorthands -c and -f not found among %v", short)
	}
	quote := func(l []string) string {
		for i := range l {
			l[i] = regexp.QuoteMeta(l[i])
		}
		return strings.Join(l, "|")
	}
	longRe := regexp.MustCompile(`(^|[^-\w])--(` + quote(slices.Clone(long)) + `)([^-\w]|$)`)
	shortRe := regexp.MustCompile(`(^|[^-\w])-(` + quote(slices.Clone(short)) + `)([^-\w]|$)`)
	scanned := 0
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "cmd" || rel == "internal/synth" || rel == "testdata" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		scanned++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			flag := ""
			if m := longRe.FindStringSubmatch(s); m != nil {
				flag = "--" + m[2]
			} else if m := shortRe.FindStringSubmatch(s); m != nil && !slices.Contains(shortFlagsOwnSyntax, rel) {
				flag = "-" + m[2]
			}
			if flag != "" {
				t.Errorf("%s: %q names the flag %s: return a value and let cmd/flowverify word it", fset.Position(lit.Pos()), s, flag)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 50 {
		t.Errorf("only %d Go files scanned", scanned)
	}
}
