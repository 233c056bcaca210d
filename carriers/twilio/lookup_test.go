package twilio_test

import (
	"testing"
	"time"

	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
	"github.com/resetgw/resetgw/gateway"
)

// Twilio stores the message, then answers 500: the answer is lost, the
// password is out. The retry looks the message up, adopts its SID and
// sends nothing: exactly one message at Twilio.
func TestTwilioLookupBeforeResend(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(srv *twiliotest.Server, first []twiliotest.Message)
		// want: "adopt" the first message, "send" a new one, or an error
		// class.
		want     string
		class    gateway.FailureClass
		messages int
	}{
		{name: "still queued at Twilio", want: "adopt", messages: 1},
		{name: "already sent", prepare: func(srv *twiliotest.Server, first []twiliotest.Message) {
			srv.SetStatus(first[0].SID, "sent", 0)
		}, want: "adopt", messages: 1},
		{name: "already delivered", prepare: func(srv *twiliotest.Server, first []twiliotest.Message) {
			srv.SetStatus(first[0].SID, "delivered", 0)
		}, want: "adopt", messages: 1},
		{name: "it failed for the recipient", prepare: func(srv *twiliotest.Server, first []twiliotest.Message) {
			srv.SetStatus(first[0].SID, "undelivered", 30003)
		}, want: "error", class: gateway.FailRecipient, messages: 1},
		{name: "it was refused by carriers' queue", prepare: func(srv *twiliotest.Server, first []twiliotest.Message) {
			srv.SetStatus(first[0].SID, "failed", 30001)
		}, want: "send", messages: 2},
		{name: "lookup itself fails", prepare: func(srv *twiliotest.Server, _ []twiliotest.Message) {
			srv.SetDown(twiliotest.Unavailable)
		}, want: "error", class: gateway.FailTransient, messages: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := twiliotest.Start(t, accountSID, authToken)
			s := newSender(srv)
			m := message()
			m.RequestID = "r1"
			m.FirstAttemptAt = time.Now()
			srv.Script(twiliotest.Answer{StoreThenFail: 500})
			if _, err := s.Send(testCtx(t), m); err == nil || gateway.AsSendError(err).Class != gateway.FailTransient {
				t.Fatalf("first attempt: %v, want a transient failure", err)
			}
			first := srv.Messages()
			if len(first) != 1 {
				t.Fatalf("%d messages stored", len(first))
			}
			if tt.prepare != nil {
				tt.prepare(srv, first)
			}

			m.Attempt = 1
			sid, err := s.Send(testCtx(t), m)
			srv.SetDown(twiliotest.Up)
			switch tt.want {
			case "adopt":
				if err != nil || sid != first[0].SID {
					t.Fatalf("retry: sid %q err %v, want the first message %s adopted", sid, err, first[0].SID)
				}
			case "send":
				if err != nil || sid == "" || sid == first[0].SID {
					t.Fatalf("retry: sid %q err %v, want a new message", sid, err)
				}
			default:
				if se := gateway.AsSendError(err); err == nil || se.Class != tt.class {
					t.Fatalf("retry: sid %q err %v, want class %q", sid, err, tt.class)
				}
				assertClean(t, err, authToken, body)
			}
			if n := len(srv.Messages()); n != tt.messages {
				t.Errorf("%d messages at Twilio, want %d", n, tt.messages)
			}
			if srv.ListCalls() == 0 && tt.class != gateway.FailTransient {
				t.Error("no lookup")
			}
		})
	}
}

// Lookups match the body, the sender and the time: another delivery's
// text to the same number, an older one, or one from another sender is
// never adopted.
func TestTwilioLookupMatchesOnlyThisMessage(t *testing.T) {
	srv := twiliotest.Start(t, accountSID, authToken)
	s := newSender(srv)
	other := message()
	other.Text = "Acme: your new password is Zz9yYx8wVv"
	if _, err := s.Send(testCtx(t), other); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	srv.SetClock(func() time.Time { return old })
	if _, err := s.Send(testCtx(t), message()); err != nil {
		t.Fatal(err)
	}
	srv.SetClock(time.Now)

	m := message()
	m.Attempt, m.FirstAttemptAt = 1, time.Now()
	sid, err := s.Send(testCtx(t), m)
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 3 || msgs[2].SID != sid {
		t.Fatalf("sid %s, messages %+v: want a new third message", sid, msgs)
	}
	// A first attempt (Attempt 0) never looks.
	before := srv.ListCalls()
	if _, err := s.Send(testCtx(t), message()); err != nil {
		t.Fatal(err)
	}
	if srv.ListCalls() != before {
		t.Error("a first attempt looked up")
	}
}
