package httpapi_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// schema is the subset of JSON Schema the document uses: $ref to a
// component, type (one or a list, "null" among them), required,
// properties, additionalProperties (false or a schema), items, enum,
// pattern, maxLength, format (date-time, date, email) and writeOnly. A
// keyword outside that set is recorded in unknown, and the lint test fails
// on it: the validator never passes a document by ignoring what it says.
type schema struct {
	Ref        string             `json:"$ref"`
	Type       json.RawMessage    `json:"type"`
	Required   []string           `json:"required"`
	Properties map[string]*schema `json:"properties"`
	Additional json.RawMessage    `json:"additionalProperties"`
	Items      *schema            `json:"items"`
	Enum       []any              `json:"enum"`
	Format     string             `json:"format"`
	Pattern    string             `json:"pattern"`
	MaxLength  *int               `json:"maxLength"`
	WriteOnly  bool               `json:"writeOnly"`

	unknown []string
}

// schemaKeywords are the keywords validate checks, and the annotations it
// may ignore.
var schemaKeywords = map[string]bool{"$ref": true, "type": true, "required": true, "properties": true,
	"additionalProperties": true, "items": true, "enum": true, "format": true, "pattern": true, "maxLength": true,
	"writeOnly": true, "description": true, "title": true, "readOnly": true, "deprecated": true}

func (s *schema) UnmarshalJSON(b []byte) error {
	type plain schema
	if err := json.Unmarshal(b, (*plain)(s)); err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	for k := range keys {
		if !schemaKeywords[k] {
			s.unknown = append(s.unknown, k)
		}
	}
	sort.Strings(s.unknown)
	return nil
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

// additional is additionalProperties: closed when false, a schema for
// every other property when one is given, nil when open.
func (s *schema) additional() (closed bool, each *schema) {
	if len(s.Additional) == 0 {
		return false, nil
	}
	var b bool
	if json.Unmarshal(s.Additional, &b) == nil {
		return !b, nil
	}
	var sub schema
	if json.Unmarshal(s.Additional, &sub) != nil {
		return false, nil
	}
	return false, &sub
}

// closed reports whether s (after $ref) refuses properties it does not name.
func (s *schema) closed(components map[string]*schema) bool {
	s = resolve(s, components)
	c, _ := s.additional()
	return c
}

func resolve(s *schema, components map[string]*schema) *schema {
	for s != nil && s.Ref != "" {
		s = components[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	return s
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

// direction is which way a value goes: a writeOnly property (a password)
// may be sent, never answered.
type direction int

const (
	inRequest direction = iota
	inResponse
)

// validate checks v against s; components resolves $ref. It returns the
// first mismatch with the path to it, or "".
func validate(s *schema, v any, components map[string]*schema, at string) string {
	return validateDir(s, v, components, at, inResponse)
}

func validateDir(s *schema, v any, components map[string]*schema, at string, dir direction) string {
	if s == nil {
		return ""
	}
	if s.Ref != "" {
		name := strings.TrimPrefix(s.Ref, "#/components/schemas/")
		ref, ok := components[name]
		if !ok {
			return at + ": unknown $ref " + s.Ref
		}
		return validateDir(ref, v, components, at, dir)
	}
	if dir == inResponse && s.WriteOnly {
		return at + ": a write-only field is in an answer"
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
	case string:
		return checkString(s, x, at)
	case map[string]any:
		for _, r := range s.Required {
			if _, ok := x[r]; !ok {
				return at + ": no field " + r
			}
		}
		closed, each := s.additional()
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ps, ok := s.Properties[k]
			if !ok {
				if closed {
					return at + ": undocumented field " + k
				}
				ps = each
			}
			if msg := validateDir(ps, x[k], components, at+"."+k, dir); msg != "" {
				return msg
			}
		}
	case []any:
		for i, e := range x {
			if msg := validateDir(s.Items, e, components, fmt.Sprintf("%s[%d]", at, i), dir); msg != "" {
				return msg
			}
		}
	}
	return ""
}

func checkString(s *schema, x, at string) string {
	if s.MaxLength != nil && utf8.RuneCountInString(x) > *s.MaxLength {
		return fmt.Sprintf("%s: longer than %d", at, *s.MaxLength)
	}
	if s.Pattern != "" {
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			return at + ": bad pattern " + s.Pattern
		}
		if !re.MatchString(x) {
			return fmt.Sprintf("%s: %q does not match %s", at, x, s.Pattern)
		}
	}
	var err error
	switch s.Format {
	case "date-time":
		_, err = time.Parse(time.RFC3339Nano, x)
	case "date":
		_, err = time.Parse(time.DateOnly, x)
	case "email":
		if !strings.Contains(x, "@") {
			err = fmt.Errorf("no @")
		}
	}
	if err != nil {
		return fmt.Sprintf("%s: %q is not a %s", at, x, s.Format)
	}
	return ""
}

// The validator fails on what a field rename or a wrong type would show.
func TestSchemaValidatorCatchesDrift(t *testing.T) {
	var comps map[string]*schema
	if err := json.Unmarshal([]byte(`{"Person":{"type":"object","required":["id","email"],
		"properties":{"id":{"type":"integer"},"email":{"type":"string"},"state":{"enum":["a","b"]},
		"at":{"type":"string","format":"date-time"},"code":{"type":"string","pattern":"^rr_"},
		"password":{"type":"string","writeOnly":true},
		"words":{"type":"object","additionalProperties":{"enum":["reset",""]}}},
		"additionalProperties":false}}`), &comps); err != nil {
		t.Fatal(err)
	}
	var list schema
	json.Unmarshal([]byte(`{"type":"array","items":{"$ref":"#/components/schemas/Person"}}`), &list)
	for _, c := range []struct {
		body string
		dir  direction
		ok   bool
	}{
		{`[{"id":1,"email":"a@b","at":"2026-12-01T10:00:00Z","code":"rr_1","words":{"X":"reset"}}]`, inResponse, true},
		{`[{"id":1,"mail":"a@b"}]`, inResponse, false}, // renamed
		{`[{"id":"1","email":"a@b"}]`, inResponse, false},
		{`[{"id":1,"email":"a@b","state":"c"}]`, inResponse, false},
		{`[{"id":1,"email":"a@b","at":"yesterday"}]`, inResponse, false},
		{`[{"id":1,"email":"a@b","code":"bj_1"}]`, inResponse, false},
		{`[{"id":1,"email":"a@b","words":{"X":"launch"}}]`, inResponse, false},
		{`[{"id":1,"email":"a@b","password":"p"}]`, inResponse, false}, // a secret answered
		{`[{"id":1,"email":"a@b","password":"p"}]`, inRequest, true},
		{`{"list":[]}`, inResponse, false},
	} {
		var v any
		json.Unmarshal([]byte(c.body), &v)
		if msg := validateDir(&list, v, comps, "$", c.dir); (msg == "") != c.ok {
			t.Errorf("%s: %q, want ok=%v", c.body, msg, c.ok)
		}
	}
	var odd schema
	json.Unmarshal([]byte(`{"type":"object","oneOf":[]}`), &odd)
	if !slices.Equal(odd.unknown, []string{"oneOf"}) {
		t.Errorf("a keyword the validator does not check went unnoticed: %v", odd.unknown)
	}
}
