package gateway

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/resetgw/resetgw/gateway/secret"
)

// ResetInput is one "forgot password" as it arrives.
type ResetInput struct {
	Email  string
	Phone  string
	Tenant string // slug; "" finds it from the phone, else the default
	IP     string
	Source Source
}

// Rejection reasons, recorded on the request and in the log.
const (
	ReasonRateLimited    = "rate_limited"
	ReasonUnknownTenant  = "unknown_tenant"
	ReasonResetDisabled  = "tenant_reset_disabled"
	ReasonNoMatch        = "no_match"
	ReasonInactive       = "inactive"
	ReasonNoMobileAccess = "no_mobile_access"
	ReasonPersonDisabled = "person_reset_disabled"
	ReasonAllFailed      = "all_channels_failed"
	ReasonFailedLate     = "all_channels_failed_late"
	ReasonSuperseded     = "superseded"
)

// RequestReset records a reset request and returns its id once it is
// committed (accept.go). It does the same work whether or not the account
// exists, so that neither the answer nor its timing tells; matching,
// per-person limits and sending happen later, in the worker. Only
// malformed input is refused here, and a client over the flood ceiling
// is counted, not stored.
func (s *Service) RequestReset(ctx context.Context, in ResetInput) (id string, err error) {
	defer func() { s.observer().ResetRequested(outcomeOf(err)) }()
	r := &ResetRequest{
		TenantSlug: strings.ToLower(strings.TrimSpace(in.Tenant)),
		Source:     in.Source,
		IP:         in.IP,
		State:      StateReceived,
	}
	if r.Source == "" {
		r.Source = SourceAPI
	}
	if len(r.TenantSlug) > 64 {
		return "", Errorf(KindInvalid, "tenant_invalid", "tenant is too long")
	}
	if in.Email != "" || r.Source == SourceAPI {
		if r.Email, err = NormalizeEmail(in.Email); err != nil {
			return "", err
		}
	}
	if strings.TrimSpace(in.Phone) != "" {
		if r.Phone, _, err = ParsePhone(in.Phone, s.region); err != nil {
			return "", err
		}
	} else if r.Source != SourceAPI {
		return "", Errorf(KindInvalid, "phone_required", "a phone number is required")
	}
	if r.ID, err = s.newID("rr_"); err != nil {
		return "", err
	}
	now := s.clock()
	r.CreatedAt, r.UpdatedAt = now, now
	j := &acceptJob{r: r, flood: Limit{Scope: "ip", Key: IPKey(in.IP), Max: s.limits.PerIP, Window: s.limits.Window}}
	if in.IP == "" && r.Source != SourceAPI {
		// A text has no IP of its own (it is the provider's): its sender's
		// number is the client.
		j.flood.Scope, j.flood.Key = "sender", r.Phone
	}
	if err := s.accept(ctx, j); err != nil {
		return "", err
	}
	return j.id, nil
}

func actorFor(src Source) string {
	if src == SourceAdmin {
		return ActorAdmin
	}
	return ActorCrew
}

// resolve takes a received request to rejected or delivering: it finds the
// tenant and the person, applies the rules, makes the password and puts
// the messages in the outbox, all in one transaction, so that a crash
// leaves the request either untouched or fully queued.
func (s *Service) resolve(ctx context.Context, id string) error {
	return s.store.WithTx(ctx, func(st Store) error { return s.resolveIn(ctx, st, id) })
}

// resolveAll resolves a batch in one transaction: one commit (one fsync)
// for many requests is what lets the worker keep up with a burst. When the
// batch fails, each request is tried alone so that one bad request cannot
// hold up the others.
func (s *Service) resolveAll(ctx context.Context, ids []string) error {
	err := s.store.WithTx(ctx, func(st Store) error {
		for _, id := range ids {
			if err := s.resolveIn(ctx, st, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(ids) == 1 {
		return err
	}
	var first error
	for _, id := range ids {
		if err := s.resolve(ctx, id); err != nil {
			s.log.Error("resolving reset failed", "request_id", id, "err", err)
			first = cmp.Or(first, err)
		}
	}
	return first
}

func (s *Service) resolveIn(ctx context.Context, st Store, id string) error {
	// Instances sharing a store read the same received requests: the one
	// that takes the request resolves it, the others leave it. A store
	// with one writer holds every request for the transaction already, and
	// the state is read below.
	if l, ok := st.(ResetLocker); ok && manyWriters(st) {
		if mine, err := l.LockReceived(ctx, id); err != nil || !mine {
			return err
		}
	}
	// A received request has no outbox rows yet: they are not read.
	r, err := resetOnly(ctx, st, id)
	if IsNotFound(err) {
		return nil // gone since it was listed
	} else if err != nil {
		return err
	}
	if r.State != StateReceived {
		return nil // another worker got there first
	}
	now := s.clock()
	r.UpdatedAt = now
	reject := func(reason, detail string) error {
		r.State, r.Reason = StateRejected, reason
		if err := st.UpdateReset(ctx, r); err != nil {
			return err
		}
		s.observer().ResetFinished(r.State, r.Reason)
		return s.event(ctx, st, Event{TenantID: r.TenantID, Type: "reset_rejected", RequestID: r.ID,
			PersonID: r.PersonID, IP: r.IP, Code: reason, Detail: detail})
	}

	// The tenant: named, else the phone's, else the default.
	var phone *Phone
	if r.Phone != "" {
		if phone, err = st.PhoneByNumber(ctx, r.Phone); err != nil && !IsNotFound(err) {
			return err
		}
	}
	var t *Tenant
	switch {
	case r.TenantSlug != "":
		t, err = st.TenantBySlug(ctx, r.TenantSlug)
	case phone != nil:
		t, err = st.TenantByID(ctx, phone.TenantID)
	default:
		t, err = st.TenantBySlug(ctx, DefaultSlug)
	}
	if IsNotFound(err) {
		return reject(ReasonUnknownTenant, r.TenantSlug)
	} else if err != nil {
		return err
	}
	r.TenantID = t.ID
	if phone != nil && phone.TenantID != t.ID {
		phone = nil // another tenant's number says nothing here
	}
	if !t.AllowMobileReset || t.Disabled {
		return reject(ReasonResetDisabled, "")
	}

	// The person: by email from the app, by the sender's number for a text.
	var p *Person
	if r.Email != "" {
		p, err = st.PersonByEmail(ctx, t.ID, r.Email)
	} else if phone != nil {
		p, err = st.Person(ctx, t.ID, phone.PersonID)
	} else {
		err = ErrNotFound
	}
	if IsNotFound(err) {
		return reject(ReasonNoMatch, "")
	} else if err != nil {
		return err
	}
	r.PersonID = p.ID
	switch {
	case p.Status != StatusActive:
		return reject(ReasonInactive, "")
	case !p.MobileAccess:
		return reject(ReasonNoMobileAccess, "")
	case !p.AllowMobileReset:
		return reject(ReasonPersonDisabled, "")
	}
	if over, err := st.Reserve(ctx, now, s.matchedLimits(t, p, r)); err != nil {
		return err
	} else if over != nil {
		return s.limited(ctx, st, r, over)
	}

	data := MessageData{Name: p.Name, Company: t.Name, ExpiresIn: expiresIn(p.Locale, t.ResetTTL),
		MustChange: t.MustChange, KeepOriginal: t.KeepOriginal}
	r.State = StateDelivering
	if t.Lifecycle.Mode() == ResetModeLink && s.publicURL != "" {
		// A link changes nothing until its form is posted: the old
		// password keeps working whatever the tenant's KeepOriginal says.
		token, err := s.newLinkToken()
		if err != nil {
			return err
		}
		r.LinkHash = s.linkHash(token)
		r.ExpiresAt = now.Add(t.Lifecycle.LinkTTL())
		data.Link, data.ExpiresIn = s.publicURL+"/r/"+token, expiresIn(p.Locale, t.Lifecycle.LinkTTL())
		data.MustChange, data.KeepOriginal = false, true
	} else {
		password, err := s.generatePassword()
		if err != nil {
			return err
		}
		r.TempHash = s.keys.TempHash(password)
		r.ExpiresAt = now.Add(t.ResetTTL)
		data.Password = password
	}
	// The messages first: with no channel it may use, the request is
	// refused before it replaces anything.
	var out []*Delivery
	var skipped []Event
	if phone != nil && phone.PersonID == p.ID {
		d, why, err := s.smsDelivery(ctx, st, t, p, phone, "reset", data)
		if err != nil {
			return err
		}
		if d != nil {
			out = append(out, d)
		} else {
			skipped = append(skipped, Event{TenantID: t.ID, Type: "sms_skipped", RequestID: r.ID,
				PersonID: p.ID, Channel: string(ChannelSMS), Code: why})
		}
	}
	if mailable(t, p) {
		d, err := s.emailDelivery(p, "reset", data)
		if err != nil {
			return err
		}
		out = append(out, d)
	} else {
		if len(out) == 0 {
			r.TempHash, r.LinkHash, r.ExpiresAt = nil, nil, time.Time{}
			return reject(ReasonEmailUnverified, "no verified channel")
		}
		skipped = append(skipped, emailSkipped(t, p, r.ID))
	}
	if err := s.supersede(ctx, st, p, r.ID); err != nil {
		return err
	}
	p.PendingRequest, p.UpdatedAt = r.ID, now
	if err := st.SavePersonAuth(ctx, p); err != nil {
		return err
	}
	if err := st.UpdateReset(ctx, r); err != nil {
		return err
	}
	if err := s.event(ctx, st, Event{TenantID: t.ID, Type: "reset_accepted", RequestID: r.ID,
		PersonID: p.ID, IP: r.IP}); err != nil {
		return err
	}
	for _, e := range skipped {
		if err := s.event(ctx, st, e); err != nil {
			return err
		}
	}
	for _, d := range out {
		d.RequestID = r.ID
		if r.Source == SourceBulk {
			d.Priority = PriorityBulk // behind resets people are waiting for
		}
	}
	return s.enqueue(ctx, st, t.ID, p.ID, out...)
}

// enqueue seals messages and puts them in the outbox, due now, in one
// write when the store can (a reset's text and mail). A message without a
// RequestID (a notification, a reply to a text, a test) is delivered the
// same way but settles no reset.
func (s *Service) enqueue(ctx context.Context, st Store, tenantID, personID int64, ds ...*Delivery) error {
	now := s.clock()
	for _, d := range ds {
		d.TenantID, d.CreatedAt, d.UpdatedAt, d.NextAttemptAt = tenantID, now, now, now
		if d.Priority == 0 {
			d.Priority = PriorityNotice
			if d.RequestID != "" {
				d.Priority = PriorityReset
			}
		}
		if d.Status == "" {
			d.Status = DeliveryPending
		}
		if err := s.seal(d); err != nil {
			return err
		}
	}
	if err := createDeliveries(ctx, st, ds); err != nil {
		return err
	}
	for _, d := range ds {
		if err := s.event(ctx, st, Event{TenantID: tenantID, Type: "delivery_queued", RequestID: d.RequestID,
			PersonID: personID, Channel: string(d.Channel), Detail: string(d.Route)}); err != nil {
			return err
		}
	}
	return nil
}

// textBody and mailBody are the plain JSON an outbox row holds before
// enqueue seals it.
func textBody(text string) []byte {
	b, _ := json.Marshal(sealedBody{Text: text})
	return b
}

func mailBody(subject, text, html string) []byte {
	b, _ := json.Marshal(sealedBody{Subject: subject, Text: text, HTML: html})
	return b
}

// supersede retires the person's older pending reset: a newer reset
// replaces it, and its unsent messages (an older password) are cancelled.
func (s *Service) supersede(ctx context.Context, st Store, p *Person, newID string) error {
	if p.PendingRequest == "" || p.PendingRequest == newID {
		return nil
	}
	old, err := st.Reset(ctx, p.PendingRequest)
	if IsNotFound(err) {
		return nil
	} else if err != nil {
		return err
	}
	if !old.UsedAt.IsZero() || (old.State != StateDelivering && old.State != StateDelivered) {
		return nil
	}
	now := s.clock()
	for _, d := range old.Deliveries {
		if d.Status == DeliveryPending {
			d.Status, d.Body, d.BodyKey, d.UpdatedAt, d.ErrorCode = DeliveryCanceled, nil, nil, now, ReasonSuperseded
			if err := st.UpdateDelivery(ctx, d); err != nil {
				return err
			}
		}
	}
	old.Reason, old.ExpiresAt, old.UpdatedAt = ReasonSuperseded, now, now
	if old.State == StateDelivering {
		if settle(old) != StateDelivered {
			old.State = StateRolledBack
		} else {
			old.State = StateDelivered
		}
		s.observer().ResetFinished(old.State, old.Reason)
	}
	if err := st.UpdateReset(ctx, old); err != nil {
		return err
	}
	if err := s.dropKeptBodies(ctx, st, old); err != nil {
		return err
	}
	return s.event(ctx, st, Event{TenantID: old.TenantID, Type: "reset_superseded", RequestID: old.ID,
		PersonID: p.ID, Detail: "by " + newID})
}

// smsDelivery picks the number and route for the text, or says why none.
// The number is the one given when it takes texts, else the person's
// SMS-type phone.
func (s *Service) smsDelivery(ctx context.Context, st Store, t *Tenant, p *Person, given *Phone, name string, data MessageData) (*Delivery, string, error) {
	target := given
	if !target.Type.Texts() {
		target = nil
		for i := range p.Phones {
			if p.Phones[i].Type == PhoneSMS {
				target = &p.Phones[i]
				break
			}
		}
	}
	if target == nil {
		return nil, SkipNoSMSPhone, nil
	}
	d := &Delivery{Channel: ChannelSMS, Locale: p.Locale, Status: DeliveryPending}
	var why string
	for _, r := range s.SMSChain(t) {
		to, no, err := s.routeTo(ctx, st, t, r, target)
		if err != nil {
			return nil, "", err
		}
		if no != "" {
			why = cmp.Or(why, no)
			continue
		}
		d.Route, d.To = r.Kind, to
		break
	}
	optedOut, err := st.OptedOut(ctx, t.ID, s.smsChannel(t, cmp.Or(d.Route, s.smsRoute(t))), target.Number)
	if err != nil {
		return nil, "", err
	}
	if optedOut {
		return nil, SkipOptedOut, nil
	}
	if !s.smsCountryAllowed(t, PhoneRegion(target.Number)) {
		return nil, SkipCountryNotAllowed, nil
	}
	if d.Route == "" {
		return nil, cmp.Or(why, SkipNoSMSRoute), nil
	}
	text, err := s.renderer.SMS(p.Locale, name, data)
	if err != nil {
		return nil, "", Internal(err)
	}
	d.Body = textBody(text)
	return d, "", nil
}

// routeTo is the address a text to target goes to by route r, or why r
// cannot take it.
func (s *Service) routeTo(ctx context.Context, st Store, t *Tenant, r SMSRoute, target *Phone) (to, why string, err error) {
	switch r.Kind {
	case RouteTwilio:
		if !s.twilioFor(t) {
			return "", SkipNoTwilio, nil
		}
		return target.Number, "", nil
	case RouteWebhook:
		return target.Number, "", nil
	case RouteAWS:
		if t.AWSRoute() == nil {
			return "", SkipNoAWSRoute, nil
		}
		return target.Number, "", nil
	case RouteCarrier:
		if target.Carrier == "" {
			return "", SkipNoCarrier, nil
		}
		c, err := st.Carrier(ctx, target.Carrier)
		if IsNotFound(err) {
			return "", SkipUnknownCarrier, nil
		} else if err != nil {
			return "", "", err
		}
		if !c.UsableOn(s.clock()) {
			return "", SkipCarrierRetired, nil
		}
		addr, err := c.Address(target.Number, false)
		if err != nil {
			return "", SkipCarrierNumberFormat, nil
		}
		return addr, "", nil
	}
	return "", SkipNoSMSRoute, nil
}

// emailDelivery renders a named email to the person.
func (s *Service) emailDelivery(p *Person, name string, data MessageData) (*Delivery, error) {
	subject, text, html, err := s.renderer.Email(p.Locale, name, data)
	if err != nil {
		return nil, Internal(err)
	}
	return &Delivery{Channel: ChannelEmail, Route: RouteEmail, To: p.Email, Locale: p.Locale,
		Status: DeliveryPending, Body: mailBody(subject, text, html)}, nil
}

// sealedBody is what an outbox row holds, encrypted.
type sealedBody struct {
	Subject string `json:"s,omitempty"`
	Text    string `json:"t"`
	HTML    string `json:"h,omitempty"`
}

func deliveryAAD(d *Delivery) []byte {
	return []byte(d.RequestID + "\x00" + string(d.Channel) + "\x00" + d.To)
}

// seal encrypts d.Body (plain JSON) in place under a data key of its own,
// which goes wrapped into d.BodyKey: wiping the row destroys the key, and
// with it any copy of the body left behind.
func (s *Service) seal(d *Delivery) error {
	if s.ring != nil && (d.RequestID != "" || d.ringSeal || d.SealedBy != "") {
		return s.ringSeal(d)
	}
	key, sealed, err := s.keys.SealEnvelope(d.Body, deliveryAAD(d))
	if err != nil {
		return secretError(err)
	}
	d.Body, d.BodyKey, d.SealedBy, d.SealedEpoch = sealed, key, "", 0
	return nil
}

func (s *Service) open(d *Delivery) (*sealedBody, error) {
	var plain []byte
	var err error
	if secret.IsRingKey(d.BodyKey) {
		plain, err = s.ringOpen(d)
	} else if d.BodyKey == nil {
		// Sealed before bodies had data keys.
		plain, err = s.keys.OpenOutbox(d.Body, deliveryAAD(d))
	} else {
		plain, err = s.keys.OpenEnvelope(d.BodyKey, d.Body, deliveryAAD(d))
	}
	if errors.Is(err, secret.ErrKeyGone) {
		return nil, errKeyGone
	} else if err != nil {
		return nil, secretError(err)
	}
	var b sealedBody
	if err := json.Unmarshal(plain, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// settle says what state a request's deliveries put it in: delivered once
// any channel holds the message, rolled back once every channel has ended
// without one, delivering while some are still trying.
func settle(r *ResetRequest) ResetState {
	pending := false
	for _, d := range r.Deliveries {
		if d.Status.Accepted() {
			return StateDelivered
		}
		if d.Status == DeliveryPending {
			pending = true
		}
	}
	if pending {
		return StateDelivering
	}
	return StateRolledBack
}
