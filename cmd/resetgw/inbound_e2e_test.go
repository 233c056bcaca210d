package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
	"github.com/resetgw/resetgw/gateway/inbound"
)

// The inbound end-to-end tests run the gateway with its SMTP listener and
// a public URL, sign Twilio's callbacks the way Twilio does, and deliver
// bounces and texts by mail with a real SMTP client.

const (
	resetAddress  = "reset@acme.example"
	bounceAddress = "bounces@acme.example"
)

type inboundGW struct {
	gw
	smtpAddr string
	mail     *smtptest.Server
	tw       *twiliotest.Server
	logs     *syncBuf
	stop     func()
}

func startInboundGW(t *testing.T) *inboundGW {
	t.Helper()
	mailSrv := smtptest.Start(t, smtptest.Options{})
	tw := twiliotest.Start(t, sid, authToken)
	listen, smtpListen := freeAddr(t), freeAddr(t)
	env := append(providerEnv(t, filepath.Join(t.TempDir(), "gw.db"), mailSrv, tw, listen),
		"RESETGW_PUBLIC_URL=http://"+listen+"/", "RESETGW_SMTP_LISTEN="+smtpListen,
		"RESETGW_RESET_ADDRESS="+resetAddress, "RESETGW_BOUNCE_ADDRESS="+bounceAddress)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuf
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, envFunc(env), nil, &stdout, &stderr) }()
	g := &inboundGW{gw: gw{t: t, base: "http://" + listen}, smtpAddr: smtpListen, mail: mailSrv, tw: tw, logs: &stderr}
	stopped := false
	g.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the gateway did not stop")
		}
	}
	t.Cleanup(g.stop)
	g.waitHealthy()
	return g
}

// twilioSign is X-Twilio-Signature as Twilio documents it: HMAC-SHA1 with
// the auth token over the URL followed by every field's name and value,
// sorted by name.
func twilioSign(token, u string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(u))
	for _, k := range keys {
		m.Write([]byte(k + form.Get(k)))
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// twilioPost posts a form signed over the public URL, as Twilio would.
func (g *inboundGW) twilioPost(path string, form url.Values, token string) (int, string) {
	g.t.Helper()
	req, _ := http.NewRequest("POST", g.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	req.Header.Set("X-Twilio-Signature", twilioSign(token, g.base+path, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// mailTo delivers a message to the gateway's listener with a real SMTP
// client, as a remote MTA would.
func (g *inboundGW) mailTo(from, rcpt string, data []byte) error {
	g.t.Helper()
	c, err := smtp.Dial(g.smtpAddr)
	if err != nil {
		g.t.Fatal(err)
	}
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = 5*time.Second, 5*time.Second
	if err := c.SendMail(from, []string{rcpt}, bytes.NewReader(data)); err != nil {
		return err
	}
	return c.Quit()
}

// Twilio accepts the text, then its status callback says undelivered; the
// email bounces: the reset is rolled back with both failures on record,
// and the original password works.
func TestInboundLateFailureRollsBack(t *testing.T) {
	g := startInboundGW(t)
	g.person("ana@acme.example", "+12015550123")
	id := g.reset("ana@acme.example", "+12015550123")
	g.waitState(id, "delivered")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	texts, err := g.tw.Wait(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	mails, err := g.mail.Wait(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if texts[0].StatusCallback != g.base+"/v1/twilio/status" {
		t.Fatalf("status callback %q", texts[0].StatusCallback)
	}
	deliveryID, tag, ok := inbound.ParseVERP(mails[0].From, bounceAddress)
	if !ok || tag == "" {
		t.Fatalf("envelope sender %q is no VERP address", mails[0].From)
	}
	pw := password(t, texts[0].Body)

	// A status callback signed with the wrong token changes nothing.
	undelivered := url.Values{"MessageSid": {texts[0].SID}, "SmsSid": {texts[0].SID}, "AccountSid": {sid},
		"MessageStatus": {"undelivered"}, "SmsStatus": {"undelivered"}, "ErrorCode": {"30003"},
		"To": {"+12015550123"}, "From": {twFrom}, "ApiVersion": {"2010-04-01"}}
	if code, _ := g.twilioPost("/v1/twilio/status", undelivered, "0000000000000000000000000000beef"); code != 403 {
		t.Fatalf("forged callback: %d", code)
	}
	sent := url.Values{}
	for k, v := range undelivered {
		sent[k] = v
	}
	sent.Set("MessageStatus", "sent")
	sent.Set("SmsStatus", "sent")
	sent.Del("ErrorCode")
	if code, _ := g.twilioPost("/v1/twilio/status", sent, authToken); code != 204 {
		t.Fatalf("sent: %d", code)
	}
	if code, body := g.twilioPost("/v1/twilio/status", undelivered, authToken); code != 204 {
		t.Fatalf("undelivered: %d %s", code, body)
	}
	if _, m := g.call("GET", "/admin/api/resets/"+id, nil); m["state"] != "delivered" {
		t.Fatalf("the email is still out, yet: %v", m)
	}

	// The bounce, in Gmail's format, to the envelope sender of the mail.
	bounce, err := os.ReadFile(filepath.Join("..", "..", "gateway", "inbound", "testdata", "gmail.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.mailTo("", mails[0].From, bounce); err != nil {
		t.Fatalf("bounce refused: %v", err)
	}
	r := g.waitState(id, "rolled_back")
	if r["reason"] != "all_channels_failed_late" {
		t.Fatalf("reason %v", r["reason"])
	}
	errs := map[string]string{}
	for _, d := range r["deliveries"].([]any) {
		dm := d.(map[string]any)
		if dm["status"] != "failed_late" {
			t.Fatalf("delivery %v", dm)
		}
		errs[dm["channel"].(string)], _ = dm["error"].(string)
	}
	if errs["sms"] != "30003" || errs["email"] != "550 5.1.1" {
		t.Fatalf("errors %v (delivery %d)", errs, deliveryID)
	}
	if code := g.login("ana@acme.example", pw); code != 401 {
		t.Fatalf("the rolled-back password: %d", code)
	}
	if code := g.login("ana@acme.example", origPW); code != 200 {
		t.Fatalf("the original password: %d", code)
	}
	// A made-up bounce address is refused at RCPT.
	forged := inbound.VERPAddress(bounceAddress, deliveryID+1, tag)
	var se *smtp.SMTPError
	if err := g.mailTo("", forged, bounce); !errorAs(err, &se) || se.Code != 550 {
		t.Fatalf("forged VERP address: %v", err)
	}

	g.stop()
	logs := g.logs.String()
	for _, secret := range []string{pw, origPW, authToken} {
		if strings.Contains(logs, secret) {
			t.Fatalf("a secret reached the log: %.4q…", secret)
		}
	}
}

// A stranger mails RESET from someone's number@vtext.com. The password
// goes only to the phone and mailbox on that person's record (the answer
// to the number's own gateway), and the person's original password still
// works: a forged text locks nobody out.
func TestForgedTextByMail(t *testing.T) {
	g := startInboundGW(t)
	g.person("bo@acme.example", "+12015550124")
	forged := "From: 2015550124@vtext.com\r\nTo: " + resetAddress + "\r\nSubject: \r\n" +
		"Message-ID: <forged.1@evil.example>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nRESET\r\n"
	// Only the header forged: no text at all.
	var se *smtp.SMTPError
	if err := g.mailTo("stranger@evil.example", resetAddress, []byte(forged)); !errorAs(err, &se) || se.Code != 550 {
		t.Fatalf("a header-only forgery: %v", err)
	}
	// The envelope forged too, as anyone can: a reset to the record only.
	if err := g.mailTo("2015550124@vtext.com", resetAddress, []byte(forged)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	texts, err := g.tw.Wait(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	mails, err := g.mail.Wait(ctx, 2) // the reset email and the answer to the carrier gateway
	if err != nil {
		t.Fatal(err)
	}
	pw := password(t, texts[0].Body)
	for _, m := range texts {
		if m.To != "+12015550124" {
			t.Fatalf("a text went to %s", m.To)
		}
	}
	var answered bool
	for _, m := range mails {
		switch to := strings.Join(m.To, ","); to {
		case "bo@acme.example":
			if password(t, mailText(t, m.Data)) != pw {
				t.Fatal("the email carries another password")
			}
		case "2015550124@vtext.com":
			answered = true
			if strings.Contains(string(m.Data), pw) {
				t.Fatal("the answer to the text carries the password")
			}
		default:
			t.Fatalf("mail went to %s", to)
		}
	}
	if !answered {
		t.Fatal("the text was not answered through the carrier gateway")
	}
	if code := g.login("bo@acme.example", origPW); code != 200 {
		t.Fatalf("the original password after a forged text: %d", code)
	}

	// Mail to the reset address from anywhere but a carrier gateway is
	// refused; a Twilio webhook without a valid signature too.
	notText := strings.Replace(forged, "2015550124@vtext.com", "stranger@evil.example", 1)
	if err := g.mailTo("stranger@evil.example", resetAddress, []byte(notText)); !errorAs(err, &se) || se.Code != 550 {
		t.Fatalf("non-carrier mail: %v", err)
	}
	in := url.Values{"MessageSid": {"SM1"}, "AccountSid": {sid}, "From": {"+12015550124"}, "To": {twFrom}, "Body": {"RESET"}}
	if code, _ := g.twilioPost("/v1/twilio/sms", in, "0000000000000000000000000000beef"); code != 403 {
		t.Fatalf("unsigned webhook: %d", code)
	}
	code, body := g.twilioPost("/v1/twilio/sms", in, authToken)
	if code != 200 || !strings.Contains(body, "<Response><Message>") {
		t.Fatalf("signed webhook: %d %s", code, body)
	}
}

func errorAs(err error, target **smtp.SMTPError) bool {
	se, ok := err.(*smtp.SMTPError)
	if ok {
		*target = se
	}
	return ok
}
