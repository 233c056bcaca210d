package httpapi_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// walkJSON calls fn for every object in v with its JSON pointer-ish path.
func walkJSON(v any, at string, fn func(at string, m map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		fn(at, x)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkJSON(x[k], at+"/"+k, fn)
		}
	case []any:
		for i, e := range x {
			walkJSON(e, at+"/"+itoa(int64(i)), fn)
		}
	}
}

// schemaProblems reports keywords of s and the schemas inside it that the
// validator does not check.
func schemaProblems(s *schema, at string) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, k := range s.unknown {
		out = append(out, at+": keyword "+k+" is not one the tests check")
	}
	for n, p := range s.Properties {
		out = append(out, schemaProblems(p, at+"/properties/"+n)...)
	}
	out = append(out, schemaProblems(s.Items, at+"/items")...)
	if _, each := s.additional(); each != nil {
		out = append(out, schemaProblems(each, at+"/additionalProperties")...)
	}
	return out
}

var pathParam = regexp.MustCompile(`\{([A-Za-z_]+)\}`)

// The document is well formed OpenAPI 3.1 as far as the tests can tell
// without a full validator: info, every $ref resolves, operation ids are
// unique, every response has a description, path parameters are
// declared (in path, required) exactly as the template names them,
// security and tags name defined ones, and every schema uses only the
// keywords the schema checks understand.
func TestOpenAPIDocumentIsWellFormed(t *testing.T) {
	var raw map[string]any
	if err := json.Unmarshal(openAPIFile(t), &raw); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, token)
	d := loadOpenAPI(t, h)
	info, _ := raw["info"].(map[string]any)
	if info["title"] == "" || info["version"] == "" || info["title"] == nil || info["version"] == nil {
		t.Errorf("info needs a title and a version: %v", info)
	}
	// $refs
	walkJSON(raw, "#", func(at string, m map[string]any) {
		ref, ok := m["$ref"].(string)
		if !ok {
			return
		}
		var cur any = raw
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			obj, _ := cur.(map[string]any)
			cur = obj[part]
		}
		if !strings.HasPrefix(ref, "#/") || cur == nil {
			t.Errorf("%s: $ref %s does not resolve", at, ref)
		}
	})
	// schemas
	var problems []string
	for n, s := range d.Components.Schemas {
		problems = append(problems, schemaProblems(s, "#/components/schemas/"+n)...)
	}
	tags := map[string]bool{}
	for _, tg := range raw["tags"].([]any) {
		tags[tg.(map[string]any)["name"].(string)] = true
	}
	schemes := raw["components"].(map[string]any)["securitySchemes"].(map[string]any)
	ids := map[string]string{}
	for _, k := range d.operations() {
		op := d.Paths[k.path][k.method]
		where := k.method + " " + k.path
		if op.OperationID == "" {
			t.Errorf("%s: no operationId", where)
		} else if other, dup := ids[op.OperationID]; dup {
			t.Errorf("%s: operationId %s is %s's too", where, op.OperationID, other)
		}
		ids[op.OperationID] = where
		if len(op.Responses) == 0 {
			t.Errorf("%s: no responses", where)
		}
		for st, r := range op.Responses {
			if r.Ref == "" && r.Description == "" {
				t.Errorf("%s %s: a response needs a description", where, st)
			}
			for ct, m := range r.Content {
				problems = append(problems, schemaProblems(m.Schema, where+" "+st+" "+ct)...)
			}
		}
		if op.RequestBody != nil {
			for ct, m := range op.RequestBody.Content {
				problems = append(problems, schemaProblems(m.Schema, where+" request "+ct)...)
			}
		}
		want := map[string]bool{}
		for _, m := range pathParam.FindAllStringSubmatch(k.path, -1) {
			want[m[1]] = true
		}
		for _, p := range op.Parameters {
			if p.In != "path" {
				continue
			}
			if !want[p.Name] || !p.Required {
				t.Errorf("%s: path parameter %s is not in the template, or not required", where, p.Name)
			}
			delete(want, p.Name)
		}
		for n := range want {
			t.Errorf("%s: {%s} is not declared as a path parameter", where, n)
		}
		for _, req := range op.Security {
			for n := range req {
				if schemes[n] == nil {
					t.Errorf("%s: security scheme %s is not defined", where, n)
				}
			}
		}
		opRaw := raw["paths"].(map[string]any)[k.path].(map[string]any)[k.method].(map[string]any)
		for _, tg := range opRaw["tags"].([]any) {
			if !tags[tg.(string)] {
				t.Errorf("%s: tag %v is not defined", where, tg)
			}
		}
		for st := range op.ErrorCodes {
			if _, ok := d.response(op, st); !ok {
				t.Errorf("%s: x-error-codes names %s, which is not a documented response", where, st)
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

// Every code the document lists is one the code can answer: a string
// literal in the gateway's non-test source (a renamed code fails here).
func TestOpenAPIErrorCodesExist(t *testing.T) {
	literals := map[string]bool{}
	lit := regexp.MustCompile(`"([a-z][a-z0-9_]*)"`)
	err := filepath.WalkDir("..", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		for _, m := range lit.FindAllSubmatch(b, -1) {
			literals[string(m[1])] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, token)
	d := loadOpenAPI(t, h)
	n := 0
	for _, k := range d.operations() {
		for st, codes := range d.Paths[k.path][k.method].ErrorCodes {
			for _, c := range codes {
				n++
				if !literals[c] {
					t.Errorf("%s %s %s: code %s is in no source file", k.method, k.path, st, c)
				}
			}
		}
	}
	t.Logf("%d codes listed", n)
	if n < 100 {
		t.Fatalf("only %d codes listed", n)
	}
}

func openAPIFile(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
