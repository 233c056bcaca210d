package twilio_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/carriers/twilio"
	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
	"github.com/resetgw/resetgw/gateway"
)

// Twilio refuses credentials that are not alphanumeric, so the fixtures
// look like real ones: "AC" + 32 hex digits and a 32-hex-digit token.
const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "f00dfeedcafe0123456789abcdef4242"
	otherSID   = "ACfedcba9876543210fedcba9876543210"
	otherToken = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	serviceSID = "MG0123456789abcdef0123456789abcdef"
	from       = "+15005550006"
	to         = "+12015550123"
	body       = "Acme: your new password is Tq7hWz3kPa"
	callback   = "https://gw.movers.example/twilio/status"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func settings() *gateway.TwilioSettings {
	return &gateway.TwilioSettings{AccountSID: accountSID, AuthToken: authToken, From: from}
}

func message() *gateway.Message {
	return &gateway.Message{DeliveryID: 9, Channel: gateway.ChannelSMS, Route: gateway.RouteTwilio, To: to, Text: body}
}

func newSender(srv *twiliotest.Server) *twilio.Sender {
	return twilio.New(twilio.Config{Default: settings(), APIURL: srv.URL(), StatusCallback: callback, Timeout: 5 * time.Second})
}

func TestSendSuccess(t *testing.T) {
	srv := twiliotest.Start(t, accountSID, authToken)
	sid, err := newSender(srv).Send(testCtx(t), message())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs, err := srv.Wait(testCtx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	got := msgs[0]
	if sid != got.SID || !strings.HasPrefix(sid, "SM") || len(sid) != 34 {
		t.Errorf("sid = %q, server made %q", sid, got.SID)
	}
	if got.To != to || got.From != from || got.Body != body || got.StatusCallback != callback || got.AccountSID != accountSID {
		t.Errorf("server got %+v", got)
	}
}

func TestAccountChoice(t *testing.T) {
	def := twiliotest.Start(t, accountSID, authToken)
	own := twiliotest.Start(t, otherSID, otherToken)
	tests := []struct {
		name    string
		tenant  *gateway.Tenant
		apiURL  string
		wantSrv *twiliotest.Server
		from    string
		service string
	}{
		{"no tenant", nil, def.URL(), def, from, ""},
		{"tenant without account", &gateway.Tenant{}, def.URL(), def, from, ""},
		{"tenant half configured", &gateway.Tenant{Twilio: &gateway.TwilioSettings{AccountSID: otherSID}}, def.URL(), def, from, ""},
		{"tenant account", &gateway.Tenant{Twilio: &gateway.TwilioSettings{AccountSID: otherSID, AuthToken: otherToken, From: "+12015550100"}}, own.URL(), own, "+12015550100", ""},
		{"messaging service", &gateway.Tenant{Twilio: &gateway.TwilioSettings{AccountSID: otherSID, AuthToken: otherToken, MessagingServiceSID: serviceSID}}, own.URL(), own, "", serviceSID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def.Reset()
			own.Reset()
			s := twilio.New(twilio.Config{Default: settings(), APIURL: tt.apiURL})
			m := message()
			m.Tenant = tt.tenant
			if _, err := s.Send(testCtx(t), m); err != nil {
				t.Fatal(err)
			}
			msgs, _ := tt.wantSrv.Wait(testCtx(t), 1)
			if msgs[0].From != tt.from || msgs[0].MessagingServiceSID != tt.service || msgs[0].StatusCallback != "" {
				t.Errorf("got %+v", msgs[0])
			}
		})
	}
}

func TestSendFailures(t *testing.T) {
	tests := []struct {
		name      string
		prepare   func(srv *twiliotest.Server, cfg *twilio.Config, m *gateway.Message)
		temporary bool
		code      string
		detail    string
	}{
		{
			name: "invalid To",
			prepare: func(srv *twiliotest.Server, _ *twilio.Config, _ *gateway.Message) {
				srv.Reject(to, 21211, 400, "The 'To' number +12015550123 is not a valid phone number.")
			},
			code: "21211", detail: "The 'To' number +12015550123 is not a valid phone number.",
		},
		{
			name: "unsubscribed",
			prepare: func(srv *twiliotest.Server, _ *twilio.Config, _ *gateway.Message) {
				srv.Reject(to, 21610, 400, "Attempt to send to unsubscribed recipient")
			},
			code: "21610",
		},
		{
			name: "503 with an HTML page",
			prepare: func(srv *twiliotest.Server, _ *twilio.Config, _ *gateway.Message) {
				srv.SetDown(twiliotest.Unavailable)
			},
			temporary: true, code: "twilio_unavailable", detail: "Twilio answered HTTP 503 without a Twilio error",
		},
		{
			name: "429 rate limited",
			prepare: func(srv *twiliotest.Server, _ *twilio.Config, _ *gateway.Message) {
				srv.SetDown(twiliotest.RateLimited)
			},
			temporary: true, code: "20429",
		},
		{
			name: "500 from Twilio",
			prepare: func(srv *twiliotest.Server, _ *twilio.Config, _ *gateway.Message) {
				srv.Reject(to, 20500, 500, "Internal Server Error")
			},
			temporary: true, code: "20500",
		},
		{
			name: "wrong auth token",
			prepare: func(_ *twiliotest.Server, cfg *twilio.Config, _ *gateway.Message) {
				cfg.Default.AuthToken = otherToken
			},
			code: "20003", detail: "Authenticate",
		},
		{
			name: "token with illegal characters",
			prepare: func(_ *twiliotest.Server, cfg *twilio.Config, _ *gateway.Message) {
				cfg.Default.AuthToken = "not-alpha/numeric"
			},
			code: "21224",
		},
		{
			name: "nothing listening",
			prepare: func(_ *twiliotest.Server, cfg *twilio.Config, _ *gateway.Message) {
				ln, _ := net.Listen("tcp", "127.0.0.1:0")
				cfg.APIURL = "http://" + ln.Addr().String()
				ln.Close()
			},
			temporary: true, code: "twilio_unavailable",
		},
		{
			name:    "no account at all",
			prepare: func(_ *twiliotest.Server, cfg *twilio.Config, _ *gateway.Message) { cfg.Default = nil },
			code:    "twilio_not_configured",
		},
		{
			name: "default without sender",
			prepare: func(_ *twiliotest.Server, cfg *twilio.Config, _ *gateway.Message) {
				cfg.Default.From = ""
			},
			code: "twilio_not_configured",
		},
		{
			name:    "bad API URL",
			prepare: func(_ *twiliotest.Server, cfg *twilio.Config, _ *gateway.Message) { cfg.APIURL = "ftp://x" },
			code:    "twilio_config",
		},
		{
			name:    "wrong route",
			prepare: func(_ *twiliotest.Server, _ *twilio.Config, m *gateway.Message) { m.Route = gateway.RouteEmail },
			code:    "unsupported_route",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := twiliotest.Start(t, accountSID, authToken)
			cfg := twilio.Config{Default: settings(), APIURL: srv.URL(), Timeout: 5 * time.Second}
			m := message()
			tt.prepare(srv, &cfg, m)
			sid, err := twilio.New(cfg).Send(testCtx(t), m)
			var se *gateway.SendError
			if !errors.As(err, &se) {
				t.Fatalf("sid %q, err = %v (%T), want *gateway.SendError", sid, err, err)
			}
			if se.Temporary() != tt.temporary || se.Code != tt.code || (tt.detail != "" && se.Detail != tt.detail) {
				t.Errorf("got %+v, want temporary=%v code=%q detail=%q", se, tt.temporary, tt.code, tt.detail)
			}
			assertClean(t, err, authToken, otherToken, body, "Tq7hWz3kPa")
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server kept %d messages", n)
			}
		})
	}
}

func assertClean(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			if strings.Contains(text, s) {
				t.Errorf("error %q reveals %q", text, s)
			}
		}
	}
}

// A provider that echoes what it was sent must not get the token or the
// body into the error either.
func TestErrorsNeverCarrySecrets(t *testing.T) {
	srv := twiliotest.Start(t, accountSID, authToken)
	srv.Reject(to, 21617, 400, "Body too long: "+body+" (token "+authToken+")")
	_, err := newSender(srv).Send(testCtx(t), message())
	if err == nil {
		t.Fatal("want an error")
	}
	se := gateway.AsSendError(err)
	if se.Code != "21617" || se.Temporary() {
		t.Errorf("got %+v", se)
	}
	assertClean(t, err, authToken, body)
}

// hangingServer answers nothing until the test ends.
func hangingServer(t *testing.T) string {
	release := make(chan struct{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return "http://" + ln.Addr().String()
}

func TestBoundedWaits(t *testing.T) {
	api := hangingServer(t)
	tests := []struct {
		name    string
		timeout time.Duration
		cancel  bool
		code    string
	}{
		{"timeout", 200 * time.Millisecond, false, "twilio_unavailable"},
		{"context canceled", time.Minute, true, "canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := twilio.New(twilio.Config{Default: settings(), APIURL: api, Timeout: tt.timeout})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				time.AfterFunc(100*time.Millisecond, cancel)
			}
			start := time.Now()
			_, err := s.Send(ctx, message())
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Send took %v", took)
			}
			se := gateway.AsSendError(err)
			if err == nil || !se.Temporary() || se.Code != tt.code {
				t.Fatalf("err = %v, want temporary %s", err, tt.code)
			}
		})
	}
}

func TestTestProvider(t *testing.T) {
	srv := twiliotest.Start(t, otherSID, otherToken)
	s := newSender(srv)
	sid, err := s.Test(testCtx(t), &gateway.TwilioSettings{AccountSID: otherSID, AuthToken: otherToken, From: from}, to, "resetgw test")
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := srv.Wait(testCtx(t), 1)
	if msgs[0].SID != sid || msgs[0].Body != "resetgw test" || msgs[0].StatusCallback != "" {
		t.Errorf("got %+v, sid %q", msgs[0], sid)
	}
	srv.Reject("+12015550199", 21614, 400, "'To' number is not a valid mobile number")
	_, err = s.Test(testCtx(t), &gateway.TwilioSettings{AccountSID: otherSID, AuthToken: otherToken, From: from}, "+12015550199", "x")
	if se := gateway.AsSendError(err); err == nil || se.Code != "21614" || se.Temporary() {
		t.Errorf("err = %v", err)
	}
	// nil settings: the default account, which this server does not know.
	_, err = s.Test(testCtx(t), nil, to, "x")
	if se := gateway.AsSendError(err); err == nil || se.Code != "20003" {
		t.Errorf("err = %v", err)
	}
}

// The API URL may carry a path prefix (a proxy mounting the API below /).
func TestAPIURLWithPath(t *testing.T) {
	srv := twiliotest.Start(t, accountSID, authToken)
	target, _ := url.Parse(srv.URL())
	seen := make(chan string, 1)
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.URL.Path
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/twilio")
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)

	s := twilio.New(twilio.Config{Default: settings(), APIURL: proxy.URL + "/twilio/"})
	if _, err := s.Send(testCtx(t), message()); err != nil {
		t.Fatal(err)
	}
	if got, want := <-seen, "/twilio/2010-04-01/Accounts/"+accountSID+"/Messages.json"; got != want {
		t.Errorf("proxy saw %q, want %q", got, want)
	}
}

func TestSegments(t *testing.T) {
	tests := []struct {
		body string
		want int
	}{
		{"", 1},
		{strings.Repeat("a", 160), 1},
		{strings.Repeat("a", 161), 2},
		{strings.Repeat("€", 80), 1}, // extension characters count twice
		{strings.Repeat("€", 81), 2},
		{strings.Repeat("ñ", 160), 1}, // in the GSM-7 basic set
		{strings.Repeat("ç", 70), 1},  // lower-case ç is not: UCS-2
		{strings.Repeat("ç", 71), 2},
	}
	for _, tt := range tests {
		if got := twiliotest.Segments(tt.body); got != tt.want {
			t.Errorf("Segments(%q) = %d, want %d", tt.body, got, tt.want)
		}
	}
}
