package twiliotest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	sid   = "AC0123456789abcdef0123456789abcdef"
	token = "f00dfeedcafe0123456789abcdef4242"
)

func post(t *testing.T, s *Server, path, user, pass string, form url.Values) (int, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL()+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

func TestMessagesAPI(t *testing.T) {
	path := "/2010-04-01/Accounts/" + sid + "/Messages.json"
	good := url.Values{"To": {"+12015550123"}, "From": {"+15005550006"}, "Body": {"hello"}, "StatusCallback": {"https://cb.example/s"}}
	tests := []struct {
		name       string
		path       string
		user, pass string
		form       url.Values
		prepare    func(s *Server)
		status     int
		code       float64 // Twilio error code, 0 on success
	}{
		{name: "created", path: path, user: sid, pass: token, form: good, status: 201},
		{name: "messaging service", path: path, user: sid, pass: token, form: url.Values{"To": {"+12015550123"}, "MessagingServiceSid": {"MG1"}, "Body": {"x"}}, status: 201},
		{name: "no auth", path: path, form: good, status: 401, code: 20003},
		{name: "wrong token", path: path, user: sid, pass: "nope", form: good, status: 401, code: 20003},
		{name: "other account in path", path: "/2010-04-01/Accounts/ACother/Messages.json", user: sid, pass: token, form: good, status: 404, code: 20404},
		{name: "unknown path", path: "/2010-04-01/Calls.json", user: sid, pass: token, form: good, status: 404, code: 20404},
		{name: "no To", path: path, user: sid, pass: token, form: url.Values{"From": {"+15005550006"}, "Body": {"x"}}, status: 400, code: 21604},
		{name: "no From", path: path, user: sid, pass: token, form: url.Values{"To": {"+12015550123"}, "Body": {"x"}}, status: 400, code: 21603},
		{name: "no Body", path: path, user: sid, pass: token, form: url.Values{"To": {"+12015550123"}, "From": {"+15005550006"}}, status: 400, code: 21602},
		{
			name: "rejected", path: path, user: sid, pass: token, form: good, status: 400, code: 21211,
			prepare: func(s *Server) { s.Reject("+12015550123", 21211, 400, "The 'To' number is not a valid phone number.") },
		},
		{name: "rate limited", path: path, user: sid, pass: token, form: good, status: 429, code: 20429, prepare: func(s *Server) { s.SetDown(RateLimited) }},
		{name: "unavailable", path: path, user: sid, pass: token, form: good, status: 503, prepare: func(s *Server) { s.SetDown(Unavailable) }},
		{name: "back up after reset", path: path, user: sid, pass: token, form: good, status: 201, prepare: func(s *Server) {
			s.SetDown(Unavailable)
			s.Reject("+12015550123", 21211, 400, "x")
			s.Reset()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Start(t, sid, token)
			if tt.prepare != nil {
				tt.prepare(s)
			}
			status, ctype, body := post(t, s, tt.path, tt.user, tt.pass, tt.form)
			if status != tt.status {
				t.Fatalf("status %d, want %d (%v)", status, tt.status, body)
			}
			switch {
			case status == 503:
				if !strings.HasPrefix(ctype, "text/html") || body != nil {
					t.Errorf("503 should be HTML, got %q %v", ctype, body)
				}
			case tt.code != 0:
				if body["code"] != tt.code || body["status"] != float64(tt.status) || body["message"] == "" ||
					body["more_info"] != "https://www.twilio.com/docs/errors/"+strconv.Itoa(int(tt.code)) {
					t.Errorf("error body %v", body)
				}
			default:
				msgs := s.Messages()
				if len(msgs) != 1 {
					t.Fatalf("%d messages", len(msgs))
				}
				m := msgs[0]
				if body["sid"] != m.SID || len(m.SID) != 34 || !strings.HasPrefix(m.SID, "SM") || body["account_sid"] != sid ||
					body["to"] != tt.form.Get("To") || body["body"] != tt.form.Get("Body") || body["num_segments"] != "1" ||
					body["date_created"] == "" || body["direction"] != "outbound-api" {
					t.Errorf("resource %v for %+v", body, m)
				}
				if _, err := time.Parse(time.RFC1123Z, body["date_created"].(string)); err != nil {
					t.Errorf("date_created: %v", err)
				}
				if m.MessagingServiceSID == "" && (body["status"] != "queued" || body["from"] != tt.form.Get("From")) {
					t.Errorf("status/from %v/%v", body["status"], body["from"])
				}
				if m.StatusCallback != tt.form.Get("StatusCallback") {
					t.Errorf("StatusCallback %q", m.StatusCallback)
				}
				return
			}
			if n := len(s.Messages()); n != 0 {
				t.Errorf("%d messages kept after an error", n)
			}
		})
	}
}

func TestWait(t *testing.T) {
	s := Start(t, sid, token)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Wait(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v", err)
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := s.Wait(ctx, 1)
		done <- err
	}()
	post(t, s, "/2010-04-01/Accounts/"+sid+"/Messages.json", sid, token, url.Values{"To": {"+1"}, "From": {"+1"}, "Body": {"x"}})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
