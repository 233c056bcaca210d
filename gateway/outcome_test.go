package gateway_test

import (
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

func (e *env) outcome(in gateway.OutcomeInput) {
	e.t.Helper()
	if err := e.svc.DeliveryOutcome(e.ctx, in); err != nil {
		e.t.Fatalf("outcome %+v: %v", in, err)
	}
}

// deliveryOf returns the request's delivery on a channel.
func deliveryOf(t *testing.T, r *gateway.ResetRequest, ch gateway.Channel) *gateway.Delivery {
	t.Helper()
	for _, d := range r.Deliveries {
		if d.Channel == ch {
			return d
		}
	}
	t.Fatalf("no %s delivery in %+v", ch, r.Deliveries)
	return nil
}

// Twilio accepts, then says undelivered; the mail bounces: the reset is
// rolled back, and the original password is what works.
func TestLateFailureOnEveryChannelRollsBack(t *testing.T) {
	for _, keep := range []bool{true, false} {
		t.Run(map[bool]string{true: "keep original", false: "original stops at delivery"}[keep], func(t *testing.T) {
			e := newEnv(t, true)
			if !keep {
				e.patchTenant(gateway.SettingsPatch{KeepOriginal: ptr(false)})
			}
			e.person("ana@acme.example", phoneA, "")
			id := e.reset("ana@acme.example", phoneA)
			e.drain()
			pw := e.twilio.password(t)
			r := e.request(id)
			sms, mail := deliveryOf(t, r, gateway.ChannelSMS), deliveryOf(t, r, gateway.ChannelEmail)
			if !keep {
				e.mustFail("ana@acme.example", original)
			}

			e.outcome(gateway.OutcomeInput{ProviderID: sms.ProviderID, Status: gateway.OutcomeFailed, ErrorCode: "30003",
				Detail: "Unreachable destination handset", Source: "twilio"})
			if r := e.request(id); r.State != gateway.StateDelivered {
				t.Fatalf("after the SMS failed, with the mail out: %s", r.State)
			}
			e.outcome(gateway.OutcomeInput{DeliveryID: mail.ID, Status: gateway.OutcomeFailed, ErrorCode: "550 5.1.1",
				Detail: "550 5.1.1 <ana@acme.example>: user unknown", Source: "bounce"})
			r = e.request(id)
			if r.State != gateway.StateRolledBack || r.Reason != gateway.ReasonFailedLate {
				t.Fatalf("state %s reason %s", r.State, r.Reason)
			}
			sms, mail = deliveryOf(t, r, gateway.ChannelSMS), deliveryOf(t, r, gateway.ChannelEmail)
			if sms.Status != gateway.DeliveryFailedLate || sms.ErrorCode != "30003" ||
				mail.Status != gateway.DeliveryFailedLate || mail.ErrorCode != "550 5.1.1" || mail.ErrorDetail == "" {
				t.Fatalf("sms %+v mail %+v", sms, mail)
			}
			e.mustFail("ana@acme.example", pw)
			e.mustLogin("ana@acme.example", original)
			queue, err := e.store.ListResets(e.ctx, gateway.ResetFilter{State: gateway.StateRolledBack})
			if err != nil || len(queue) != 1 || queue[0].ID != id {
				t.Fatalf("failed-delivery queue %v %v", queue, err)
			}
			if len(e.eventsOf("reset_rolled_back")) != 1 || len(e.eventsOf("delivery_failed_late")) != 2 {
				t.Fatal("events missing")
			}
		})
	}
}

func TestLateFailureAfterUseChangesNothing(t *testing.T) {
	e := newEnv(t, true)
	e.person("ana@acme.example", phoneA, "")
	id := e.reset("ana@acme.example", phoneA)
	e.drain()
	pw := e.twilio.password(t)
	e.mustLogin("ana@acme.example", pw)
	r := e.request(id)
	for _, d := range r.Deliveries {
		e.outcome(gateway.OutcomeInput{DeliveryID: d.ID, Status: gateway.OutcomeFailed, ErrorCode: "30005", Source: "twilio"})
	}
	r = e.request(id)
	if r.State != gateway.StateDelivered || r.UsedAt.IsZero() {
		t.Fatalf("state %s", r.State)
	}
	e.mustLogin("ana@acme.example", pw)
	e.mustFail("ana@acme.example", original)
	if n := len(e.eventsOf("late_failure_after_use")); n != 2 {
		t.Fatalf("%d late_failure_after_use events", n)
	}
	if !containsLog(e, "late delivery failure after the new password was used") {
		t.Fatal("not logged")
	}
}

func containsLog(e *env, s string) bool {
	return strings.Contains(e.logs.String(), s)
}

func TestDeliveredThenFailedIsIgnored(t *testing.T) {
	e := newEnv(t, true)
	e.person("ana@acme.example", phoneA, "")
	id := e.reset("ana@acme.example", phoneA)
	e.drain()
	r := e.request(id)
	sms, mail := deliveryOf(t, r, gateway.ChannelSMS), deliveryOf(t, r, gateway.ChannelEmail)
	e.outcome(gateway.OutcomeInput{ProviderID: sms.ProviderID, Status: gateway.OutcomeDelivered, Source: "twilio"})
	e.outcome(gateway.OutcomeInput{ProviderID: sms.ProviderID, Status: gateway.OutcomeDelivered, Source: "twilio"}) // again
	e.outcome(gateway.OutcomeInput{ProviderID: sms.ProviderID, Status: gateway.OutcomeFailed, ErrorCode: "30008", Source: "twilio"})
	e.outcome(gateway.OutcomeInput{DeliveryID: mail.ID, Status: gateway.OutcomeFailed, ErrorCode: "550 5.1.1", Source: "bounce"})
	e.outcome(gateway.OutcomeInput{DeliveryID: mail.ID, Status: gateway.OutcomeFailed, ErrorCode: "550 5.1.1", Source: "bounce"}) // again
	r = e.request(id)
	if r.State != gateway.StateDelivered {
		t.Fatalf("state %s", r.State)
	}
	if d := deliveryOf(t, r, gateway.ChannelSMS); d.Status != gateway.DeliveryDelivered {
		t.Fatalf("sms %s", d.Status)
	}
	if n := len(e.eventsOf("delivery_failed_late")); n != 1 {
		t.Fatalf("%d failed_late events", n)
	}
	if n := len(e.eventsOf("delivery_outcome_ignored")); n != 1 {
		t.Fatalf("%d ignored events", n)
	}
}

func TestDelayedIsOnlyLogged(t *testing.T) {
	e := newEnv(t, false)
	e.person("ana@acme.example", "", "")
	id := e.reset("ana@acme.example", "")
	e.drain()
	mail := deliveryOf(t, e.request(id), gateway.ChannelEmail)
	e.outcome(gateway.OutcomeInput{DeliveryID: mail.ID, Status: gateway.OutcomeDelayed, ErrorCode: "400 4.4.7", Source: "bounce"})
	r := e.request(id)
	if r.State != gateway.StateDelivered || deliveryOf(t, r, gateway.ChannelEmail).Status != gateway.DeliverySent {
		t.Fatalf("state %s", r.State)
	}
	evs := e.eventsOf("delivery_delayed")
	if len(evs) != 1 || evs[0].Code != "400 4.4.7" || evs[0].RequestID != id {
		t.Fatalf("events %+v", evs)
	}
}

func TestOutcomeErrors(t *testing.T) {
	e := newEnv(t, true)
	cases := []struct {
		in   gateway.OutcomeInput
		code string
	}{
		{gateway.OutcomeInput{ProviderID: "SMdoesnotexist", Status: gateway.OutcomeFailed}, "delivery_not_found"},
		{gateway.OutcomeInput{DeliveryID: 999, Status: gateway.OutcomeFailed}, "delivery_not_found"},
		{gateway.OutcomeInput{Status: gateway.OutcomeFailed}, "delivery_not_found"},
		{gateway.OutcomeInput{DeliveryID: 1, Status: "sent"}, "outcome_invalid"},
	}
	for _, tc := range cases {
		if err := e.svc.DeliveryOutcome(e.ctx, tc.in); gateway.ErrorCode(err) != tc.code {
			t.Errorf("%+v: %v", tc.in, err)
		}
	}
}

// An answer to a text has no reset: its late failure is recorded, and
// that is all.
func TestLateFailureOfAnAnswer(t *testing.T) {
	e := newEnv(t, false)
	e.text(gateway.SourceEmailText, "2015550123@vtext.com", "", "HELP")
	e.drain()
	msgs := e.carrier.all()
	if len(msgs) != 1 {
		t.Fatalf("%d texts", len(msgs))
	}
	e.outcome(gateway.OutcomeInput{DeliveryID: msgs[0].DeliveryID, Status: gateway.OutcomeFailed,
		ErrorCode: "550 5.1.1", Detail: "no such\r\nuser\x00", Source: "bounce"})
	d, err := e.store.Delivery(e.ctx, msgs[0].DeliveryID)
	if err != nil || d.Status != gateway.DeliveryFailedLate || d.ErrorDetail != "no such user" {
		t.Fatalf("delivery %+v %v", d, err)
	}
}

// A late 30034 (the sender is not registered for 10DLC) says on the
// delivery and in the log what it means and what the admin should do.
func TestTwilioLateConfigFailureCarriesFix(t *testing.T) {
	e := newEnv(t, true)
	e.person("ana@acme.example", phoneA, "")
	id := e.reset("ana@acme.example", phoneA)
	e.drain()
	sms := deliveryOf(t, e.request(id), gateway.ChannelSMS)
	e.outcome(gateway.OutcomeInput{ProviderID: sms.ProviderID, Status: gateway.OutcomeFailed, ErrorCode: "30034",
		Detail: "Twilio: undelivered", Source: gateway.OutcomeSourceTwilio})
	sms = deliveryOf(t, e.request(id), gateway.ChannelSMS)
	const fix = "register a campaign or use a toll-free or short code"
	if sms.Status != gateway.DeliveryFailedLate || sms.ErrorCode != "30034" || !strings.Contains(sms.ErrorDetail, fix) {
		t.Fatalf("delivery %+v", sms)
	}
	evs := e.eventsOf("delivery_failed_late")
	if len(evs) != 1 || !strings.Contains(evs[0].Detail, fix) {
		t.Fatalf("events %+v", evs)
	}
}
