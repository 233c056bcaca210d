package gateway

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// OptOutSource says who told the gateway a number takes no more texts.
type OptOutSource string

const (
	OptOutTwilioWebhook OptOutSource = "twilio_webhook" // a STOP by SMS, in a signed webhook
	OptOutTwilio21610   OptOutSource = "twilio_21610"   // Twilio refused a send: the number had texted STOP
	OptOutMail          OptOutSource = "mail"           // a STOP by mail, from a tenant that trusts those
	OptOutAdmin         OptOutSource = "admin"          // an admin, on the person's word
)

// ChannelCarrier and ChannelAny name opt-out channels besides a Twilio
// sender ("twilio:" + its From or Messaging Service SID): every carrier
// email-to-SMS gateway, and every channel of the tenant.
const (
	ChannelCarrier = "carrier"
	ChannelAny     = "*"
)

// OptOut is one "no more texts": from TenantID's Channel to Number. A
// STOP belongs to the company and the number that received it, never to
// every company that texts the same phone.
type OptOut struct {
	TenantID int64
	Channel  string
	Number   string // E.164
	Source   OptOutSource
	At       time.Time
}

// twilioChannel is the opt-out channel of a tenant's Twilio sender: its
// own number (or Messaging Service), else the operator's shared one (nil
// tenant: the shared one).
func (s *Service) twilioChannel(t *Tenant) string {
	if t != nil && t.Twilio.Configured() {
		return "twilio:" + cmp.Or(t.Twilio.From, t.Twilio.MessagingServiceSID)
	}
	return "twilio:" + cmp.Or(s.twilioFrom, "default")
}

// smsRoute is the route a tenant's texts take: Twilio when the tenant or
// the operator has it, else the carrier gateways.
func (s *Service) smsRoute(t *Tenant) Route {
	for _, r := range s.SMSChain(t) {
		if r.Kind != RouteTwilio || s.twilioFor(t) {
			return r.Kind
		}
	}
	return RouteCarrier
}

// smsChannel is the opt-out channel a text from t over route goes through.
func (s *Service) smsChannel(t *Tenant, route Route) string {
	if route == RouteTwilio {
		return s.twilioChannel(t)
	}
	return ChannelCarrier
}

// recordTwilioOptOut records that Twilio refused d because its number had
// texted STOP to the sender d went out from.
func (s *Service) recordTwilioOptOut(ctx context.Context, st Store, d *Delivery) error {
	t, err := st.TenantByID(ctx, d.TenantID)
	if err != nil {
		return err
	}
	return st.SetOptOut(ctx, OptOut{TenantID: d.TenantID, Channel: s.twilioChannel(t), Number: d.To,
		Source: OptOutTwilio21610, At: s.clock()})
}

// smsCountryAllowed reports whether texts of t may go to region: it must
// be on the tenant's list and on the operator's, which no tenant widens.
func (s *Service) smsCountryAllowed(t *Tenant, region string) bool {
	return slices.Contains(t.SMSCountries, region) && slices.Contains(s.countries, region)
}

// checkTwilioSender refuses a Twilio sender that is not the tenant's to
// take: the operator's shared one (whoever holds a number gets its
// webhooks, so a tenant holding the shared one could break and forge
// everyone's), or one another tenant holds. A tenant admin is not told
// which tenant; the operator is.
func (s *Service) checkTwilioSender(ctx context.Context, st Store, a Actor, t *Tenant, tw *TwilioSettings) error {
	if a.TenantID != 0 && s.twilioFrom != "" && (tw.From == s.twilioFrom || tw.MessagingServiceSID == s.twilioFrom) {
		return Errorf(KindConflict, "twilio_sender_reserved", "this is the gateway's shared Twilio sender: only the operator can give it to a company")
	}
	ts, err := st.ListTenants(ctx)
	if err != nil {
		return err
	}
	for _, o := range ts {
		if o.ID == t.ID || o.Twilio == nil {
			continue
		}
		if (tw.From != "" && o.Twilio.From == tw.From) || (tw.MessagingServiceSID != "" && o.Twilio.MessagingServiceSID == tw.MessagingServiceSID) {
			if a.TenantID == 0 {
				return Errorf(KindConflict, "twilio_sender_taken", "tenant %q already uses this Twilio number or Messaging Service", o.Slug)
			}
			return errTwilioSenderTaken
		}
	}
	return nil
}

// errTwilioSenderTaken is what the store's uniqueness answers too.
var errTwilioSenderTaken = Errorf(KindConflict, "twilio_sender_taken", "another company already uses this Twilio number or Messaging Service")

// Event types of opt-outs by mail that were not applied: the admin sees
// them (GET /admin/api/opt-out-requests) and may apply them by hand.
const (
	EventOptOutRequested = "opt_out_requested"
	EventOptInRequested  = "opt_in_requested"
)

// applyKeyword records what a STOP or START asks for and reports whether
// it was applied. By mail it is only a request the admin sees, unless the
// tenant trusts mailed keywords: anyone can forge a mail's sender.
func (s *Service) applyKeyword(ctx context.Context, st Store, owner *Tenant, src Source, kw Keyword, channel, phone string, ev Event) (bool, error) {
	if kw != KeywordStop && kw != KeywordStart {
		return true, nil
	}
	if src == SourceEmailText && !owner.TrustMailKeywords {
		typ := EventOptOutRequested
		if kw == KeywordStart {
			typ = EventOptInRequested
		}
		return false, s.event(ctx, st, Event{TenantID: owner.ID, Type: typ, Actor: ActorCrew, ActorID: phone, IP: ev.IP,
			Channel: string(ChannelSMS), Code: string(kw),
			Detail: "by mail; not applied: mail can be forged (apply it by hand, or set trust_mail_keywords)"})
	}
	if kw == KeywordStart {
		return true, st.ClearOptOut(ctx, owner.ID, channel, phone)
	}
	source := OptOutTwilioWebhook
	if src == SourceEmailText {
		source = OptOutMail
	}
	return true, st.SetOptOut(ctx, OptOut{TenantID: owner.ID, Channel: channel, Number: phone, Source: source, At: s.clock()})
}

// optOutTenant is the tenant a STOP or START is about: the one whose own
// number received it, else (a shared number or address) the one that has
// the sender on record, else the receiving (default) tenant.
func (s *Service) optOutTenant(ctx context.Context, t *Tenant, slug, phone string) (*Tenant, error) {
	if slug != "" {
		return t, nil
	}
	ph, err := s.store.PhoneByNumber(ctx, phone)
	if IsNotFound(err) || (err == nil && ph.TenantID == t.ID) {
		return t, nil
	} else if err != nil {
		return nil, err
	}
	return s.store.TenantByID(ctx, ph.TenantID)
}

// mailSender reads a mailed text's sender. The header From and the
// envelope sender must be one and the same carrier gateway address: a
// forger who sets only the header, as anyone can, is turned away.
func (s *Service) mailSender(ctx context.Context, from, envelope string) (string, *Carrier, error) {
	norm := func(a string) string { return strings.ToLower(strings.Trim(strings.TrimSpace(a), "<>")) }
	phone, c, err := s.carrierSender(ctx, from)
	if err != nil {
		return "", nil, err
	}
	if norm(envelope) != norm(from) {
		return "", nil, Errorf(KindInvalid, "not_carrier_sender", "only texts from a carrier's SMS or MMS gateway are taken")
	}
	return phone, c, nil
}

// OptOutRequests lists the STOP and START texts that came by mail and
// were not applied, newest first.
func (s *Service) OptOutRequests(ctx context.Context, a Actor, tenant string, limit int) ([]*Event, error) {
	return s.Events(ctx, a, EventQuery{Tenant: tenant, Types: []string{EventOptOutRequested, EventOptInRequested}, Limit: limit})
}

// SetOptOutByAdmin opts a number out of (or back into) every text of the
// tenant, on the admin's word: how a STOP by mail that was not trusted is
// applied.
func (s *Service) SetOptOutByAdmin(ctx context.Context, a Actor, tenant, phone string, optedOut bool) error {
	t, err := s.scope(ctx, a, tenant)
	if err != nil {
		return err
	}
	e164, _, err := ParsePhone(phone, s.region)
	if err != nil {
		return err
	}
	return s.store.WithTx(ctx, func(st Store) error {
		typ := "opt_out_set"
		if optedOut {
			err = st.SetOptOut(ctx, OptOut{TenantID: t.ID, Channel: ChannelAny, Number: e164, Source: OptOutAdmin, At: s.clock()})
		} else {
			typ = "opt_out_cleared"
			err = st.ClearOptOut(ctx, t.ID, ChannelAny, e164)
		}
		if err != nil {
			return err
		}
		return s.adminEvent(ctx, st, a, Event{TenantID: t.ID, Type: typ, Channel: string(ChannelSMS), Detail: maskAddress(e164)})
	})
}

// carrierAddressNumber is the E.164 number of a national10 gateway
// address (2015550123@vtext.com), or "".
func carrierAddressNumber(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return ""
	}
	m := carrierNumberRE.FindStringSubmatch(addr[:at])
	if m == nil {
		return ""
	}
	return "+1" + m[1]
}

// optedOutDelivery reports whether a reset's text must not go because its
// number texted STOP, perhaps while the text waited for a retry. It is
// asked at send time, for Twilio and carrier gateway alike. Answers to
// inbound texts (no request) were checked when queued: the confirmation of
// a STOP is one of them and must still go. The opt-out is the one of
// d's tenant t (nil: it is read) and the channel d goes through.
func (s *Service) optedOutDelivery(ctx context.Context, d *Delivery, t *Tenant) (bool, error) {
	if d.Channel != ChannelSMS || d.RequestID == "" {
		return false, nil
	}
	if t == nil {
		var err error
		if t, err = s.store.TenantByID(ctx, d.TenantID); err != nil {
			return false, err
		}
	}
	number := d.To
	if d.Route == RouteCarrier {
		number = carrierAddressNumber(d.To)
	}
	if number == "" {
		return false, nil
	}
	return s.store.OptedOut(ctx, d.TenantID, s.smsChannel(t, d.Route), number)
}
