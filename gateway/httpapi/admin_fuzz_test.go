package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/gateway/httpapi"
)

// The admin API's bodies are outside input too: an admin's script, a
// stolen token, a typo. These targets send fuzzed bodies through the real
// server (real SQLite store) and hold it to the error contract: never a
// 5xx, every refusal a 4xx with a stable code, and what is accepted reads
// back as accepted.

var codeRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

type fuzzAPI struct {
	srv *httpapi.Server
	svc *gateway.Service
}

func newFuzzAPI(f *testing.F) *fuzzAPI {
	keys := gatewaytest.Keys(f)
	st, _ := gatewaytest.Store(f, keys)
	svc, err := gateway.New(gateway.Config{Store: st, Renderer: gatewaytest.Renderer{}, Keys: keys,
		Hasher: gatewaytest.Hasher(), Limits: gateway.DefaultLimits(), DefaultTwilio: true})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := svc.EnsureTenant(context.Background(), gateway.DefaultSlug, "Acme"); err != nil {
		f.Fatal(err)
	}
	return &fuzzAPI{srv: httpapi.New(httpapi.Config{Service: svc, AdminToken: token, Ready: st.Ping}), svc: svc}
}

// call sends an authenticated admin request and returns the status and
// the raw JSON answer, failing on a 5xx or a refusal without a stable code.
func (a *fuzzAPI) call(t testing.TB, method, path, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		t.Fatalf("%s %s %.300q: %d %s", method, path, body, resp.StatusCode, raw)
	}
	if resp.StatusCode >= 400 {
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(raw, &e); err != nil || !codeRE.MatchString(e.Error.Code) || e.Error.Message == "" {
			t.Fatalf("%s %s %.300q: %d without a stable code: %s", method, path, body, resp.StatusCode, raw)
		}
		if len(e.Error.Message) > 1000 {
			t.Fatalf("%s %s: a message of %d bytes: %.200s", method, path, len(e.Error.Message), e.Error.Message)
		}
	}
	return resp.StatusCode, raw
}

// callF is call with a JSON body, for setting up a target.
func (a *fuzzAPI) callF(f *testing.F, method, path, body string) (int, []byte) {
	return a.call(f, method, path, "application/json", []byte(body))
}

// unknownTopKey is a top-level key of a JSON object that no field of v's
// type takes (encoding/json matches names without regard to case).
func unknownTopKey(body []byte, v any) (string, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return "", false
	}
	rt := reflect.TypeOf(v)
	for k := range m {
		known := false
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			known = known || strings.EqualFold(name, k)
		}
		if !known {
			return k, true
		}
	}
	return "", false
}

// settingsKeys are the fields PATCH /admin/api/settings takes.
type settingsKeys struct {
	Name                 any `json:"name"`
	AllowMobileReset     any `json:"allow_mobile_reset"`
	KeepOriginal         any `json:"keep_original"`
	MustChange           any `json:"must_change"`
	ResetTTLHours        any `json:"reset_ttl_hours"`
	SMSCountries         any `json:"sms_countries"`
	MinPasswordLength    any `json:"min_password_length"`
	SMTP                 any `json:"smtp"`
	Twilio               any `json:"twilio"`
	Keywords             any `json:"keywords"`
	SMSRatePerSecond     any `json:"sms_rate_per_second"`
	SMSValiditySeconds   any `json:"sms_validity_seconds"`
	TrustMailKeywords    any `json:"trust_mail_keywords"`
	ResetMode            any `json:"reset_mode"`
	LinkTTLMinutes       any `json:"link_ttl_minutes"`
	OfficePhone          any `json:"office_phone"`
	RequireVerifiedEmail any `json:"require_verified_email"`
	MaxPasswordAgeDays   any `json:"max_password_age_days"`
	SMSRoutes            any `json:"sms_routes"`
	TimeZone             any `json:"time_zone"`
}

// FuzzAdminSettingsPatch: a refused body changes nothing; an unknown
// field is refused by name; an accepted body, sent again, is accepted
// again and leaves the settings as the first time left them (the
// accepted values round-trip through the store).
func FuzzAdminSettingsPatch(f *testing.F) {
	for _, s := range []string{
		`{"name":"Acme Movers"}`, `{"nmae":"x"}`, `{"time_zone":"America/Chicago"}`, `{"time_zone":"Mars/Olympus"}`,
		`{"time_zone":""}`, `{"time_zone":"../../etc/passwd"}`, `{"time_zone":"Local"}`,
		`{"sms_rate_per_second":2.5}`, `{"sms_rate_per_second":-1}`, `{"sms_rate_per_second":1e308}`,
		`{"sms_validity_seconds":3600}`, `{"sms_validity_seconds":0}`, `{"reset_ttl_hours":1e300}`, `{"reset_ttl_hours":-2}`,
		`{"reset_ttl_hours":0.0000001}`, `{"min_password_length":12}`, `{"min_password_length":-9223372036854775808}`,
		`{"max_password_age_days":90}`, `{"max_password_age_days":29}`, `{"link_ttl_minutes":30}`,
		`{"reset_mode":"link"}`, `{"reset_mode":"both"}`, `{"reset_mode":"nope"}`, `{"office_phone":"+1 201 555 0100"}`,
		`{"sms_countries":["US","CA"]}`, `{"sms_countries":["XX"]}`, `{"sms_countries":[""]}`,
		`{"keywords":{"OLVIDE":"reset","PASSWORD":""}}`, `{"keywords":{}}`, `{"keywords":{"":"reset"}}`,
		`{"sms_routes":[{"kind":"twilio"},{"kind":"carrier"}]}`, `{"sms_routes":[]}`, `{"sms_routes":[{"kind":"pigeon"}]}`,
		`{"sms_routes":[{"kind":"webhook","url":"https://hooks.example/sms","secret":"0123456789abcdef0123456789abcdef"}]}`,
		`{"sms_routes":[{"kind":"webhook","url":"http://127.0.0.1/x"}]}`, `{"sms_routes":[{"kind":"twilio","url":"https://x.example"}]}`,
		`{"sms_routes":[{"kind":"twilio"},{"kind":"twilio"}]}`, `{"sms_routes":null}`,
		`{"sms_routes":[{"kind":"aws","region":"us-east-1","origination_identity":"+12015550100","access_key_id":"AKIAFUZZ0000000000AA","secret_access_key":"wJalrXUtnFEMIfuzzKEY000000000000000000"}]}`,
		`{"sms_routes":[{"kind":"aws","region":"Virginia","origination_identity":"+12015550100","access_key_id":"AKIAFUZZ0000000000AA","secret_access_key":"x"}]}`,
		`{"sms_routes":[{"kind":"aws","region":"us-east-1","endpoint":"http://169.254.169.254/"}]}`, `{"sms_routes":[{"kind":"twilio","region":"us-east-1"}]}`,
		`{"twilio":{"account_sid":"AC0123456789abcdef0123456789abcdef","auth_token":"0123456789abcdef0123456789abcdef","from":"+15005550006"}}`,
		`{"smtp":{"url":"smtp://127.0.0.1:2525","from":"reset@acme.example"}}`, `{"smtp":{"bogus":1}}`,
		`{"require_verified_email":true,"trust_mail_keywords":false,"keep_original":true,"must_change":true}`,
		`{"allow_mobile_reset":"yes"}`, `{"Name":"case"}`, `{"name":"a","name":"b"}`, `{}`, `[]`, `null`, `{"name":"x"} {}`,
	} {
		f.Add([]byte(s))
	}
	api := newFuzzAPI(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		_, before := api.call(t, "GET", "/admin/api/settings", "application/json", nil)
		code, raw := api.call(t, "PATCH", "/admin/api/settings", "application/json", body)
		if k, ok := unknownTopKey(body, settingsKeys{}); ok && code != 400 {
			t.Fatalf("%q: unknown field %q answered %d: %s", body, k, code, raw)
		}
		if code != 200 {
			if _, after := api.call(t, "GET", "/admin/api/settings", "application/json", nil); !sameSettings(before, after) {
				t.Fatalf("%q refused (%d) but the settings changed:\n%s\n%s", body, code, before, after)
			}
			return
		}
		_, first := api.call(t, "GET", "/admin/api/settings", "application/json", nil)
		if code, raw := api.call(t, "PATCH", "/admin/api/settings", "application/json", body); code != 200 {
			t.Fatalf("%q accepted, then refused the second time: %d %s", body, code, raw)
		}
		if _, second := api.call(t, "GET", "/admin/api/settings", "application/json", nil); !sameSettings(first, second) {
			t.Fatalf("%q sent twice does not settle:\n%s\n%s", body, first, second)
		}
	})
}

// sameSettings compares two settings answers, leaving out when they were
// written.
func sameSettings(a, b []byte) bool {
	var x, y map[string]any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	for _, m := range []map[string]any{x, y} {
		delete(m, "updated_at")
	}
	return reflect.DeepEqual(x, y)
}
