package twiliotest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func get(t *testing.T, s *Server, path string, q url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+path+"?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(sid, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestScriptListFetchUpdate(t *testing.T) {
	s := Start(t, sid, token)
	path := "/2010-04-01/Accounts/" + sid + "/Messages.json"
	form := func(to string) url.Values {
		return url.Values{"To": {to}, "From": {"+15005550006"}, "Body": {"pw " + to}, "ValidityPeriod": {"600"}}
	}
	// The script goes first, one answer per call, then per-number rules.
	s.Reject("+12015550101", 21211, 0, "")
	s.Script(Answer{Code: 30034}, Answer{StoreThenFail: 500}, Answer{})
	if st, _, b := post(t, s, path, sid, token, form("+12015550101")); st != 400 || b["code"] != float64(30034) {
		t.Fatalf("scripted code: %d %v", st, b)
	}
	if st, _, b := post(t, s, path, sid, token, form("+12015550101")); st != 500 || b["code"] != float64(20500) {
		t.Fatalf("store then fail: %d %v", st, b)
	}
	if st, _, _ := post(t, s, path, sid, token, form("+12015550101")); st != 201 {
		t.Fatalf("scripted accept: %d", st)
	}
	if st, _, b := post(t, s, path, sid, token, form("+12015550101")); st != 400 || b["code"] != float64(21211) || b["message"] == "Error" {
		t.Fatalf("per-number rule: %d %v", st, b)
	}
	if st, _, _ := post(t, s, path, sid, token, form("+12015550102")); st != 201 {
		t.Fatal("other number")
	}
	if bad := form("+12015550102"); true {
		bad.Set("ValidityPeriod", "36001")
		if st, _, b := post(t, s, path, sid, token, bad); st != 400 || b["code"] != float64(30400) {
			t.Fatalf("validity out of range: %d %v", st, b)
		}
	}
	msgs := s.Messages()
	if len(msgs) != 3 || msgs[0].ValidityPeriod != 600 || msgs[0].Status != "queued" || !msgs[0].DateSent.IsZero() {
		t.Fatalf("messages %+v", msgs)
	}

	// List: by To, newest first; DateSent> leaves out what was not sent.
	_, page := get(t, s, path, url.Values{"To": {"+12015550101"}})
	if list := page["messages"].([]any); len(list) != 2 || list[0].(map[string]any)["sid"] != msgs[1].SID {
		t.Fatalf("list by To: %v", page)
	}
	since := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	_, page = get(t, s, path, url.Values{"To": {"+12015550101"}, "DateSent>": {since}})
	if list := page["messages"].([]any); len(list) != 0 {
		t.Fatalf("queued messages listed as sent: %v", list)
	}
	s.SetStatus(msgs[0].SID, "delivered", 0)
	_, page = get(t, s, path, url.Values{"To": {"+12015550101"}, "DateSent>": {since}})
	if list := page["messages"].([]any); len(list) != 1 || list[0].(map[string]any)["sid"] != msgs[0].SID {
		t.Fatalf("list sent since: %v", page)
	}
	if st, _ := get(t, s, path, url.Values{"DateSent>": {"yesterday"}}); st != 400 {
		t.Fatalf("bad date answered %d", st)
	}
	if s.ListCalls() != 3 {
		t.Errorf("%d list calls", s.ListCalls())
	}

	// Fetch and update.
	one := "/2010-04-01/Accounts/" + sid + "/Messages/" + msgs[0].SID + ".json"
	if st, b := get(t, s, one, nil); st != 200 || b["status"] != "delivered" || b["date_sent"] == nil {
		t.Fatalf("fetch: %d %v", st, b)
	}
	if st, b := get(t, s, "/2010-04-01/Accounts/"+sid+"/Messages/SMnope.json", nil); st != 404 || b["code"] != float64(20404) {
		t.Fatalf("fetch unknown: %d %v", st, b)
	}
	queued := "/2010-04-01/Accounts/" + sid + "/Messages/" + msgs[1].SID + ".json"
	for name, tt := range map[string]struct {
		path   string
		form   url.Values
		status int
	}{
		"new body":      {one, url.Values{"Body": {"other"}}, 400},
		"nothing":       {one, url.Values{}, 400},
		"in flight":     {queued, url.Values{"Body": {""}}, 400},
		"cancel sent":   {one, url.Values{"Status": {"canceled"}}, 400},
		"body + status": {one, url.Values{"Body": {""}, "Status": {"canceled"}}, 400},
	} {
		if st, _, b := post(t, s, tt.path, sid, token, tt.form); st != tt.status {
			t.Errorf("%s: %d %v", name, st, b)
		}
	}
	if len(s.Redactions()) != 0 {
		t.Fatal("a refused update redacted")
	}
	if st, _, b := post(t, s, one, sid, token, url.Values{"Body": {""}}); st != 200 || b["body"] != "" {
		t.Fatalf("redact: %d %v", st, b)
	}
	if st, _, b := post(t, s, queued, sid, token, url.Values{"Status": {"canceled"}}); st != 200 || b["status"] != "canceled" {
		t.Fatalf("cancel: %d %v", st, b)
	}
	if r := s.Redactions(); len(r) != 1 || r[0] != msgs[0].SID || s.Messages()[0].Body != "" {
		t.Fatalf("redactions %v", r)
	}
}
