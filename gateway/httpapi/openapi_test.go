package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
)

type oaDoc struct {
	OpenAPI string                            `json:"openapi"`
	Paths   map[string]map[string]oaOperation `json:"paths"`
}

type oaOperation struct {
	Security    []map[string][]string `json:"security"`
	RequestBody *struct {
		Content map[string]struct {
			Examples map[string]struct {
				Value json.RawMessage `json:"value"`
			} `json:"examples"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Ref     string `json:"$ref"`
		Content map[string]struct {
			Examples map[string]struct {
				Value json.RawMessage `json:"value"`
			} `json:"examples"`
		} `json:"content"`
	} `json:"responses"`
}

func loadOpenAPI(t *testing.T, h *harness) oaDoc {
	t.Helper()
	resp, err := h.srv.App().Test(httptest.NewRequest("GET", "/openapi.json", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var d oaDoc
	if resp.StatusCode != 200 || json.Unmarshal(raw, &d) != nil || d.OpenAPI != "3.1.0" {
		t.Fatalf("GET /openapi.json: %d %.200s", resp.StatusCode, raw)
	}
	return d
}

func loadSchemas(t *testing.T, h *harness) *oaSchemas {
	t.Helper()
	resp, err := h.srv.App().Test(httptest.NewRequest("GET", "/openapi.json", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d oaSchemas
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return &d
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

// Every request example is sent to the app and answers with the status
// its same-named response example is under (and, for an error, its
// code); every GET with a 200 example and no path parameter answers 200.
func TestOpenAPIExamplesAnswerAsDocumented(t *testing.T) {
	h := newHarness(t, token)
	if code, m, _ := h.do("POST", "/admin/api/personnel", `{"name":"Ana","email":"ana@acme.example","status":"active",
		"mobile_access":true,"allow_mobile_reset":true,"password":"original-crew-password-7",
		"phones":[{"number":"+12015550123","type":"sms"}]}`, true); code != 201 {
		t.Fatalf("seed: %d %v", code, m)
	}
	d := loadOpenAPI(t, h)
	schemas := loadSchemas(t, h)
	// Each answer also matches the schema documented for its status.
	checked := 0
	conforms := func(method, path string, code int, m map[string]any) {
		t.Helper()
		s := schemas.responseSchema(path, method, itoa(int64(code)))
		if s == nil {
			return
		}
		checked++
		var v any = m
		if msg := validate(s, v, schemas.Components.Schemas, "$"); msg != "" {
			t.Errorf("%s %s answered %d, not as its schema says: %s", method, path, code, msg)
		}
	}
	ran := 0
	for path, ops := range d.Paths {
		for method, op := range ops {
			auth := len(op.Security) > 0
			if op.RequestBody != nil {
				for _, ct := range op.RequestBody.Content {
					for name, ex := range ct.Examples {
						status, want := responseFor(op, name)
						if status == "" {
							t.Errorf("%s %s example %q: no response example of that name", method, path, name)
							continue
						}
						code, m, _ := h.do(strings.ToUpper(method), path, string(ex.Value), auth)
						ran++
						conforms(method, path, code, m)
						if itoa(int64(code)) != status {
							t.Errorf("%s %s example %q: %d %v, documented %s", method, path, name, code, m, status)
						}
						if wantCode := errCodeJSON(want); wantCode != "" && errCode(m) != wantCode {
							t.Errorf("%s %s example %q: code %q, documented %q", method, path, name, errCode(m), wantCode)
						}
					}
				}
				continue
			}
			if method != "get" || strings.Contains(path, "{") {
				continue
			}
			if r, ok := op.Responses["200"]; ok && len(r.Content["application/json"].Examples) > 0 {
				code, m, _ := h.do("GET", path, "", auth)
				ran++
				conforms(method, path, code, m)
				if code != 200 {
					t.Errorf("GET %s: %d %v, documented 200", path, code, m)
				}
			}
		}
	}
	if ran < 10 {
		t.Fatalf("only %d examples ran", ran)
	}
	if checked < 10 {
		t.Fatalf("only %d answers were checked against a schema", checked)
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
