//go:build !js

package conn

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// exported returns the exported names of package conn (functions, types,
// methods as Type.Method, variables and constants) in the files the build
// context ctx selects.
func exported(t *testing.T, ctx build.Context) map[string]bool {
	t.Helper()
	pkg, err := ctx.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range pkg.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(pkg.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil {
					names[d.Name.Name] = true
					continue
				}
				typ := d.Recv.List[0].Type
				if s, ok := typ.(*ast.StarExpr); ok {
					typ = s.X
				}
				if recv := typ.(*ast.Ident); recv.IsExported() {
					names[recv.Name+"."+d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							names[s.Name.Name] = true
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								names[n.Name] = true
							}
						}
					}
				}
			}
		}
	}
	return names
}

// TestBrowserAPI checks that the browser build (GOOS=js GOARCH=wasm) has
// the exported API of the other builds, so that one client builds for
// both: a name added to one build only must be added to the other, where
// it refuses with ErrNotInBrowser what the browser cannot do. The browser
// build's only addition is Conn.BufferedAmount.
func TestBrowserAPI(t *testing.T) {
	host := build.Default
	js := build.Default
	js.GOOS, js.GOARCH = "js", "wasm"
	js.CgoEnabled = false
	h, b := exported(t, host), exported(t, js)
	onlyBrowser := map[string]bool{"Conn.BufferedAmount": true}
	// Names that deliberately do not exist in the browser build, so that
	// code using them fails to compile there rather than at run time. None
	// so far: the server side and Ping exist and refuse.
	onlyHost := map[string]bool{}
	var missing, extra []string
	for n := range h {
		if !b[n] && !onlyHost[n] {
			missing = append(missing, n)
		}
	}
	for n := range b {
		if !h[n] && !onlyBrowser[n] {
			extra = append(extra, n)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 {
		t.Errorf("missing from the browser build (add them in a *_js.go file): %s", strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		t.Errorf("only in the browser build: %s", strings.Join(extra, ", "))
	}
	if len(h) < 40 {
		t.Errorf("found only %d exported names: %v", len(h), h)
	}
}
