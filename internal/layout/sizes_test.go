package layout

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The limits of issue 28: a function longer than a screenful or taking
// more than a handful of arguments hides the state it shares with its
// neighbours; that state belongs in a struct passed as receiver.
const (
	maxLines  = 80 // from the func line to the closing brace
	maxParams = 5  // receiver excluded; a variadic parameter counts once
)

// tooLong and tooManyParams would allow an offender, with the part of
// the code that owns it. Issue 28 brought every function within the
// limits and emptied them; TestAllowListsStayEmpty keeps them so.
var tooLong = map[string]string{}

var tooManyParams = map[string]string{}

// funcSize is one declared function's measures.
type funcSize struct {
	name   string // package directory, receiver type and name: "capture/flow.Table.add"
	where  string // file:line of the func keyword
	lines  int
	params int
}

// moduleRoot is the directory holding go.mod, two levels up from here.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !strings.HasPrefix(string(mod), "module "+strings.TrimSuffix(module, "/")+"\n") {
		t.Fatalf("%s is not the module's root (go.mod: %v)", root, err)
	}
	return root
}

// productionFuncs measures every function declared in the module's
// non-test, non-generated Go files, whatever their build constraints.
func productionFuncs(t *testing.T, root string) []funcSize {
	t.Helper()
	fset := token.NewFileSet()
	var funcs []funcSize
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		funcs = append(funcs, measure(fset, filepath.ToSlash(filepath.Dir(rel)), f)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(funcs) == 0 {
		t.Fatal("no function found under " + root)
	}
	return funcs
}

func measure(fset *token.FileSet, dir string, f *ast.File) []funcSize {
	var out []funcSize
	for _, decl := range f.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		start := fset.Position(fd.Type.Func)
		m := funcSize{
			name:  dir + "." + qualified(fd),
			where: fmt.Sprintf("%s/%s:%d", dir, filepath.Base(start.Filename), start.Line),
			lines: fset.Position(fd.Body.Rbrace).Line - start.Line + 1,
		}
		for _, field := range fd.Type.Params.List {
			m.params += max(len(field.Names), 1)
		}
		out = append(out, m)
	}
	return out
}

// qualified names a function as "Name" or a method as "Type.Name", the
// receiver's pointer and type parameters dropped.
func qualified(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	for {
		switch x := typ.(type) {
		case *ast.StarExpr:
			typ = x.X
			continue
		case *ast.IndexExpr:
			typ = x.X
			continue
		case *ast.IndexListExpr:
			typ = x.X
			continue
		case *ast.Ident:
			return x.Name + "." + fd.Name.Name
		}
		return fmt.Sprintf("%T.%s", typ, fd.Name.Name)
	}
}

// limit is one of the two measures with its bound and allow-list.
type limit struct {
	what  string
	allow map[string]string
	max   int
	of    func(funcSize) int
}

var limits = []limit{
	{"lines", tooLong, maxLines, func(f funcSize) int { return f.lines }},
	{"parameters", tooManyParams, maxParams, func(f funcSize) int { return f.params }},
}

func TestFunctionSizes(t *testing.T) {
	funcs := productionFuncs(t, moduleRoot(t))
	for _, l := range limits {
		for _, f := range funcs {
			if n := l.of(f); n > l.max && l.allow[f.name] == "" {
				t.Errorf("%s: %s has %d %s, more than %d: split it, or pass its state as a struct", f.where, f.name, n, l.what, l.max)
			}
		}
	}
}

// TestAllowListsStayEmpty: a function over a limit is split, or given a
// receiver for the state it shares, never allowed.
func TestAllowListsStayEmpty(t *testing.T) {
	for _, l := range limits {
		for name, owner := range l.allow {
			t.Errorf("%s (%s) is allowed too many %s: split it, or pass its state as a struct", name, owner, l.what)
		}
	}
}

// TestMeasure pins the counting on a known source, so the limits above
// measure what they say.
func TestMeasure(t *testing.T) {
	src := `package p

// Doc lines are not counted.
func short(a, b int, c string) {
}

func (t *T[K]) method(xs ...int) {
	_ = func() {
	}
}

func (T) value(int, string) {}

func bodiless(a, b, c, d, e, f int)
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	got := measure(fset, "x", f)
	want := []funcSize{
		{"x.short", "x/p.go:4", 2, 3},
		{"x.T.method", "x/p.go:7", 4, 1},
		{"x.T.value", "x/p.go:12", 1, 2},
	}
	if !slices.Equal(got, want) {
		t.Errorf("measure = %v, want %v", got, want)
	}
}
