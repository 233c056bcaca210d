package twilio

import (
	"context"
	"strconv"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/resetgw/resetgw/gateway"
)

var (
	_ gateway.Redactor      = (*Sender)(nil)
	_ gateway.StatusFetcher = (*Sender)(nil)
)

// Redact erases the body of message sid at Twilio, with the account the
// tenant's texts go out with: Twilio's documented redaction is an update
// with an empty Body, allowed once the message is no longer in flight.
func (s *Sender) Redact(ctx context.Context, t *gateway.Tenant, sid string) error {
	settings := s.settingsFor(t)
	if err := s.usable(settings); err != nil {
		return err
	}
	if sid == "" {
		return &gateway.SendError{Code: "invalid_message", Detail: "no message SID"}
	}
	params := &openapi.UpdateMessageParams{}
	params.SetBody("")
	return s.call(ctx, settings, "", func(api *openapi.ApiService) error {
		_, err := api.UpdateMessage(sid, params)
		return err
	})
}

// MessageStatus fetches message sid and says where it stands, for a text
// whose status callback never came. The fetched body (a password, until
// redacted) is never kept.
func (s *Sender) MessageStatus(ctx context.Context, t *gateway.Tenant, sid string) (gateway.ProviderStatus, error) {
	settings := s.settingsFor(t)
	if err := s.usable(settings); err != nil {
		return gateway.ProviderStatus{}, err
	}
	if sid == "" {
		return gateway.ProviderStatus{}, &gateway.SendError{Code: "invalid_message", Detail: "no message SID"}
	}
	var msg *openapi.ApiV2010Message
	if err := s.call(ctx, settings, "", func(api *openapi.ApiService) (err error) {
		msg, err = api.FetchMessage(sid, nil)
		return err
	}); err != nil {
		return gateway.ProviderStatus{}, err
	}
	if msg == nil || msg.Status == nil {
		return gateway.ProviderStatus{}, &gateway.SendError{Class: gateway.FailTransient, Code: "twilio_unavailable", Detail: "Twilio answered without a status"}
	}
	return providerStatus(*msg.Status, msg.ErrorCode), nil
}

// providerStatus maps Twilio's message status, as a callback's
// MessageStatus would be handled.
func providerStatus(status string, code *int) gateway.ProviderStatus {
	st := gateway.ProviderStatus{Status: status}
	switch status {
	case "delivered", "read":
		st.Outcome = gateway.OutcomeDelivered
	case "failed", "undelivered", "canceled":
		st.Outcome, st.ErrorCode = gateway.OutcomeFailed, status
		if code != nil && *code != 0 {
			st.ErrorCode = strconv.Itoa(*code)
		}
	case "sent":
		// Handed to the carrier, which sends no delivery report: Twilio
		// will say nothing more.
	default:
		// accepted, scheduled, queued, sending: still Twilio's.
		st.InFlight = true
	}
	return st
}
