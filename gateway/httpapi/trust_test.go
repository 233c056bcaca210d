package httpapi_test

import (
	"context"
	"testing"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/httpapi"
)

// A tenant row that claims the operator's shared number (saved before
// senders were checked) neither breaks the genuine webhooks to it nor
// lets that tenant sign its own.
func TestHardening02_SharedNumberWebhooks(t *testing.T) {
	h := newTwilioHarness(t)
	ctx := context.Background()
	hvac, err := h.store.TenantBySlug(ctx, "hvac")
	if err != nil {
		t.Fatal(err)
	}
	hvac.Twilio.From = defNumber
	if err := h.store.UpdateTenant(ctx, hvac); err != nil {
		t.Fatal(err)
	}
	if code, _, body := h.signed(httpapi.TwilioSMSPath, hvacToken, inbound("SM1", crewPhone, defNumber, "STOP")); code != 403 {
		t.Fatalf("signed by the tenant that claims the shared number: %d %s", code, body)
	}
	if out, _ := h.store.OptOutsOf(ctx, crewPhone); len(out) != 0 {
		t.Fatalf("opted out by a forged webhook: %+v", out)
	}
	if code, _, body := h.signed(httpapi.TwilioSMSPath, defToken, inbound("SM2", crewPhone, defNumber, "HELP")); code != 200 || body == "" {
		t.Fatalf("a genuine webhook to the shared number: %d %s", code, body)
	}
}

// The settings API shows and sets trust_mail_keywords, refuses a country
// list wider than the operator's, and lists mailed STOPs as requests.
func TestTrustSettingsAndOptOutRequestsAPI(t *testing.T) {
	h := newTwilioHarness(t)
	if code, m, _ := h.do("GET", "/admin/api/settings", "", true); code != 200 || m["trust_mail_keywords"] != false {
		t.Fatalf("get: %d %v", code, m)
	}
	if code, m, _ := h.do("PATCH", "/admin/api/settings", `{"sms_countries":["US","GB"]}`, true); code != 400 || errCode(m) != "country_not_permitted" {
		t.Fatalf("wider countries: %d %v", code, m)
	}
	if _, err := h.svc.InboundText(context.Background(), gateway.InboundTextInput{Source: gateway.SourceEmailText,
		From: "2015550123@vtext.com", EnvelopeFrom: "2015550123@vtext.com", Body: "STOP"}); err != nil {
		t.Fatal(err)
	}
	code, m, _ := h.do("GET", "/admin/api/opt-out-requests", "", true)
	reqs, _ := m["requests"].([]any)
	if code != 200 || len(reqs) != 1 || reqs[0].(map[string]any)["phone"] != crewPhone || reqs[0].(map[string]any)["wants"] != "opt_out" {
		t.Fatalf("requests: %d %v", code, m)
	}
	if code, m, _ := h.do("POST", "/admin/api/opt-outs", `{"phone":"`+crewPhone+`","opted_out":true}`, true); code != 200 {
		t.Fatalf("apply: %d %v", code, m)
	}
	if out, _ := h.store.OptOutsOf(context.Background(), crewPhone); len(out) != 1 || out[0].Source != gateway.OptOutAdmin {
		t.Fatalf("opt-outs %+v", out)
	}
	if code, m, _ := h.do("PATCH", "/admin/api/settings", `{"trust_mail_keywords":true}`, true); code != 200 || m["trust_mail_keywords"] != true {
		t.Fatalf("patch: %d %v", code, m)
	}
}

// A tenant with only a Messaging Service gets its webhooks, checked with
// its own token; the service is its, so nobody else's token passes.
func TestTwilioWebhookByMessagingService(t *testing.T) {
	h := newTwilioHarness(t)
	op := gateway.Actor{Kind: gateway.ActorAdmin, ID: "test"}
	if _, err := h.svc.UpdateSettings(context.Background(), op, "hvac", gateway.SettingsPatch{Twilio: &gateway.TwilioSettings{
		AccountSID: hvacSID, AuthToken: hvacToken, MessagingServiceSID: "MG00000000000000000000000000000002"}}); err != nil {
		t.Fatal(err)
	}
	in := inbound("SM1", crewPhone, "+12015550177", "STOP")
	in.Set("MessagingServiceSid", "MG00000000000000000000000000000002")
	if code, _, body := h.signed(httpapi.TwilioSMSPath, defToken, in); code != 403 {
		t.Fatalf("signed with another account's token: %d %s", code, body)
	}
	if code, _, body := h.signed(httpapi.TwilioSMSPath, hvacToken, in); code != 200 {
		t.Fatalf("the service's own webhook: %d %s", code, body)
	}
	hvac, _ := h.store.TenantBySlug(context.Background(), "hvac")
	if out, _ := h.store.OptOutsOf(context.Background(), crewPhone); len(out) != 1 || out[0].TenantID != hvac.ID ||
		out[0].Channel != "twilio:MG00000000000000000000000000000002" {
		t.Fatalf("opt-outs %+v", out)
	}
}
