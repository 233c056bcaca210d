package twilio_test

import (
	"testing"

	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
	"github.com/resetgw/resetgw/gateway"
)

// A fetched status maps as a status callback's would.
func TestTwilioMessageStatus(t *testing.T) {
	tests := []struct {
		status   string
		code     int
		outcome  gateway.OutcomeStatus
		errCode  string
		inFlight bool
	}{
		{"queued", 0, "", "", true},
		{"accepted", 0, "", "", true},
		{"sending", 0, "", "", true},
		{"sent", 0, "", "", false},
		{"delivered", 0, gateway.OutcomeDelivered, "", false},
		{"undelivered", 30003, gateway.OutcomeFailed, "30003", false},
		{"failed", 30034, gateway.OutcomeFailed, "30034", false},
		{"failed", 0, gateway.OutcomeFailed, "failed", false},
		{"canceled", 0, gateway.OutcomeFailed, "canceled", false},
	}
	srv := twiliotest.Start(t, accountSID, authToken)
	s := newSender(srv)
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			sid, err := s.Send(testCtx(t), message())
			if err != nil {
				t.Fatal(err)
			}
			srv.SetStatus(sid, tt.status, tt.code)
			st, err := s.MessageStatus(testCtx(t), nil, sid)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != tt.status || st.Outcome != tt.outcome || st.ErrorCode != tt.errCode || st.InFlight != tt.inFlight {
				t.Errorf("got %+v", st)
			}
		})
	}
	_, err := s.MessageStatus(testCtx(t), nil, "SM00000000000000000000000000000000")
	if se := gateway.AsSendError(err); err == nil || se.Temporary() || se.Code != "20404" {
		t.Errorf("unknown message: %v", err)
	}
}

// Redaction empties the body at Twilio with the account the tenant's texts
// use; a message in flight is refused, and the refusal is no retry.
func TestTwilioRedact(t *testing.T) {
	srv := twiliotest.Start(t, accountSID, authToken)
	s := newSender(srv)
	sid, err := s.Send(testCtx(t), message())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Redact(testCtx(t), nil, sid); err == nil || gateway.AsSendError(err).Temporary() {
		t.Fatalf("redacting a queued message: %v", err)
	}
	srv.SetStatus(sid, "delivered", 0)
	if err := s.Redact(testCtx(t), nil, sid); err != nil {
		t.Fatal(err)
	}
	if m := srv.Messages()[0]; m.Body != "" || !m.Redacted {
		t.Fatalf("after redaction %+v", m)
	}
	if r := srv.Redactions(); len(r) != 1 || r[0] != sid {
		t.Fatalf("redactions %v", r)
	}
	other := &gateway.Tenant{Twilio: &gateway.TwilioSettings{AccountSID: otherSID, AuthToken: otherToken, From: from}}
	if err := s.Redact(testCtx(t), other, sid); err == nil {
		t.Fatal("another account redacted the message")
	}
}
