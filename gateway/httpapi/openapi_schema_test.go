package httpapi_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// schema is the subset of JSON Schema the document uses: $ref to a
// component, type (one or a list, "null" among them), required,
// properties, additionalProperties false, items, enum.
type schema struct {
	Ref        string             `json:"$ref"`
	Type       json.RawMessage    `json:"type"`
	Required   []string           `json:"required"`
	Properties map[string]*schema `json:"properties"`
	Additional *bool              `json:"additionalProperties"`
	Items      *schema            `json:"items"`
	Enum       []any              `json:"enum"`
}

func (s *schema) types() []string {
	if len(s.Type) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(s.Type, &one) == nil {
		return []string{one}
	}
	var many []string
	json.Unmarshal(s.Type, &many)
	return many
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// validate checks v against s; components resolves $ref. It returns the
// first mismatch with the path to it, or "".
func validate(s *schema, v any, components map[string]*schema, at string) string {
	if s == nil {
		return ""
	}
	if s.Ref != "" {
		name := strings.TrimPrefix(s.Ref, "#/components/schemas/")
		ref, ok := components[name]
		if !ok {
			return at + ": unknown $ref " + s.Ref
		}
		return validate(ref, v, components, at)
	}
	if ts := s.types(); len(ts) > 0 {
		got := jsonType(v)
		if !slices.Contains(ts, got) && !(got == "integer" && slices.Contains(ts, "number")) {
			return fmt.Sprintf("%s: %s, want %v", at, got, ts)
		}
	}
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, v) {
		return fmt.Sprintf("%s: %v is not one of %v", at, v, s.Enum)
	}
	switch x := v.(type) {
	case map[string]any:
		for _, r := range s.Required {
			if _, ok := x[r]; !ok {
				return at + ": no field " + r
			}
		}
		for k, fv := range x {
			ps, ok := s.Properties[k]
			if !ok {
				if s.Additional != nil && !*s.Additional {
					return at + ": undocumented field " + k
				}
				continue
			}
			if msg := validate(ps, fv, components, at+"."+k); msg != "" {
				return msg
			}
		}
	case []any:
		for i, e := range x {
			if msg := validate(s.Items, e, components, fmt.Sprintf("%s[%d]", at, i)); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// oaSchemas is what the schema check reads of the document.
type oaSchemas struct {
	Components struct {
		Schemas map[string]*schema `json:"schemas"`
	} `json:"components"`
	Paths map[string]map[string]struct {
		Responses map[string]struct {
			Content map[string]struct {
				Schema *schema `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	} `json:"paths"`
}

// responseSchema is the documented schema of an answer, nil when none.
func (d *oaSchemas) responseSchema(path, method, status string) *schema {
	r, ok := d.Paths[path][method].Responses[status]
	if !ok {
		if strings.HasPrefix(status, "4") || strings.HasPrefix(status, "5") {
			return &schema{Ref: "#/components/schemas/Error"}
		}
		return nil
	}
	return r.Content["application/json"].Schema
}

// The validator fails on what a field rename or a wrong type would show.
func TestSchemaValidatorCatchesDrift(t *testing.T) {
	f := false
	comps := map[string]*schema{"Person": {Type: json.RawMessage(`"object"`), Required: []string{"id", "email"},
		Properties: map[string]*schema{"id": {Type: json.RawMessage(`"integer"`)}, "email": {Type: json.RawMessage(`"string"`)},
			"state": {Enum: []any{"a", "b"}}}, Additional: &f}}
	list := &schema{Type: json.RawMessage(`"object"`), Required: []string{"list"},
		Properties: map[string]*schema{"list": {Type: json.RawMessage(`"array"`), Items: &schema{Ref: "#/components/schemas/Person"}}}}
	for _, c := range []struct {
		body string
		ok   bool
	}{
		{`{"list":[{"id":1,"email":"a@b"}]}`, true},
		{`{"list":[{"id":1,"mail":"a@b"}]}`, false}, // renamed
		{`{"list":[{"id":"1","email":"a@b"}]}`, false},
		{`{"list":[{"id":1,"email":"a@b","state":"c"}]}`, false},
		{`{"items":[]}`, false},
	} {
		var v any
		json.Unmarshal([]byte(c.body), &v)
		if msg := validate(list, v, comps, "$"); (msg == "") != c.ok {
			t.Errorf("%s: %q, want ok=%v", c.body, msg, c.ok)
		}
	}
}
