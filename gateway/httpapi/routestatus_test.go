package httpapi_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/gateway/httpapi"
)

// TestRouteStatusEndpoint: the settings show a webhook route's status_url;
// a callback signed with the route's secret fails the text late (204), an
// unsigned one is refused (401) and changes nothing.
func TestRouteStatusEndpoint(t *testing.T) {
	h := newHarnessWith(t, token, func(c *httpapi.Config) { c.PublicURL = "https://reset.example.com" })
	hook := &gatewaytest.Sender{}
	h.worker = gateway.NewWorker(gateway.WorkerConfig{Service: h.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteEmail: h.email, gateway.RouteWebhook: hook}})
	const secret = "whsec-0123456789abcdef-0123456789"
	code, m, _ := h.do("PATCH", "/admin/api/settings",
		`{"sms_routes":[{"kind":"webhook","url":"https://sms.example.com/send","secret":"`+secret+`"}]}`, true)
	if code != 200 {
		t.Fatalf("patch: %d %v", code, m)
	}
	w := m["sms_routes"].([]any)[0].(map[string]any)
	statusURL, _ := w["status_url"].(string)
	path, ok := strings.CutPrefix(statusURL, "https://reset.example.com/v1/routes/default.wr")
	if !ok || !strings.HasSuffix(path, "/status") || w["status_path"] != strings.TrimPrefix(statusURL, "https://reset.example.com") {
		t.Fatalf("route shown as %v", w)
	}
	// Saving the chain again keeps the URL the provider was given.
	_, m, _ = h.do("PATCH", "/admin/api/settings", `{"sms_routes":[{"kind":"webhook","url":"https://sms.example.com/send"}]}`, true)
	if again := m["sms_routes"].([]any)[0].(map[string]any)["status_url"]; again != statusURL {
		t.Fatalf("status_url changed: %v then %v", statusURL, again)
	}

	if code, _, _ := h.do("POST", "/admin/api/personnel", `{"name":"Ana","email":"ana@acme.example","status":"active",
		"mobile_access":true,"allow_mobile_reset":true,"password":"original-crew-password-7",
		"phones":[{"number":"+12015550123","type":"sms"}]}`, true); code != 201 {
		t.Fatalf("create person: %d", code)
	}
	_, r, _ := h.do("POST", "/v1/password-resets", `{"email":"ana@acme.example","phone":"+12015550123"}`, false)
	h.drain()
	if len(hook.Messages()) != 1 {
		t.Fatalf("%d webhook texts", len(hook.Messages()))
	}
	m0 := hook.Messages()[0]
	body := `{"id":"msg_` + m0.RequestID + `_` + strconv.FormatInt(m0.DeliveryID, 10) + `","status":"undelivered","error":"30003"}`
	post := func(hdr http.Header) int {
		code, _, _ := h.doHeader("POST", w["status_path"].(string), body, hdr)
		return code
	}
	if code := post(nil); code != 401 {
		t.Fatalf("unsigned: %d", code)
	}
	ts := time.Now().Unix()
	signed := http.Header{"webhook-id": {"evt_1"}, "webhook-timestamp": {strconv.FormatInt(ts, 10)},
		"webhook-signature": {"v1,bm90LXRoaXMtb25l " + gateway.SignWebhook(secret, "evt_1", ts, []byte(body))}}
	if code := post(signed); code != 204 {
		t.Fatalf("signed: %d", code)
	}
	_, got, _ := h.do("GET", "/admin/api/resets/"+r["request_id"].(string), "", true)
	for _, d := range got["deliveries"].([]any) {
		if dm := d.(map[string]any); dm["channel"] == "sms" && dm["status"] != "failed_late" {
			t.Fatalf("sms delivery %v", dm)
		}
	}
}
