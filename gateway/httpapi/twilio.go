package httpapi

import (
	"context"
	"encoding/xml"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/twilio/twilio-go/client"

	"github.com/resetgw/resetgw/gateway"
)

// The paths Twilio is told to post to: the inbound-text webhook of a
// number, and the status callback every outbound text asks for.
const (
	TwilioSMSPath    = "/v1/twilio/sms"
	TwilioStatusPath = "/v1/twilio/status"
)

// maxTwilioParams bounds the fields of one webhook. Twilio sends about
// twenty (more with MMS media); a form of thousands is not Twilio's.
const maxTwilioParams = 200

// callbackWait bounds how long a signed status callback waits for its
// message to be on record: Twilio can call back before the worker has
// stored the SID that the send returned.
const callbackWait = 3 * time.Second

// twilioHooks is what the webhooks need beyond the service.
type twilioHooks struct {
	publicURL string
	def       *gateway.TwilioSettings
}

func (s *Server) routesTwilio() {
	s.app.Post(TwilioSMSPath, s.twilioSMS)
	s.app.Post(TwilioStatusPath, s.twilioStatus)
}

// decodeTwilioForm reads a webhook's form body as Twilio's request
// validator does: the first value of a repeated field. Using the same
// value that was signed means a second value tacked on by someone else is
// never acted on. It is a parser of outside input and has a fuzz target.
func decodeTwilioForm(body []byte) (map[string]string, error) {
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, gateway.Errorf(gateway.KindInvalid, "form_invalid", "the body is not a valid form")
	}
	if len(vals) > maxTwilioParams {
		return nil, gateway.Errorf(gateway.KindInvalid, "form_invalid", "the form has too many fields")
	}
	out := make(map[string]string, len(vals))
	for k, v := range vals {
		out[k] = v[0]
	}
	return out, nil
}

// signedURL is the URL Twilio signed: the public URL and the path, with
// any query string the webhook was configured with.
func (h twilioHooks) signedURL(c *fiber.Ctx, path string) string {
	u := h.publicURL + path
	if q := string(c.Request().URI().QueryString()); q != "" {
		u += "?" + q
	}
	return u
}

// validSignature checks X-Twilio-Signature with an account's auth token.
func (h twilioHooks) validSignature(c *fiber.Ctx, path, authToken string, form map[string]string) bool {
	sig := c.Get("X-Twilio-Signature")
	if authToken == "" || sig == "" {
		return false
	}
	v := client.NewRequestValidator(authToken)
	return v.Validate(h.signedURL(c, path), form, sig)
}

// errNotTwilio answers every refused webhook alike: the caller learns
// nothing about which numbers or messages exist.
var errNotTwilio = gateway.Errorf(gateway.KindForbidden, "signature_invalid", "the request is not signed by Twilio for this gateway")

// refuse logs a security event (never the signature or a token) and
// answers 403.
func (s *Server) refuse(c *fiber.Ctx, tenantID int64, code, detail string) error {
	if err := s.svc.SecurityEvent(c.UserContext(), gateway.SecurityEventInput{
		TenantID: tenantID, IP: c.IP(), Code: code, Detail: c.Method() + " " + c.Path() + " " + detail,
	}); err != nil {
		return err
	}
	return errNotTwilio
}

// twilioSMS takes an inbound text and answers it with TwiML.
func (s *Server) twilioSMS(c *fiber.Ctx) error {
	ctx := c.UserContext()
	form, err := decodeTwilioForm(c.Body())
	if err != nil {
		return err
	}
	to := form["To"]
	slug, settings, tenantID, err := s.numberTenant(ctx, to, form["MessagingServiceSid"])
	if gateway.IsNotFound(err) {
		return s.refuse(c, 0, "twilio_unknown_number", "To="+gateway.Clip(to, 32))
	} else if err != nil {
		return err
	}
	if !s.tw.validSignature(c, TwilioSMSPath, settings.AuthToken, form) {
		return s.refuse(c, tenantID, "twilio_signature_invalid", "To="+gateway.Clip(to, 32))
	}
	reply, err := s.svc.InboundText(ctx, gateway.InboundTextInput{
		Source: gateway.SourceSMS, From: form["From"], Tenant: slug, Body: form["Body"], IP: c.IP(),
		MessageID: form["MessageSid"],
	})
	if err != nil {
		return err
	}
	return twiml(c, reply)
}

// numberTenant finds whose Twilio number received a text: a tenant's own
// number (its slug, its account), else the operator's default number,
// shared by every tenant without one (slug "": the tenant is found from
// the sender).
//
// The operator's number is looked at first: it is the operator's account
// that signs its webhooks, whatever a tenant row claims, so a tenant that
// put the shared number in its own settings can neither break them nor
// sign its own.
func (s *Server) numberTenant(ctx context.Context, to, serviceSID string) (string, *gateway.TwilioSettings, int64, error) {
	def := s.tw.def
	if def.Configured() && ((def.From != "" && samePhone(to, def.From)) ||
		(def.MessagingServiceSID != "" && serviceSID == def.MessagingServiceSID)) {
		t, err := s.svc.Tenant(ctx, "")
		if err != nil {
			return "", nil, 0, err
		}
		return "", def, t.ID, nil
	}
	if to != "" {
		t, err := s.svc.Store().TenantByTwilioNumber(ctx, to)
		if err == nil && t.Twilio.Configured() {
			return t.Slug, t.Twilio, t.ID, nil
		} else if err != nil && !gateway.IsNotFound(err) {
			return "", nil, 0, err
		}
	}
	if serviceSID != "" {
		// A tenant that sends through a Messaging Service alone: To is
		// one of the service's numbers, the service names the tenant.
		ts, err := s.svc.Store().ListTenants(ctx)
		if err != nil {
			return "", nil, 0, err
		}
		for _, t := range ts {
			if t.Twilio.Configured() && t.Twilio.MessagingServiceSID == serviceSID {
				return t.Slug, t.Twilio, t.ID, nil
			}
		}
	}
	return "", nil, 0, gateway.ErrNotFound
}

func samePhone(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	ea, _, err1 := gateway.ParsePhone(a, "US")
	eb, _, err2 := gateway.ParsePhone(b, "US")
	return err1 == nil && err2 == nil && ea == eb
}

// twiml answers a text with one message, or with none.
func twiml(c *fiber.Ctx, reply string) error {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Response>`)
	if reply != "" {
		b.WriteString("<Message>")
		xml.EscapeText(&b, []byte(reply))
		b.WriteString("</Message>")
	}
	b.WriteString("</Response>")
	c.Set(fiber.HeaderContentType, "text/xml; charset=utf-8")
	return c.SendString(b.String())
}

// twilioStatus takes a status callback: delivered confirms a delivery,
// failed or undelivered fails it late (and may roll its reset back). The
// signature is checked with the auth token of the account that sent the
// message, found through the message.
func (s *Server) twilioStatus(c *fiber.Ctx) error {
	ctx := c.UserContext()
	form, err := decodeTwilioForm(c.Body())
	if err != nil {
		return err
	}
	sid := form["MessageSid"]
	if sid == "" {
		sid = form["SmsSid"]
	}
	if sid == "" {
		return s.refuse(c, 0, "twilio_unknown_message", "no MessageSid")
	}
	store := s.svc.Store()
	d, err := store.DeliveryByProviderID(ctx, sid)
	switch {
	case err == nil:
		settings, tenantID, err := s.deliveryAccount(ctx, d)
		if err != nil {
			return err
		}
		if !s.tw.validSignature(c, TwilioStatusPath, settings.AuthToken, form) {
			return s.refuse(c, tenantID, "twilio_signature_invalid", "MessageSid="+gateway.Clip(sid, 40))
		}
	case gateway.IsNotFound(err):
		// Perhaps the send's SID is not on record yet. Only a callback
		// signed by one of our accounts may wait for it, so that a flood
		// of made-up SIDs costs nothing.
		settings, tenantID, err := s.accountByID(ctx, form["AccountSid"])
		if gateway.IsNotFound(err) {
			return s.refuse(c, 0, "twilio_unknown_message", "MessageSid="+gateway.Clip(sid, 40))
		} else if err != nil {
			return err
		}
		if !s.tw.validSignature(c, TwilioStatusPath, settings.AuthToken, form) {
			return s.refuse(c, tenantID, "twilio_signature_invalid", "MessageSid="+gateway.Clip(sid, 40))
		}
		if d, err = waitDelivery(ctx, store, sid); gateway.IsNotFound(err) {
			// Signed, but about no delivery of ours (a Test Provider
			// text, say): nothing to do.
			s.log.Debug("status callback for an unknown message", "sid", sid)
			return c.SendStatus(fiber.StatusNoContent)
		} else if err != nil {
			return err
		}
		// The account that signed must be the one that sent it.
		owner, _, err := s.deliveryAccount(ctx, d)
		if err != nil {
			return err
		}
		if owner.AccountSID != settings.AccountSID {
			return s.refuse(c, tenantID, "twilio_signature_invalid", "MessageSid="+gateway.Clip(sid, 40)+" of another account")
		}
	default:
		return err
	}

	if d.Route != gateway.RouteTwilio {
		// A mail's Message-ID given as a MessageSid: not Twilio's to report.
		return c.SendStatus(fiber.StatusNoContent)
	}
	in := gateway.OutcomeInput{ProviderID: sid, Source: "twilio", IP: c.IP()}
	status := strings.ToLower(form["MessageStatus"])
	if status == "" {
		status = strings.ToLower(form["SmsStatus"])
	}
	switch status {
	case "delivered":
		in.Status = gateway.OutcomeDelivered
	case "failed", "undelivered":
		in.Status, in.ErrorCode, in.Detail = gateway.OutcomeFailed, form["ErrorCode"], "Twilio: "+status
		if in.ErrorCode == "" {
			in.ErrorCode = status
		}
	default:
		// queued, sending, sent, accepted, read...: on the way, nothing
		// to record.
		return c.SendStatus(fiber.StatusNoContent)
	}
	if err := s.svc.DeliveryOutcome(ctx, in); err != nil && !gateway.IsNotFound(err) {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// deliveryAccount is the Twilio account a delivery went out with: its
// tenant's own, else the operator's, as the Twilio sender picks it.
func (s *Server) deliveryAccount(ctx context.Context, d *gateway.Delivery) (*gateway.TwilioSettings, int64, error) {
	t, err := s.svc.Store().TenantByID(ctx, d.TenantID)
	if err != nil {
		return nil, 0, err
	}
	if t.Twilio.Configured() {
		return t.Twilio, t.ID, nil
	}
	if s.tw.def.Configured() {
		return s.tw.def, t.ID, nil
	}
	return nil, t.ID, gateway.Errorf(gateway.KindForbidden, "signature_invalid", "no Twilio account")
}

// accountByID finds one of our Twilio accounts by its SID.
func (s *Server) accountByID(ctx context.Context, accountSID string) (*gateway.TwilioSettings, int64, error) {
	if accountSID == "" {
		return nil, 0, gateway.ErrNotFound
	}
	if s.tw.def.Configured() && s.tw.def.AccountSID == accountSID {
		return s.tw.def, 0, nil
	}
	ts, err := s.svc.Store().ListTenants(ctx)
	if err != nil {
		return nil, 0, err
	}
	for _, t := range ts {
		if t.Twilio.Configured() && t.Twilio.AccountSID == accountSID {
			return t.Twilio, t.ID, nil
		}
	}
	return nil, 0, gateway.ErrNotFound
}

// deliveryFinder is the one store call waitDelivery makes.
type deliveryFinder interface {
	DeliveryByProviderID(ctx context.Context, providerID string) (*gateway.Delivery, error)
}

// waitDelivery looks for a delivery by provider id for up to callbackWait.
func waitDelivery(ctx context.Context, store deliveryFinder, sid string) (*gateway.Delivery, error) {
	deadline := time.Now().Add(callbackWait)
	for {
		d, err := store.DeliveryByProviderID(ctx, sid)
		if !gateway.IsNotFound(err) || time.Now().After(deadline) {
			return d, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
