package main

import (
	"context"
	"net/url"
	"testing"
	"time"
)

// The running gateway: Twilio delivers the text and its signed status
// callback says so; the password then leaves Twilio's message log (the
// body is redacted there) without anyone asking.
func TestServeRedactsAtTwilioAfterDelivery(t *testing.T) {
	g := startInboundGW(t)
	g.person("ana@acme.example", "+12015550123")
	id := g.reset("ana@acme.example", "+12015550123")
	g.waitState(id, "delivered")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	texts, err := g.tw.Wait(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if texts[0].ValidityPeriod != 600 {
		t.Errorf("ValidityPeriod %d", texts[0].ValidityPeriod)
	}
	g.tw.SetStatus(texts[0].SID, "delivered", 0)
	delivered := url.Values{"MessageSid": {texts[0].SID}, "SmsSid": {texts[0].SID}, "AccountSid": {sid},
		"MessageStatus": {"delivered"}, "SmsStatus": {"delivered"},
		"To": {"+12015550123"}, "From": {twFrom}, "ApiVersion": {"2010-04-01"}}
	if code, body := g.twilioPost("/v1/twilio/status", delivered, authToken); code != 204 {
		t.Fatalf("delivered: %d %s", code, body)
	}
	for ctx.Err() == nil && len(g.tw.Redactions()) == 0 {
		time.Sleep(20 * time.Millisecond)
	}
	if r := g.tw.Redactions(); len(r) != 1 || r[0] != texts[0].SID || g.tw.Messages()[0].Body != "" {
		t.Fatalf("redactions %v, body at Twilio %q", r, g.tw.Messages()[0].Body)
	}
	// The event is committed just after Twilio answered the redaction.
	var evs []any
	code, m := 0, map[string]any{}
	for ctx.Err() == nil && len(evs) == 0 {
		code, m = g.call("GET", "/admin/api/events?type=provider_body_redacted", nil)
		evs, _ = m["events"].([]any)
		if len(evs) == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if code != 200 || len(evs) != 1 || evs[0].(map[string]any)["provider_id"] != texts[0].SID {
		t.Fatalf("events: %d %v", code, m)
	}
}
