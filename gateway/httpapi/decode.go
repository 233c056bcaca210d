package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/resetgw/resetgw/gateway"
)

// decodeJSON reads one JSON object into v. Unknown fields are ignored (a
// newer app may send more), but a wrong type, trailing data or anything
// that is not an object is a clear 400. It is for the public endpoints;
// the admin API uses decodeStrict.
func decodeJSON(body []byte, v any) error {
	return decodeBody(body, v, false)
}

// decodeStrict is decodeJSON that refuses a field v does not have, with
// code unknown_field naming it: a misspelt key in an admin call (a
// security setting above all) must not be answered 200 and ignored.
func decodeStrict(body []byte, v any) error {
	return decodeBody(body, v, true)
}

func decodeBody(body []byte, v any, strict bool) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return gateway.Errorf(gateway.KindInvalid, "invalid_json", "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return gateway.Errorf(gateway.KindInvalid, "invalid_field", "field %q has the wrong type", te.Field)
		}
		if name, ok := unknownFieldName(err); ok {
			return &fieldError{Field: name, Err: gateway.Errorf(gateway.KindInvalid, "unknown_field",
				"field %q is not one this call takes (misspelt?)", name)}
		}
		return gateway.Errorf(gateway.KindInvalid, "invalid_json", "the body is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return gateway.Errorf(gateway.KindInvalid, "invalid_json", "the body has data after the JSON object")
	}
	return nil
}

// unknownFieldName reads the field out of encoding/json's error for
// DisallowUnknownFields, which has no type of its own: `json: unknown
// field "name"`.
func unknownFieldName(err error) (string, bool) {
	rest, ok := strings.CutPrefix(err.Error(), "json: unknown field ")
	if !ok {
		return "", false
	}
	name, uerr := strconv.Unquote(rest)
	if uerr != nil {
		return "", false
	}
	return gateway.Clip(name, 100), true
}

// fieldError is a domain error about one named field of the body; the
// error answer names the field beside the code.
type fieldError struct {
	Field string
	Err   *gateway.Error
}

func (e *fieldError) Error() string { return e.Err.Error() }
func (e *fieldError) Unwrap() error { return e.Err }

// resetBody is POST /v1/password-resets.
type resetBody struct {
	Email  string `json:"email"`
	Phone  string `json:"phone"`
	Tenant string `json:"tenant"`
}

// decodeReset parses a reset request body; it is a parser of outside input
// and has a fuzz target.
func decodeReset(body []byte) (resetBody, error) {
	var b resetBody
	if err := decodeJSON(body, &b); err != nil {
		return b, err
	}
	if strings.TrimSpace(b.Email) == "" {
		return b, gateway.Errorf(gateway.KindInvalid, "email_required", "email is required")
	}
	return b, nil
}

// loginBody is POST /v1/login.
type loginBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Tenant   string `json:"tenant"`
}

func decodeLogin(body []byte) (loginBody, error) {
	var b loginBody
	if err := decodeJSON(body, &b); err != nil {
		return b, err
	}
	if strings.TrimSpace(b.Email) == "" || b.Password == "" {
		return b, gateway.Errorf(gateway.KindInvalid, "credentials_required", "email and password are required")
	}
	return b, nil
}

// changeBody is POST /v1/password.
type changeBody struct {
	Email       string `json:"email"`
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
	Tenant      string `json:"tenant"`
}
