package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// oaDoc is what the tests read of the document.
type oaDoc struct {
	OpenAPI    string                            `json:"openapi"`
	Paths      map[string]map[string]oaOperation `json:"paths"`
	Components struct {
		Schemas   map[string]*schema    `json:"schemas"`
		Responses map[string]oaResponse `json:"responses"`
	} `json:"components"`
}

type oaOperation struct {
	OperationID string                `json:"operationId"`
	Security    []map[string][]string `json:"security"`
	Parameters  []struct {
		Name     string `json:"name"`
		In       string `json:"in"`
		Required bool   `json:"required"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]oaMedia `json:"content"`
	} `json:"requestBody"`
	Responses map[string]oaResponse `json:"responses"`
	// ErrorCodes are the stable codes the operation answers, by status.
	ErrorCodes map[string][]string `json:"x-error-codes"`
}

// listsCode reports whether an error answer's code is one the operation
// documents under that status.
func (op oaOperation) listsCode(status int, v any) bool {
	m, _ := v.(map[string]any)
	return slices.Contains(op.ErrorCodes[itoa(int64(status))], errCode(m))
}

type oaMedia struct {
	Schema   *schema `json:"schema"`
	Examples map[string]struct {
		Value json.RawMessage `json:"value"`
	} `json:"examples"`
}

type oaResponse struct {
	Ref         string             `json:"$ref"`
	Description string             `json:"description"`
	Content     map[string]oaMedia `json:"content"`
}

func loadOpenAPI(t *testing.T, h *harness) *oaDoc {
	t.Helper()
	resp, err := h.srv.App().Test(httptest.NewRequest("GET", "/openapi.json", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var d oaDoc
	if resp.StatusCode != 200 || d.decode(raw) != nil || d.OpenAPI != "3.1.0" {
		t.Fatalf("GET /openapi.json: %d %.200s", resp.StatusCode, raw)
	}
	return &d
}

func (d *oaDoc) decode(raw []byte) error { return json.Unmarshal(raw, d) }

// response is the documented answer of a status: its own, else the
// shared Error one for a 4xx or 5xx.
func (d *oaDoc) response(op oaOperation, status string) (oaResponse, bool) {
	r, ok := op.Responses[status]
	if !ok && (strings.HasPrefix(status, "4") || strings.HasPrefix(status, "5")) {
		r, ok = op.Responses["default"]
	}
	if ok && r.Ref != "" {
		r, ok = d.Components.Responses[strings.TrimPrefix(r.Ref, "#/components/responses/")]
	}
	return r, ok
}

// responseSchema is the documented JSON schema of an answer, nil when none.
func (d *oaDoc) responseSchema(op oaOperation, status string) *schema {
	r, ok := d.response(op, status)
	if !ok {
		return nil
	}
	return r.Content["application/json"].Schema
}

// opKey is one operation, sorted the way the examples test runs them.
type opKey struct{ path, method string }

var methodOrder = map[string]int{"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}

// operations lists every operation: reads first, deletes last, so what an
// example changes or removes does not take another example's object away.
func (d *oaDoc) operations() []opKey {
	var out []opKey
	for p, ops := range d.Paths {
		for m := range ops {
			out = append(out, opKey{p, m})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if methodOrder[a.method] != methodOrder[b.method] {
			return methodOrder[a.method] < methodOrder[b.method]
		}
		return a.path < b.path
	})
	return out
}

var fiberParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// Every route the app answers under /v1 and /admin/api is in the
// document, with its method, and the document names none it does not.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	h := newHarness(t, token)
	d := loadOpenAPI(t, h)
	registered := map[string]bool{}
	for _, r := range h.srv.App().GetRoutes(true) {
		if r.Method == "HEAD" || !(strings.HasPrefix(r.Path, "/v1/") || strings.HasPrefix(r.Path, "/admin/api/")) {
			continue
		}
		p := fiberParam.ReplaceAllString(r.Path, "{$1}")
		registered[strings.ToLower(r.Method)+" "+p] = true
	}
	documented := map[string]bool{}
	for p, ops := range d.Paths {
		for m := range ops {
			documented[m+" "+p] = true
		}
	}
	var missing, extra []string
	for k := range registered {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !registered[k] && (strings.Contains(k, " /v1/") || strings.Contains(k, " /admin/api/")) {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("routes not in openapi.json: %v\nin openapi.json but not served: %v", missing, extra)
	}
}

// responseFor finds the response whose example has this name.
func responseFor(op oaOperation, name string) (string, json.RawMessage) {
	for status, r := range op.Responses {
		for _, c := range r.Content {
			if ex, ok := c.Examples[name]; ok {
				return status, ex.Value
			}
		}
	}
	return "", nil
}

func errCodeJSON(raw json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	return errCode(m)
}

// Every response example matches its response's schema; every request
// example whose answer is a success matches the request's schema; and
// one answered unknown_field is refused by it (the schema is as closed
// as the handler). Other error examples are bad input on purpose: the
// schema may or may not see why.
func TestOpenAPIDocumentExamplesMatchSchemas(t *testing.T) {
	h := newHarness(t, token)
	d := loadOpenAPI(t, h)
	comps := d.Components.Schemas
	n := 0
	for _, k := range d.operations() {
		op := d.Paths[k.path][k.method]
		for status, r := range op.Responses {
			for ct, m := range r.Content {
				for name, ex := range m.Examples {
					s := m.Schema
					if s == nil {
						t.Errorf("%s %s %s %s: an example without a schema", k.method, k.path, status, ct)
						continue
					}
					n++
					if msg := validateDir(s, decodeExample(ct, ex.Value), comps, "$", inResponse); msg != "" {
						t.Errorf("%s %s %s example %q: %s", k.method, k.path, status, name, msg)
					}
				}
			}
		}
		if op.RequestBody == nil {
			continue
		}
		for ct, m := range op.RequestBody.Content {
			if m.Schema == nil {
				t.Errorf("%s %s %s: a request body without a schema", k.method, k.path, ct)
				continue
			}
			for name, ex := range m.Examples {
				status, want := responseFor(op, name)
				msg := validateDir(m.Schema, decodeExample(ct, ex.Value), comps, "$", inRequest)
				switch {
				case strings.HasPrefix(status, "2"):
					n++
					if msg != "" {
						t.Errorf("%s %s request example %q (answered %s): %s", k.method, k.path, name, status, msg)
					}
				case errCodeJSON(want) == "unknown_field":
					n++
					if msg == "" {
						t.Errorf("%s %s request example %q is refused by the handler, but its schema takes it",
							k.method, k.path, name)
					}
				}
			}
		}
	}
	t.Logf("%d examples checked against a schema", n)
	if n < 60 {
		t.Fatalf("only %d examples were checked against a schema", n)
	}
}

// decodeExample is an example's value as the body it stands for: JSON
// as itself, a text body (CSV) as the string it is.
func decodeExample(contentType string, raw json.RawMessage) any {
	var v any
	json.Unmarshal(raw, &v)
	return v
}
