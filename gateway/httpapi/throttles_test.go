package httpapi_test

import (
	"fmt"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// A request refused at the door answers like any other, and the admin
// API still names it rejected / rate_limited.
func TestHardening17_LimitedRequestStillAnswersRejected(t *testing.T) {
	h := newHarness(t, token)
	var last string
	for i := range gateway.DefaultLimits().PerIP + 5 {
		code, body, _ := h.do("POST", "/v1/password-resets", fmt.Sprintf(`{"email":"x%d@acme.example"}`, i), false)
		if code != 202 {
			t.Fatalf("request %d: %d %v", i, code, body)
		}
		last, _ = body["request_id"].(string)
	}
	code, body, _ := h.do("GET", "/admin/api/resets/"+last, "", true)
	if code != 200 || body["state"] != "rejected" || body["reason"] != "rate_limited" {
		t.Fatalf("GET a limited request: %d %v", code, body)
	}
}

// The admin sees the login ceiling on the person and clears it by name.
func TestHardening04_UnlockPersonOverHTTP(t *testing.T) {
	h := newHarness(t, token)
	code, p, _ := h.do("POST", "/admin/api/personnel", `{"name":"Ana","email":"ana@acme.example","password":"original-crew-password-7"}`, true)
	if code != 201 {
		t.Fatalf("create: %d %v", code, p)
	}
	id := fmt.Sprint(p["id"])
	for i := range gateway.DefaultLimits().LoginCeiling {
		if _, err := h.svc.Login(t.Context(), gateway.LoginInput{Email: "ana@acme.example", Password: "wrong-password-1",
			IP: fmt.Sprintf("203.0.113.%d", 1+i)}); gateway.ErrorKind(err) != gateway.KindUnauthorized {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	code, got, _ := h.do("GET", "/admin/api/personnel/"+id, "", true)
	login, _ := got["login"].(map[string]any)
	if code != 200 || login["locked"] != true || login["failures"] != float64(gateway.DefaultLimits().LoginCeiling) {
		t.Fatalf("person at the ceiling: %d %v", code, got)
	}
	code, got, _ = h.do("POST", "/admin/api/personnel/"+id+"/unlock", "", true)
	login, _ = got["login"].(map[string]any)
	if code != 200 || login["locked"] != false || login["failures"] != float64(0) {
		t.Fatalf("unlock: %d %v", code, got)
	}
	if code, _, _ := h.do("POST", "/admin/api/personnel/999/unlock", "", true); code != 404 {
		t.Fatalf("unlock of nobody: %d", code)
	}
	if code, _, _ := h.do("POST", "/admin/api/admins/nobody@acme.example/unlock", "", true); code != 404 {
		t.Fatalf("unlock of no admin: %d", code)
	}
}
