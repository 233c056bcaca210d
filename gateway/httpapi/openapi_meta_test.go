package httpapi_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The two published OpenAPI 3.1 meta-schemas (testdata/oas31, see its
// README for where they come from). The plain one checks the document's
// structure and lets every embedded schema be any object or boolean; the
// "base" one ties the $dynamicRef for embedded schemas to the OpenAPI
// dialect, so every schema in the document is also checked against JSON
// Schema 2020-12 (and the OpenAPI vocabulary: discriminator, xml, ...).
const (
	oasSchemaID     = "https://spec.openapis.org/oas/3.1/schema/2022-10-07"
	oasSchemaBaseID = "https://spec.openapis.org/oas/3.1/schema-base/2022-10-07"
)

var oasMeta struct {
	once    sync.Once
	schemas map[string]*jsonschema.Schema
	err     error
}

// oasMetaSchemas compiles the meta-schemas once for the whole test
// binary: compiling is most of the cost, validating a document is cheap.
// Everything resolves from testdata and the validator's built-in 2020-12
// meta-schemas; nothing is fetched.
func oasMetaSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	oasMeta.once.Do(func() {
		oasMeta.schemas, oasMeta.err = compileOASMeta("testdata/oas31")
	})
	if oasMeta.err != nil {
		t.Fatal(oasMeta.err)
	}
	return oasMeta.schemas
}

func compileOASMeta(dir string) (map[string]*jsonschema.Schema, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("meta-schemas in %s: %v (%d files)", dir, err, len(files))
	}
	c := jsonschema.NewCompiler()
	// Formats are annotations in 2020-12 unless asked for; asking makes
	// uri, email and regex (every embedded schema's pattern) real checks.
	c.AssertFormat()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if id == "" {
			return nil, fmt.Errorf("%s: no $id", f)
		}
		if err := c.AddResource(id, doc); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, id := range []string{oasSchemaID, oasSchemaBaseID} {
		s, err := c.Compile(id)
		if err != nil {
			return nil, fmt.Errorf("compile %s: %w", id, err)
		}
		out[id] = s
	}
	return out, nil
}

var metaPrinter = message.NewPrinter(language.English)

// metaProblems validates doc against s and returns one line per failed
// keyword: where in the document (a JSON pointer), what is wrong, and
// which part of the meta-schema said so. The tree's inner nodes only
// repeat their leaves ("doesn't validate with ..."), so only leaves count.
func metaProblems(s *jsonschema.Schema, doc any) []string {
	err := s.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{err.Error()}
	}
	seen := map[string]bool{}
	var out []string
	// A property name is validated as a value of its own, so the causes
	// below a propertyNames failure are located at "" and belong to that
	// name. The library keeps that failure's own location in a slice it
	// goes on reusing (v6.0.3), so the name is looked up in the document
	// under the nearest location that is a copy.
	var walk func(e *jsonschema.ValidationError, parent, base []string, nameOf string)
	walk = func(e *jsonschema.ValidationError, parent, base []string, nameOf string) {
		if pn, ok := e.ErrorKind.(*kind.PropertyNames); ok {
			at := nameLocation(doc, parent, pn.Property)
			for _, c := range e.Causes {
				walk(c, at, at, "property name ")
			}
			return
		}
		loc := append(append([]string{}, base...), e.InstanceLocation...)
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c, loc, base, nameOf)
			}
			return
		}
		where := strings.TrimPrefix(e.SchemaURL, "https://spec.openapis.org/oas/3.1/")
		if kw := e.ErrorKind.KeywordPath(); len(kw) > 0 {
			where += "/" + strings.Join(kw, "/")
		}
		line := fmt.Sprintf("/%s: %s%s [%s]", strings.Join(escapePointer(loc), "/"), nameOf, e.ErrorKind.LocalizedString(metaPrinter), where)
		if !seen[line] {
			seen[line] = true
			out = append(out, line)
		}
	}
	walk(ve, nil, nil, "")
	sort.Strings(out)
	return out
}

// nameLocation finds the object at or just below parent that has the
// property name, and returns the name's location.
func nameLocation(doc any, parent []string, name string) []string {
	v := doc
	for _, tok := range parent {
		m, ok := v.(map[string]any)
		if !ok {
			return append(append([]string{}, parent...), name)
		}
		v = m[tok]
	}
	at := append([]string{}, parent...)
	m, _ := v.(map[string]any)
	if _, ok := m[name]; ok {
		return append(at, name)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if child, ok := m[k].(map[string]any); ok {
			if _, ok := child[name]; ok {
				return append(at, k, name)
			}
		}
	}
	return append(at, name)
}

func escapePointer(toks []string) []string {
	out := make([]string, len(toks))
	for i, tok := range toks {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
	}
	return out
}

func loadOpenAPIForMeta(t *testing.T) any {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(openAPIFile(t)))
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// The served document is valid OpenAPI 3.1 by the specification's own
// meta-schema, and every schema in it is valid JSON Schema 2020-12 in the
// OpenAPI dialect.
func TestOpenAPIDocumentMatchesMetaSchema(t *testing.T) {
	schemas := oasMetaSchemas(t)
	doc := loadOpenAPIForMeta(t)
	for _, id := range []string{oasSchemaID, oasSchemaBaseID} {
		if p := metaProblems(schemas[id], doc); len(p) > 0 {
			t.Errorf("openapi.json does not match %s (%d problems):\n  %s", id, len(p), strings.Join(p, "\n  "))
		}
	}
}

// The check above is only worth something if it fails on a wrong
// document: each case breaks one thing in a copy of the real document and
// names the schema that must refuse it, and where the list must point.
// strictOnly cases are wrong only as JSON Schema (an embedded schema or
// the dialect); the plain meta-schema lets them through, which is why the
// strict variant is checked too.
func TestOpenAPIMetaSchemaRefusesBrokenDocuments(t *testing.T) {
	schemas := oasMetaSchemas(t)
	obj := func(v any, keys ...string) map[string]any {
		for _, k := range keys {
			v = v.(map[string]any)[k]
		}
		return v.(map[string]any)
	}
	cases := []struct {
		name       string
		breakIt    func(d map[string]any)
		at         string // instance location the problem list must name
		strictOnly bool
	}{
		{"info without version", func(d map[string]any) {
			delete(obj(d, "info"), "version")
		}, "/info", false},
		{"openapi 3.0 version", func(d map[string]any) {
			d["openapi"] = "3.0.3"
		}, "/openapi", false},
		{"response without description", func(d map[string]any) {
			delete(obj(d, "components", "responses", firstKey(obj(d, "components", "responses"))), "description")
		}, "/components/responses/", false},
		{"misspelled operation field", func(d map[string]any) {
			obj(d, "paths", "/admin/api/admins", "get")["sumary"] = "List console admins"
		}, "/paths/~1admin~1api~1admins/get", false},
		{"parameter in body (3.0 only)", func(d map[string]any) {
			op := obj(d, "paths", "/admin/api/admins", "get")
			params, _ := op["parameters"].([]any)
			op["parameters"] = append(params, map[string]any{"name": "q", "in": "body", "schema": map[string]any{"type": "string"}})
		}, "/paths/~1admin~1api~1admins/get/parameters/", false},
		{"path without leading slash", func(d map[string]any) {
			obj(d, "paths")["admin/api/nope"] = map[string]any{}
		}, "/paths", false},
		{"component name with a space", func(d map[string]any) {
			obj(d, "components", "schemas")["Bad Name"] = map[string]any{"type": "object"}
		}, "/components/schemas", false},
		{"security scheme without type", func(d map[string]any) {
			delete(obj(d, "components", "securitySchemes", "adminToken"), "type")
		}, "/components/securitySchemes/adminToken", false},
		{"schema type misspelled", func(d map[string]any) {
			obj(d, "components", "schemas", "Error")["type"] = "objct"
		}, "/components/schemas/Error/type", true},
		{"schema required not a list", func(d map[string]any) {
			obj(d, "components", "schemas", "Error")["required"] = "error"
		}, "/components/schemas/Error/required", true},
		{"schema pattern not a regular expression", func(d map[string]any) {
			obj(d, "components", "schemas", "Error", "properties", "error", "properties", "code")["pattern"] = "^[a-z_+$"
		}, "/components/schemas/Error/properties/error/properties/code/pattern", true},
		{"dialect other than OpenAPI's", func(d map[string]any) {
			d["jsonSchemaDialect"] = "https://json-schema.org/draft/2020-12/schema"
		}, "/jsonSchemaDialect", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := loadOpenAPIForMeta(t).(map[string]any)
			tc.breakIt(d)
			for _, id := range []string{oasSchemaID, oasSchemaBaseID} {
				p := metaProblems(schemas[id], d)
				mustRefuse := id == oasSchemaBaseID || !tc.strictOnly
				if !mustRefuse {
					if len(p) > 0 {
						t.Errorf("%s: expected to pass (the plain meta-schema does not look inside schemas), got:\n  %s", id, strings.Join(p, "\n  "))
					}
					continue
				}
				if len(p) == 0 {
					t.Errorf("%s accepted the broken document", id)
					continue
				}
				named := false
				for _, line := range p {
					named = named || strings.HasPrefix(line, tc.at)
				}
				if !named {
					t.Errorf("%s refused it, but no problem is at %s:\n  %s", id, tc.at, strings.Join(p, "\n  "))
				}
				t.Logf("%s: %s", id, strings.Join(p, "; "))
			}
		})
	}
}

func firstKey(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys[0]
}
