package httpapi_test

import (
	"context"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/gateway/httpapi"
	"github.com/resetgw/resetgw/gateway/sqlite"
)

const (
	publicURL  = "https://gw.acme.example"
	defSID     = "AC00000000000000000000000000000001"
	defToken   = "0123456789abcdef0123456789abcdef"
	defNumber  = "+15005550006"
	hvacSID    = "AC00000000000000000000000000000002"
	hvacToken  = "fedcba9876543210fedcba9876543210"
	hvacNumber = "+12015550100"
	crewPhone  = "+12015550123"
)

type twHarness struct {
	*harness
	store *sqlite.Store
}

func newTwilioHarness(t *testing.T) *twHarness {
	t.Helper()
	keys := gatewaytest.Keys(t)
	st, _ := gatewaytest.Store(t, keys)
	svc, err := gateway.New(gateway.Config{Store: st, Renderer: gatewaytest.Renderer{}, Keys: keys,
		Hasher: gatewaytest.Hasher(), Limits: gateway.DefaultLimits(), DefaultTwilio: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.EnsureTenant(ctx, gateway.DefaultSlug, "Acme"); err != nil {
		t.Fatal(err)
	}
	op := gateway.Actor{Kind: gateway.ActorAdmin, ID: "test"}
	if _, err := svc.CreateTenant(ctx, op, gateway.TenantInput{Slug: "hvac", Name: "HVAC Co"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateSettings(ctx, op, "hvac", gateway.SettingsPatch{Twilio: &gateway.TwilioSettings{
		AccountSID: hvacSID, AuthToken: hvacToken, From: hvacNumber}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreatePerson(ctx, op, gateway.PersonInput{Name: "Ana", Email: "ana@acme.example",
		Password: "original-crew-password-7", Phones: []gateway.PhoneInput{{Number: crewPhone, Type: "sms"}}}); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, svc: svc, email: &gatewaytest.Sender{}, sms: &gatewaytest.Sender{}}
	h.worker = gateway.NewWorker(gateway.WorkerConfig{Service: svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteEmail: h.email, gateway.RouteTwilio: h.sms}})
	h.srv = httpapi.New(httpapi.Config{Service: svc, AdminToken: token, Ready: st.Ping, PublicURL: publicURL + "/",
		DefaultTwilio: &gateway.TwilioSettings{AccountSID: defSID, AuthToken: defToken, From: defNumber}})
	return &twHarness{harness: h, store: st}
}

// sign computes X-Twilio-Signature the way Twilio documents it: with the
// Twilio-shaped server's signer, written from the description rather than
// with twilio-go or the gateway's own check, so that the test checks the
// gateway against Twilio's scheme and not against itself.
func sign(authToken, fullURL string, params url.Values) string {
	return twiliotest.Signature(authToken, fullURL, params)
}

// post sends a form as Twilio does; sig "" sends no signature.
func (h *twHarness) post(path, body, sig string) (int, string, string) {
	h.t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	if sig != "" {
		req.Header.Set("X-Twilio-Signature", sig)
	}
	resp, err := h.srv.App().Test(req, -1)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(raw)
}

// signed posts params signed with authToken over the public URL.
func (h *twHarness) signed(path, authToken string, params url.Values) (int, string, string) {
	h.t.Helper()
	return h.post(path, params.Encode(), sign(authToken, publicURL+path, params))
}

func inbound(sid, from, to, body string) url.Values {
	return url.Values{
		"ToCountry": {"US"}, "SmsMessageSid": {sid}, "NumMedia": {"0"}, "SmsSid": {sid}, "SmsStatus": {"received"},
		"Body": {body}, "To": {to}, "NumSegments": {"1"}, "MessageSid": {sid}, "AccountSid": {defSID},
		"From": {from}, "ApiVersion": {"2010-04-01"}, "FromCountry": {"US"},
	}
}

func (h *twHarness) events(typ string) []*gateway.Event {
	h.t.Helper()
	evs, err := h.store.ListEvents(context.Background(), gateway.EventFilter{Types: []string{typ}})
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

func (h *twHarness) resets() []*gateway.ResetRequest {
	h.t.Helper()
	rs, err := h.store.ListResets(context.Background(), gateway.ResetFilter{})
	if err != nil {
		h.t.Fatal(err)
	}
	return rs
}

const replyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response><Message>[en/reply] PW=</Message></Response>`

func TestTwilioInboundSigned(t *testing.T) {
	h := newTwilioHarness(t)
	code, ct, body := h.signed(httpapi.TwilioSMSPath, defToken, inbound("SM1", crewPhone, defNumber, "Reset"))
	if code != 200 || !strings.HasPrefix(ct, "text/xml") || body != replyTwiML {
		t.Fatalf("%d %s %s", code, ct, body)
	}
	// A number nobody has gets the very same answer.
	if _, _, other := h.signed(httpapi.TwilioSMSPath, defToken, inbound("SM2", "+12015550199", defNumber, "Reset")); other != body {
		t.Fatalf("answers differ: %s", other)
	}
	if n := len(h.resets()); n != 2 {
		t.Fatalf("%d resets", n)
	}
	h.drain()
	if sms := h.sms.Messages(); len(sms) != 1 || sms[0].To != crewPhone {
		t.Fatalf("texts %+v", sms)
	}
	// HELP answers, STOP opts out (both on record as events).
	if _, _, b := h.signed(httpapi.TwilioSMSPath, defToken, inbound("SM3", crewPhone, defNumber, "help")); !strings.Contains(b, "[en/help]") {
		t.Fatalf("help: %s", b)
	}
	if _, _, b := h.signed(httpapi.TwilioSMSPath, defToken, inbound("SM4", crewPhone, defNumber, "STOP")); !strings.Contains(b, "[en/opted_out]") {
		t.Fatalf("stop: %s", b)
	}
	if out, _ := h.store.OptOutsOf(context.Background(), crewPhone); len(out) == 0 {
		t.Fatal("not opted out")
	}
	if n := len(h.events("inbound_text")); n != 4 {
		t.Fatalf("%d inbound_text events", n)
	}
}

func TestTwilioInboundRefused(t *testing.T) {
	h := newTwilioHarness(t)
	params := inbound("SM1", crewPhone, defNumber, "RESET")
	good := sign(defToken, publicURL+httpapi.TwilioSMSPath, params)
	changed := func(k, v string) string {
		p := url.Values{}
		for key, vals := range params {
			p[key] = vals
		}
		p.Set(k, v)
		return p.Encode()
	}
	cases := []struct {
		name, body, sig, code string
	}{
		{"no signature", params.Encode(), "", "twilio_signature_invalid"},
		{"wrong signature", params.Encode(), "bm90IGEgc2lnbmF0dXJl", "twilio_signature_invalid"},
		{"another account's token", params.Encode(), sign(hvacToken, publicURL+httpapi.TwilioSMSPath, params), "twilio_signature_invalid"},
		{"signed for another URL", params.Encode(), sign(defToken, "https://evil.example"+httpapi.TwilioSMSPath, params), "twilio_signature_invalid"},
		{"replayed with From changed", changed("From", "+12015550124"), good, "twilio_signature_invalid"},
		{"replayed with Body changed", changed("Body", "STOP"), good, "twilio_signature_invalid"},
		{"replayed with a field added", params.Encode() + "&Extra=1", good, "twilio_signature_invalid"},
		{"a number that is not ours", changed("To", "+12015550177"), sign(defToken, publicURL+httpapi.TwilioSMSPath, func() url.Values {
			p, _ := url.ParseQuery(changed("To", "+12015550177"))
			return p
		}()), "twilio_unknown_number"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := h.post(httpapi.TwilioSMSPath, tc.body, tc.sig)
			if code != 403 || !strings.Contains(body, "signature_invalid") {
				t.Fatalf("%d %s", code, body)
			}
			evs := h.events("security")
			if len(evs) != i+1 || evs[i].Code != tc.code || strings.Contains(evs[i].Detail, defToken) {
				t.Fatalf("security events %+v", evs)
			}
		})
	}
	if n := len(h.resets()); n != 0 {
		t.Fatalf("%d resets from refused requests", n)
	}
	if n := len(h.events("inbound_text")); n != 0 {
		t.Fatal("a refused request was acted on")
	}
	if code, _, _ := h.post(httpapi.TwilioSMSPath, "Body=a;b", good); code != 400 {
		t.Fatalf("malformed form: %d", code)
	}
}

// A repeated field is read as the validator reads it, first value only:
// what was signed is what is acted on.
func TestTwilioRepeatedField(t *testing.T) {
	h := newTwilioHarness(t)
	params := inbound("SM1", crewPhone, defNumber, "RESET")
	sig := sign(defToken, publicURL+httpapi.TwilioSMSPath, params)
	if code, _, body := h.post(httpapi.TwilioSMSPath, params.Encode()+"&Body=STOP", sig); code != 200 || body != replyTwiML {
		t.Fatalf("%d %s", code, body)
	}
	if out, _ := h.store.OptOutsOf(context.Background(), crewPhone); len(out) > 0 {
		t.Fatal("the unsigned second value was acted on")
	}
	// Signed over STOP, sent with RESET first: refused.
	stop := inbound("SM2", crewPhone, defNumber, "STOP")
	sig = sign(defToken, publicURL+httpapi.TwilioSMSPath, stop)
	stop.Set("Body", "RESET")
	if code, _, _ := h.post(httpapi.TwilioSMSPath, stop.Encode()+"&Body=STOP", sig); code != 403 {
		t.Fatalf("got %d", code)
	}
}

// The same signed request again (Twilio retrying, or someone replaying
// it) is acted on once.
func TestTwilioExactReplay(t *testing.T) {
	h := newTwilioHarness(t)
	params := inbound("SM1", crewPhone, defNumber, "RESET")
	h.signed(httpapi.TwilioSMSPath, defToken, params)
	code, _, body := h.signed(httpapi.TwilioSMSPath, defToken, params)
	if code != 200 || body != `<?xml version="1.0" encoding="UTF-8"?><Response></Response>` {
		t.Fatalf("%d %s", code, body)
	}
	if n := len(h.resets()); n != 1 {
		t.Fatalf("%d resets", n)
	}
}

// A tenant's own number is checked with its own token and resets only
// its own people.
func TestTwilioTenantNumber(t *testing.T) {
	h := newTwilioHarness(t)
	p := inbound("SM1", crewPhone, hvacNumber, "RESET")
	p.Set("AccountSid", hvacSID)
	if code, _, _ := h.signed(httpapi.TwilioSMSPath, defToken, p); code != 403 {
		t.Fatalf("default token on a tenant's number: %d", code)
	}
	code, _, body := h.signed(httpapi.TwilioSMSPath, hvacToken, p)
	if code != 200 || body != replyTwiML {
		t.Fatalf("%d %s", code, body)
	}
	h.drain()
	rs := h.resets()
	if len(rs) != 1 || rs[0].State != gateway.StateRejected || rs[0].Reason != gateway.ReasonNoMatch {
		t.Fatalf("resets %+v", rs)
	}
}

// status posts a status callback for a message.
func status(sid, accountSID, st, errorCode string) url.Values {
	v := url.Values{"SmsSid": {sid}, "SmsStatus": {st}, "MessageStatus": {st}, "To": {crewPhone},
		"MessageSid": {sid}, "AccountSid": {accountSID}, "From": {defNumber}, "ApiVersion": {"2010-04-01"}}
	if errorCode != "" {
		v.Set("ErrorCode", errorCode)
	}
	return v
}

// Twilio accepts, then its callback says undelivered; the email bounces:
// the admin API shows both failed late and the reset rolled back.
func TestTwilioStatusCallbacks(t *testing.T) {
	h := newTwilioHarness(t)
	code, m, _ := h.do("POST", "/v1/password-resets", `{"email":"ana@acme.example","phone":"`+crewPhone+`"}`, false)
	if code != 202 {
		t.Fatalf("reset: %d %v", code, m)
	}
	id := m["request_id"].(string)
	h.drain()
	r, _ := h.store.Reset(context.Background(), id)
	var sid string
	var mailID int64
	for _, d := range r.Deliveries {
		if d.Channel == gateway.ChannelSMS {
			sid = d.ProviderID
		} else {
			mailID = d.ID
		}
	}
	for _, st := range []string{"queued", "sent"} {
		if code, _, _ := h.signed(httpapi.TwilioStatusPath, defToken, status(sid, defSID, st, "")); code != 204 {
			t.Fatalf("%s: %d", st, code)
		}
	}
	// Refused: no signature, another account's token, a changed status.
	bad := status(sid, defSID, "undelivered", "30003")
	if code, _, _ := h.post(httpapi.TwilioStatusPath, bad.Encode(), ""); code != 403 {
		t.Fatalf("unsigned: %d", code)
	}
	if code, _, _ := h.signed(httpapi.TwilioStatusPath, hvacToken, bad); code != 403 {
		t.Fatalf("another token: %d", code)
	}
	sig := sign(defToken, publicURL+httpapi.TwilioStatusPath, status(sid, defSID, "delivered", ""))
	if code, _, _ := h.post(httpapi.TwilioStatusPath, bad.Encode(), sig); code != 403 {
		t.Fatalf("replayed with the status changed: %d", code)
	}
	if _, m, _ := h.do("GET", "/admin/api/resets/"+id, "", true); m["state"] != "delivered" {
		t.Fatalf("state after refused callbacks: %v", m)
	}

	if code, _, body := h.signed(httpapi.TwilioStatusPath, defToken, bad); code != 204 {
		t.Fatalf("undelivered: %d %s", code, body)
	}
	if err := h.svc.DeliveryOutcome(context.Background(), gateway.OutcomeInput{DeliveryID: mailID,
		Status: gateway.OutcomeFailed, ErrorCode: "550 5.1.1", Source: "bounce"}); err != nil {
		t.Fatal(err)
	}
	_, m, _ = h.do("GET", "/admin/api/resets/"+id, "", true)
	if m["state"] != "rolled_back" || m["reason"] != gateway.ReasonFailedLate {
		t.Fatalf("reset %v", m)
	}
	errs := map[string]string{}
	for _, d := range m["deliveries"].([]any) {
		dm := d.(map[string]any)
		if dm["status"] != "failed_late" {
			t.Fatalf("delivery %v", dm)
		}
		errs[dm["channel"].(string)] = dm["error"].(string)
	}
	if errs["sms"] != "30003" || errs["email"] != "550 5.1.1" {
		t.Fatalf("errors %v", errs)
	}
}

// Twilio may call back before the worker has stored the message's SID: a
// signed callback waits for it.
func TestTwilioStatusBeforeSIDStored(t *testing.T) {
	h := newTwilioHarness(t)
	if code, _, _ := h.do("POST", "/v1/password-resets", `{"email":"ana@acme.example","phone":"`+crewPhone+`"}`, false); code != 202 {
		t.Fatal(code)
	}
	var wg sync.WaitGroup
	var code int
	wg.Add(1)
	go func() {
		defer wg.Done()
		// gatewaytest.Sender names the first Twilio message "twilio-1".
		code, _, _ = h.signed(httpapi.TwilioStatusPath, defToken, status("twilio-1", defSID, "delivered", ""))
	}()
	time.Sleep(200 * time.Millisecond)
	h.drain()
	wg.Wait()
	if code != 204 {
		t.Fatalf("got %d", code)
	}
	if evs := h.events("delivery_delivered"); len(evs) != 1 {
		t.Fatalf("events %+v", evs)
	}
}

func TestTwilioStatusUnknown(t *testing.T) {
	h := newTwilioHarness(t)
	// Not one of our accounts: refused at once.
	if code, _, _ := h.signed(httpapi.TwilioStatusPath, defToken, status("SMnope", "ACnotours", "failed", "30008")); code != 403 {
		t.Fatalf("unknown account: %d", code)
	}
	if code, _, _ := h.signed(httpapi.TwilioStatusPath, defToken, url.Values{"MessageStatus": {"failed"}}); code != 403 {
		t.Fatalf("no sid: %d", code)
	}
	// Ours, signed, but about no delivery (a Test Provider text): taken.
	if code, _, _ := h.signed(httpapi.TwilioStatusPath, defToken, status("SMtest", defSID, "delivered", "")); code != 204 {
		t.Fatalf("unknown message: %d", code)
	}
	if n := len(h.events("security")); n != 2 {
		t.Fatalf("%d security events", n)
	}
}

// A tenant's own account cannot report on the operator's messages.
func TestTwilioStatusOtherAccount(t *testing.T) {
	h := newTwilioHarness(t)
	h.do("POST", "/v1/password-resets", `{"email":"ana@acme.example","phone":"`+crewPhone+`"}`, false)
	h.drain()
	if code, _, _ := h.signed(httpapi.TwilioStatusPath, hvacToken, status("twilio-1", hvacSID, "undelivered", "30003")); code != 403 {
		t.Fatalf("got %d", code)
	}
	if evs := h.events("delivery_failed_late"); len(evs) != 0 {
		t.Fatal("another account's callback was acted on")
	}
}

func TestTenantKeywordsSetting(t *testing.T) {
	h := newTwilioHarness(t)
	code, m, _ := h.do("PATCH", "/admin/api/settings", `{"keywords":{"olvide":"reset","password":""}}`, true)
	kw, _ := m["keywords"].(map[string]any)
	if code != 200 || kw["OLVIDE"] != "reset" || kw["PASSWORD"] != "" {
		t.Fatalf("%d %v", code, m)
	}
	if code, m, _ := h.do("PATCH", "/admin/api/settings", `{"keywords":{"STOP":"reset"}}`, true); code != 400 || errCode(m) != "keyword_reserved" {
		t.Fatalf("%d %v", code, m)
	}
	if _, _, body := h.signed(httpapi.TwilioSMSPath, defToken, inbound("SM1", crewPhone, defNumber, "olvide mi clave")); body != replyTwiML {
		t.Fatalf("own word: %s", body)
	}
}
