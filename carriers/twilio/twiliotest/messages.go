package twiliotest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"
)

var (
	messagesPath = regexp.MustCompile(`^/2010-04-01/Accounts/([^/]+)/Messages\.json$`)
	messagePath  = regexp.MustCompile(`^/2010-04-01/Accounts/([^/]+)/Messages/([^/]+)\.json$`)
)

// parsePath names the account and, for one message's resource, its SID.
func parsePath(p string) (account, sid string, ok bool) {
	if m := messagesPath.FindStringSubmatch(p); m != nil {
		return m[1], "", true
	}
	if m := messagePath.FindStringSubmatch(p); m != nil {
		return m[1], m[2], true
	}
	return "", "", false
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "Could not parse the request body")
		return
	}
	msg := &Message{
		AccountSID:          s.accountSID,
		To:                  r.PostForm.Get("To"),
		From:                r.PostForm.Get("From"),
		MessagingServiceSID: r.PostForm.Get("MessagingServiceSid"),
		Body:                r.PostForm.Get("Body"),
		StatusCallback:      r.PostForm.Get("StatusCallback"),
		Status:              "queued",
	}
	switch {
	case msg.To == "":
		writeError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case msg.From == "" && msg.MessagingServiceSID == "":
		writeError(w, http.StatusBadRequest, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.")
		return
	case msg.Body == "":
		writeError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	}
	if v := r.PostForm.Get("ValidityPeriod"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 36000 {
			writeError(w, http.StatusBadRequest, 30400, "ValidityPeriod must be a number of seconds from 1 to 36000")
			return
		}
		msg.ValidityPeriod = n
	}
	if msg.MessagingServiceSID != "" && msg.From == "" {
		// Twilio picks the sender later from the service's pool.
		msg.Status = "accepted"
	}

	s.mu.Lock()
	var ans Answer
	if len(s.script) > 0 {
		ans, s.script = s.script[0], s.script[1:]
	} else if rej, ok := s.rejects[msg.To]; ok {
		ans = rej
	}
	s.mu.Unlock()
	if ans.Code != 0 {
		status, message := Canned(ans.Code)
		if ans.Status != 0 {
			status = ans.Status
		}
		if ans.Message != "" {
			message = ans.Message
		}
		writeError(w, status, ans.Code, message)
		return
	}

	s.mu.Lock()
	msg.SID = newSID()
	msg.DateCreated = s.clock().UTC().Truncate(time.Second)
	s.msgs = append(s.msgs, msg)
	out := *msg
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()

	if ans.StoreThenFail != 0 {
		writeError(w, ans.StoreThenFail, 20500, "Internal Server Error")
		return
	}
	writeJSON(w, http.StatusCreated, resource(out))
}

// list answers the Messages list: newest first, one page (the gateway
// never needs a second), filtered as Twilio filters. DateSent> and
// DateSent< compare date_sent, which a queued message does not have yet.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var after, before time.Time
	for key, t := range map[string]*time.Time{"DateSent>": &after, "DateSent<": &before} {
		if v := q.Get(key); v != "" {
			var err error
			if *t, err = parseDate(v); err != nil {
				writeError(w, http.StatusBadRequest, 20001, "Invalid "+key)
				return
			}
		}
	}
	size := 50
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, 20001, "Invalid PageSize")
			return
		}
		size = n
	}
	s.mu.Lock()
	s.lists++
	var page []map[string]any
	for _, m := range slices.Backward(s.msgs) {
		switch {
		case q.Get("To") != "" && m.To != q.Get("To"),
			q.Get("From") != "" && m.From != q.Get("From"),
			!after.IsZero() && (m.DateSent.IsZero() || m.DateSent.Before(after)),
			!before.IsZero() && (m.DateSent.IsZero() || m.DateSent.After(before)):
			continue
		}
		if len(page) < size {
			page = append(page, resource(*m))
		}
	}
	s.mu.Unlock()
	if page == nil {
		page = []map[string]any{}
	}
	uri := r.URL.Path + "?" + r.URL.RawQuery
	writeJSON(w, http.StatusOK, map[string]any{
		"messages": page, "end": len(page) - 1, "first_page_uri": uri, "next_page_uri": nil,
		"page": 0, "page_size": size, "previous_page_uri": nil, "start": 0, "uri": uri,
	})
}

// parseDate reads a DateSent filter: RFC 3339, or a day (YYYY-MM-DD).
func parseDate(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", v)
}

func (s *Server) fetch(w http.ResponseWriter, sid string) {
	s.mu.Lock()
	m := s.find(sid)
	var out Message
	if m != nil {
		out = *m
	}
	s.mu.Unlock()
	if m == nil {
		writeError(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	writeJSON(w, http.StatusOK, resource(out))
}

// inFlight are the statuses of a message Twilio is still working on: its
// body cannot be redacted yet.
var inFlight = []string{"accepted", "scheduled", "queued", "sending"}

// update takes Twilio's two updates: an empty Body redacts a message that
// is no longer in flight; Status=canceled cancels one not yet sent.
func (s *Server) update(w http.ResponseWriter, r *http.Request, sid string) {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "Could not parse the request body")
		return
	}
	body, hasBody := r.PostForm["Body"]
	status := r.PostForm.Get("Status")
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.find(sid)
	switch {
	case m == nil:
		writeError(w, http.StatusNotFound, 20404, "The requested resource was not found")
	case hasBody && status != "", hasBody && body[0] != "", !hasBody && status != "canceled":
		writeError(w, http.StatusBadRequest, 30400, "Parameters are not valid")
	case hasBody && slices.Contains(inFlight, m.Status):
		writeError(w, http.StatusBadRequest, 30400, "A message in flight cannot be redacted")
	case hasBody:
		m.Body, m.Redacted = "", true
		s.redactions = append(s.redactions, sid)
		writeJSON(w, http.StatusOK, resource(*m))
	case m.Status != "queued" && m.Status != "scheduled" && m.Status != "accepted":
		writeError(w, http.StatusBadRequest, 30400, "Only a message not yet sent can be canceled")
	default:
		m.Status = "canceled"
		writeJSON(w, http.StatusOK, resource(*m))
	}
}

// resource is the JSON Twilio answers a message with.
func resource(m Message) map[string]any {
	date := m.DateCreated.Format(time.RFC1123Z)
	uri := "/2010-04-01/Accounts/" + m.AccountSID + "/Messages/" + m.SID
	var from, mss, sent, code, codeMsg any
	if m.From != "" {
		from = m.From
	}
	if m.MessagingServiceSID != "" {
		mss = m.MessagingServiceSID
	}
	if !m.DateSent.IsZero() {
		sent = m.DateSent.Format(time.RFC1123Z)
	}
	if m.ErrorCode != 0 {
		_, text := Canned(m.ErrorCode)
		code, codeMsg = m.ErrorCode, text
	}
	return map[string]any{
		"account_sid":           m.AccountSID,
		"api_version":           "2010-04-01",
		"body":                  m.Body,
		"date_created":          date,
		"date_sent":             sent,
		"date_updated":          date,
		"direction":             "outbound-api",
		"error_code":            code,
		"error_message":         codeMsg,
		"from":                  from,
		"messaging_service_sid": mss,
		"num_media":             "0",
		"num_segments":          fmt.Sprint(Segments(m.Body)),
		"price":                 nil,
		"price_unit":            "USD",
		"sid":                   m.SID,
		"status":                m.Status,
		"subresource_uris":      map[string]string{"media": uri + "/Media.json"},
		"to":                    m.To,
		"uri":                   uri + ".json",
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, map[string]any{
		"code":      code,
		"message":   message,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		"status":    status,
	})
}

func newSID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "SM" + hex.EncodeToString(b)
}
