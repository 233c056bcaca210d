package twilio_test

import (
	"net"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/resetgw/resetgw/carriers/twilio"
	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
	"github.com/resetgw/resetgw/gateway"
)

// Every code the gateway knows, answered by the Twilio-shaped server to a
// create, comes back with its class (and a fix for the admin when the
// sender's setup is at fault); the same code in a status callback means
// the same thing.
func TestTwilioClassification(t *testing.T) {
	codes := []struct {
		code  int
		class gateway.FailureClass
	}{
		{21211, gateway.FailRecipient},
		{21614, gateway.FailRecipient},
		{30003, gateway.FailRecipient},
		{30004, gateway.FailRecipient},
		{30005, gateway.FailRecipient},
		{30006, gateway.FailRecipient},
		{21610, gateway.FailOptedOut},
		{20003, gateway.FailConfig},
		{21608, gateway.FailConfig},
		{30034, gateway.FailConfig},
		{30032, gateway.FailConfig},
		{21408, gateway.FailConfig},
		{30007, gateway.FailConfig},
		{30001, gateway.FailRate},
		{30450, gateway.FailRate},
		{30036, ""}, // expired: stale, neither retried nor a setup fault
	}
	var covered []int
	for _, tt := range codes {
		covered = append(covered, tt.code)
		t.Run(strconv.Itoa(tt.code), func(t *testing.T) {
			srv := twiliotest.Start(t, accountSID, authToken)
			srv.Script(twiliotest.Answer{Code: tt.code})
			_, err := newSender(srv).Send(testCtx(t), message())
			se := gateway.AsSendError(err)
			if err == nil || se.Class != tt.class || se.Code != strconv.Itoa(tt.code) {
				t.Fatalf("err = %#v, want class %q code %d", err, tt.class, tt.code)
			}
			if (tt.class == gateway.FailConfig) != (se.Fix != "") {
				t.Errorf("fix = %q for class %q", se.Fix, se.Class)
			}
			if tt.code == 30034 && se.Fix != "This Twilio number is not registered for A2P 10DLC: register a campaign or use a toll-free or short code" {
				t.Errorf("30034 fix = %q", se.Fix)
			}
			if se.Detail == "" {
				t.Error("no detail")
			}
			class, what, fix, ok := gateway.TwilioLateFailure(strconv.Itoa(tt.code))
			if !ok || class != tt.class || fix != se.Fix || what == "" {
				t.Errorf("late: class %q fix %q ok %v, want %q and the same fix", class, fix, ok, tt.class)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server kept %d messages", n)
			}
		})
	}
	slices.Sort(covered)
	if !slices.Equal(covered, gateway.TwilioCodes()) {
		t.Errorf("table covers %v, the gateway knows %v", covered, gateway.TwilioCodes())
	}
}

// Failures that are not Twilio's codes: the status decides, and whatever
// cannot be told apart is transient (a retry looks the message up first).
func TestTwilioClassificationByStatus(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, srv *twiliotest.Server, cfg *twilio.Config)
		class   gateway.FailureClass
		code    string
	}{
		{"429", func(_ *testing.T, srv *twiliotest.Server, _ *twilio.Config) { srv.SetDown(twiliotest.RateLimited) },
			gateway.FailRate, "20429"},
		{"500 with Twilio JSON", func(_ *testing.T, srv *twiliotest.Server, _ *twilio.Config) {
			srv.Script(twiliotest.Answer{Code: 20500})
		}, gateway.FailTransient, "20500"},
		{"502 unknown code", func(_ *testing.T, srv *twiliotest.Server, _ *twilio.Config) {
			srv.Script(twiliotest.Answer{Code: 20502, Status: 502, Message: "Bad gateway"})
		}, gateway.FailTransient, "20502"},
		{"503 HTML", func(_ *testing.T, srv *twiliotest.Server, _ *twilio.Config) { srv.SetDown(twiliotest.Unavailable) },
			gateway.FailTransient, "twilio_unavailable"},
		{"unknown 4xx", func(_ *testing.T, srv *twiliotest.Server, _ *twilio.Config) {
			srv.Script(twiliotest.Answer{Code: 21617, Message: "too long"})
		}, "", "21617"},
		{"connection refused", func(t *testing.T, _ *twiliotest.Server, cfg *twilio.Config) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			cfg.APIURL = "http://" + ln.Addr().String()
			ln.Close()
		}, gateway.FailTransient, "twilio_unavailable"},
		{"connection reset", func(t *testing.T, _ *twiliotest.Server, cfg *twilio.Config) {
			cfg.APIURL = resettingServer(t)
		}, gateway.FailTransient, "twilio_unavailable"},
		{"timeout", func(t *testing.T, _ *twiliotest.Server, cfg *twilio.Config) {
			cfg.APIURL, cfg.Timeout = hangingServer(t), 200*time.Millisecond
		}, gateway.FailTransient, "twilio_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := twiliotest.Start(t, accountSID, authToken)
			cfg := twilio.Config{Default: settings(), APIURL: srv.URL(), Timeout: 5 * time.Second}
			tt.prepare(t, srv, &cfg)
			_, err := twilio.New(cfg).Send(testCtx(t), message())
			se := gateway.AsSendError(err)
			if err == nil || se.Class != tt.class || se.Code != tt.code {
				t.Fatalf("err = %#v, want class %q code %q", err, tt.class, tt.code)
			}
			assertClean(t, err, authToken, body)
		})
	}
}

// resettingServer accepts each request and closes the connection without
// an answer.
func resettingServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // an RST, not a FIN
			}
			conn.Close()
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
