package twilio

import (
	"context"
	"strconv"
	"time"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/resetgw/resetgw/gateway"
)

const (
	// lookupSkew allows for the gateway's and Twilio's clocks to differ.
	lookupSkew = 2 * time.Minute
	// lookupWindow is how far back a lookup looks when the time of the
	// first attempt is not known.
	lookupWindow = 30 * time.Minute
	// lookupPage bounds the messages one list call reads: a crew member
	// gets a handful of texts in a delivery's retry window.
	lookupPage = 50
)

// lookup finds the message an earlier attempt of m left at Twilio, when
// that attempt's answer was lost (a timeout after the request was written,
// a reset connection, a 5xx): the account's messages to m.To since the
// first attempt, with m's body from m's sender. It returns the SID to
// adopt, "" when there is none (send again), or the failure that Twilio
// recorded for it when sending again cannot help. A lookup that fails
// sends nothing: better a late retry than a password sent twice.
func (s *Sender) lookup(ctx context.Context, settings *gateway.TwilioSettings, m *gateway.Message) (string, error) {
	sid, recorded, err := s.find(ctx, settings, m)
	if err != nil {
		return "", err
	}
	if recorded != nil {
		return "", recorded
	}
	return sid, nil
}

// Lookup implements gateway.Looker for the engine, before a text whose
// answer was lost moves to another route: the SID of the text an attempt
// left at Twilio, "" when there is none, the failure Twilio recorded for
// it, or a transient error when the lookup itself fails (whatever its
// cause, it proves nothing about the text).
func (s *Sender) Lookup(ctx context.Context, m *gateway.Message) (string, error) {
	if m == nil || m.Route != gateway.RouteTwilio {
		return "", &gateway.SendError{Class: gateway.FailTransient, Code: "lookup_unsupported", Detail: "not a Twilio text"}
	}
	settings := s.settingsFor(m.Tenant)
	if err := s.usable(settings); err != nil {
		return "", &gateway.SendError{Class: gateway.FailTransient, Code: "lookup_failed", Detail: gateway.AsSendError(err).Detail}
	}
	sid, recorded, err := s.find(ctx, settings, m)
	if err != nil {
		se := gateway.AsSendError(err)
		return "", &gateway.SendError{Class: gateway.FailTransient, Code: "lookup_failed", Detail: se.Detail}
	}
	if recorded != nil {
		return "", recorded
	}
	return sid, nil
}

// find is lookup's search: the SID found, or the failure Twilio recorded
// for the earlier text (recorded), or the list call's own failure (err).
func (s *Sender) find(ctx context.Context, settings *gateway.TwilioSettings, m *gateway.Message) (string, *gateway.SendError, error) {
	since := m.FirstAttemptAt
	if since.IsZero() {
		since = s.cfg.Clock().Add(-lookupWindow)
	}
	since = since.Add(-lookupSkew).UTC()

	// Sent messages first: the DateSent filter keeps the page to this
	// delivery's time however many texts the number has had.
	sent := &openapi.ListMessageParams{}
	sent.SetTo(m.To).SetDateSentAfter(since).SetPageSize(lookupPage)
	// A message still in Twilio's queue (a long code sends one a second)
	// has no date_sent yet, so the filter misses it: then the newest
	// messages to the number, by date_created.
	recent := &openapi.ListMessageParams{}
	recent.SetTo(m.To).SetPageSize(lookupPage)
	for i, params := range []*openapi.ListMessageParams{sent, recent} {
		var page *openapi.ListMessageResponse
		if err := s.call(ctx, settings, m.Text, func(api *openapi.ApiService) (err error) {
			page, err = api.PageMessage(params, "", "")
			return err
		}); err != nil {
			se := gateway.AsSendError(err)
			if i == 0 && se.Class == "" {
				// Twilio documents the filter by day; should it refuse a
				// time, the list by number still answers.
				continue
			}
			se.Detail = "looking up an earlier attempt: " + se.Detail
			return "", nil, se
		}
		if page == nil {
			continue
		}
		if sid, ok, recorded := match(page.Messages, settings, m.Text, since); ok {
			return sid, recorded, nil
		}
	}
	return "", nil, nil
}

// match picks, from a page of messages, the one an earlier attempt made.
// ok is false when none is (or when the one found failed in a way a new
// message may not).
func match(msgs []openapi.ApiV2010Message, settings *gateway.TwilioSettings, body string, since time.Time) (sid string, ok bool, err *gateway.SendError) {
	for _, msg := range msgs {
		switch {
		case msg.Sid == nil || *msg.Sid == "" || msg.Body == nil || *msg.Body != body,
			msg.Direction != nil && *msg.Direction != "outbound-api",
			settings.From != "" && (msg.From == nil || *msg.From != settings.From),
			settings.From == "" && (msg.MessagingServiceSid == nil || *msg.MessagingServiceSid != settings.MessagingServiceSID):
			continue
		}
		if msg.DateCreated != nil {
			created, perr := time.Parse(time.RFC1123Z, *msg.DateCreated)
			if perr == nil && created.Before(since) {
				continue
			}
		}
		status := ""
		if msg.Status != nil {
			status = *msg.Status
		}
		switch status {
		case "canceled":
			continue
		case "failed", "undelivered":
			code := 0
			if msg.ErrorCode != nil {
				code = *msg.ErrorCode
			}
			class, what, fix, known := gateway.TwilioLateFailure(strconv.Itoa(code))
			if !known || class == gateway.FailTransient || class == gateway.FailRate {
				continue // it will not arrive: a new message may
			}
			return "", true, &gateway.SendError{Class: class, Code: strconv.Itoa(code), Detail: "an earlier attempt " + status + ": " + what, Fix: fix}
		}
		return *msg.Sid, true, nil
	}
	return "", false, nil
}
