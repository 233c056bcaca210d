package twiliotest

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Callback moves a message to status (with errorCode, 0 for none, sent
// only on failed and undelivered, as Twilio does) and posts that status
// callback to the StatusCallback URL the create named, signed with the
// account's auth token in X-Twilio-Signature as Twilio signs it. It
// returns the HTTP status the receiver answered. Calling it twice posts
// the same callback twice, as a retrying Twilio would.
func (s *Server) Callback(ctx context.Context, sid, status string, errorCode int) (int, error) {
	if !s.SetStatus(sid, status, errorCode) {
		return 0, errors.New("twiliotest: no message " + sid)
	}
	s.mu.Lock()
	m := *s.find(sid)
	token := s.authToken
	s.mu.Unlock()
	if m.StatusCallback == "" {
		return 0, errors.New("twiliotest: message " + sid + " asked for no status callback")
	}
	form := url.Values{
		"MessageSid": {m.SID}, "SmsSid": {m.SID}, "AccountSid": {m.AccountSID}, "From": {m.From}, "To": {m.To},
		"MessageStatus": {status}, "SmsStatus": {status}, "ApiVersion": {"2010-04-01"},
	}
	if m.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", m.MessagingServiceSID)
	}
	if errorCode != 0 && (status == "failed" || status == "undelivered") {
		form.Set("ErrorCode", strconv.Itoa(errorCode))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.StatusCallback, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	req.Header.Set("X-Twilio-Signature", Signature(token, m.StatusCallback, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// Signature is Twilio's X-Twilio-Signature of a form posted to fullURL:
// the URL followed by every parameter's name and value, sorted by name,
// HMAC-SHA1 under the auth token, base64.
func Signature(authToken, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(form.Get(k))
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
