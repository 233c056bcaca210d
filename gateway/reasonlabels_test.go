package gateway_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// packageConsts is every string constant of the gateway package (its
// non-test files) whose name starts with one of prefixes, name → value.
func packageConsts(t *testing.T, prefixes ...string) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i >= len(vs.Values) || !hasAnyPrefix(name.Name, prefixes) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					out[name.Name] = v
				}
			}
		}
	}
	return out
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) && len(s) > len(p) && s[len(p)] >= 'A' && s[len(p)] <= 'Z' {
			return true
		}
	}
	return false
}

// Every reason the gateway records has words for the console, and every
// event type constant a label: a new one without words fails here.
func TestEveryReasonAndEventHasWords(t *testing.T) {
	reasons := packageConsts(t, "Reason", "Skip")
	if len(reasons) < 20 {
		t.Fatalf("found only %d reason constants: %v", len(reasons), reasons)
	}
	for name, code := range reasons {
		if !gateway.KnownReason(code) {
			t.Errorf("%s (%q) has no words in ReasonLabels", name, code)
		} else if w := gateway.ReasonWords(code); strings.Contains(w, "_") || w == code {
			t.Errorf("%s: words %q look like a code", name, w)
		}
	}
	for name, typ := range packageConsts(t, "Event") {
		if !gateway.KnownEventType(typ) {
			t.Errorf("%s (%q) has no label in EventLabels", name, typ)
		}
	}
	seen := map[string]bool{}
	for _, l := range gateway.ReasonLabels {
		if seen[l.Code] || l.Label == "" {
			t.Errorf("reason table: %q twice or without words", l.Code)
		}
		seen[l.Code] = true
	}
	if got := gateway.ReasonWords("some_future_reason"); got != "Some future reason" {
		t.Errorf("unknown reason: %q", got)
	}
}

// The functions that decide why a text is skipped name their reasons by
// constant, so the walk above sees every one of them.
func TestSkipReasonsAreConstants(t *testing.T) {
	fset := token.NewFileSet()
	for file, funcs := range map[string][]string{"reset.go": {"routeTo", "smsDelivery"}} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || !contains(funcs, fd.Name.Name) {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				ret, ok := n.(*ast.ReturnStmt)
				if !ok {
					return true
				}
				for _, r := range ret.Results {
					if lit, ok := r.(*ast.BasicLit); ok && lit.Kind == token.STRING && lit.Value != `""` {
						t.Errorf("%s: %s returns the literal reason %s; use a Skip constant with words",
							fset.Position(lit.Pos()), fd.Name.Name, lit.Value)
					}
				}
				return true
			})
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
