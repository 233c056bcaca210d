package httpapi_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// probeField is a name no request schema has.
const probeField = "zz_not_a_field"

// sampleOf is a value of a schema's type, to send a documented field
// with: what it does matters less than that the handler knows the name.
func sampleOf(s *schema, comps map[string]*schema) any {
	s = resolve(s, comps)
	if s == nil {
		return ""
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	ts := s.types()
	if len(ts) == 0 {
		return ""
	}
	switch ts[0] {
	case "integer", "number":
		return 0
	case "boolean":
		return false
	case "array":
		return []any{}
	case "object":
		return map[string]any{}
	}
	return ""
}

// probe is one request body built to test what a handler takes at one
// place of its body (at "" is the top level).
type probe struct {
	at   string
	body any
	// field is the name sent; refused says whether the handler must
	// answer unknown_field naming it.
	field   string
	refused bool
}

// probesOf builds the probes of an object schema, the body's top level
// and its objects (and lists of objects) one level down. wrap puts a
// value where the schema sits in the body.
func probesOf(s *schema, comps map[string]*schema, at string, wrap func(any) any, depth int) []probe {
	s = resolve(s, comps)
	if s == nil || !containsType(s, "object") {
		return nil
	}
	out := []probe{{at: at, body: wrap(map[string]any{probeField: 1}), field: probeField, refused: s.closed(comps)}}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ps := s.Properties[n]
		out = append(out, probe{at: at, body: wrap(map[string]any{n: sampleOf(ps, comps)}), field: n})
		if depth == 0 {
			continue
		}
		n := n
		sub := resolve(ps, comps)
		switch {
		case containsType(sub, "object"):
			out = append(out, probesOf(sub, comps, at+"."+n, func(v any) any { return wrap(map[string]any{n: v}) }, depth-1)...)
		case containsType(sub, "array") && sub.Items != nil:
			out = append(out, probesOf(sub.Items, comps, at+"."+n+"[]",
				func(v any) any { return wrap(map[string]any{n: []any{v}}) }, depth-1)...)
		}
	}
	return out
}

func containsType(s *schema, t string) bool {
	if s == nil {
		return false
	}
	for _, x := range s.types() {
		if x == t {
			return true
		}
	}
	return false
}

// Every JSON request schema is as closed as its handler: where the schema
// refuses unknown properties the handler answers unknown_field to one,
// and where it takes them the handler does not; and every property the
// schema names is one the handler knows (never unknown_field for it).
// That holds at the top level and in the body's objects one level down
// (smtp, twilio, filter, phones, sms_routes).
func TestOpenAPIRequestSchemasMatchHandlers(t *testing.T) {
	h := newHarness(t, token)
	f := newFixture(t, h)
	d := loadOpenAPI(t, h)
	comps := d.Components.Schemas
	sent := 0
	for _, k := range d.operations() {
		op := d.Paths[k.path][k.method]
		if op.RequestBody == nil || webhook(op) {
			continue
		}
		m, ok := op.RequestBody.Content["application/json"]
		if !ok {
			continue
		}
		for _, p := range probesOf(m.Schema, comps, "$", func(v any) any { return v }, 1) {
			body, _ := json.Marshal(p.body)
			code, v := send(t, h, strings.ToUpper(k.method), f.path(k.path), "application/json", string(body), len(op.Security) > 0)
			sent++
			ans, _ := v.(map[string]any)
			e, _ := ans["error"].(map[string]any)
			refused := errCode(ans) == "unknown_field" && e["field"] == p.field
			if code >= 400 && !op.listsCode(code, v) {
				t.Errorf("%s %s %s: %d %v, a code its x-error-codes do not list", k.method, k.path, body, code, v)
			}
			switch {
			case p.refused && !refused:
				t.Errorf("%s %s: %s is closed in the document, but the handler took %s: %d %v",
					k.method, k.path, p.at, body, code, v)
			case !p.refused && refused:
				if p.field == probeField {
					t.Errorf("%s %s: the handler refuses unknown fields at %s; close the schema there",
						k.method, k.path, p.at)
				} else {
					t.Errorf("%s %s: the document names %s.%s, the handler does not know it", k.method, k.path, p.at, p.field)
				}
			}
		}
	}
	t.Logf("%d probes sent", sent)
	if sent < 100 {
		t.Fatalf("only %d probes sent", sent)
	}
}
