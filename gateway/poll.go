package gateway

import (
	"context"
	"time"
)

// Redaction is what became of a message's body at its provider.
type Redaction string

const (
	// RedactionDone: the provider erased the body.
	RedactionDone Redaction = "done"
	// RedactionFailed: the provider would not, and asking again will not
	// help; an event says why.
	RedactionFailed Redaction = "failed"
	// RedactionSkipped: the provider still had the message in flight when
	// polled; its body is erased once a final report arrives.
	RedactionSkipped Redaction = "skipped"
)

// Event types of the follow-up of accepted texts.
const (
	EventBodyRedacted    = "provider_body_redacted"
	EventRedactionFailed = "provider_redaction_failed"
	EventStatusPolled    = "provider_status_polled"
)

// Redactor erases a message's text at its provider once the provider is
// done with it, so that the password does not stay in the provider's
// message log. A failure is a *SendError (Temporary: try again later).
type Redactor interface {
	Redact(ctx context.Context, t *Tenant, providerID string) error
}

// ProviderStatus is what a provider says of a message when asked.
type ProviderStatus struct {
	// Status is the provider's own word ("delivered", "sent"), for the log.
	Status string
	// Outcome is delivered or failed once the provider knows; "" when it
	// reports nothing more (sent without a delivery report) or is still at
	// work on it.
	Outcome   OutcomeStatus
	ErrorCode string
	// InFlight says the provider still works on the message.
	InFlight bool
}

// StatusFetcher asks a provider where a message stands.
type StatusFetcher interface {
	MessageStatus(ctx context.Context, t *Tenant, providerID string) (ProviderStatus, error)
}

// PollerConfig builds a Poller.
type PollerConfig struct {
	Service *Service
	// Route is the route whose deliveries it follows (RouteTwilio).
	Route Route
	// Fetcher polls deliveries with no final report; nil polls none.
	Fetcher StatusFetcher
	// Redactor erases bodies at the provider; nil erases none.
	Redactor Redactor
	// PollAfter is how long a final report may take before the message is
	// polled, once (10 minutes): status callbacks are not retried.
	PollAfter time.Duration
	// Interval is the wait between passes (30 s) unless kicked.
	Interval time.Duration
	// Batch bounds the deliveries of each kind one pass handles (50).
	Batch int
	// GiveUpAfter bounds retries of a provider that keeps failing
	// temporarily (24 hours).
	GiveUpAfter time.Duration
	// CallTimeout bounds one call to the provider (15 s).
	CallTimeout time.Duration
}

// Poller follows up on texts a provider accepted: it polls those whose
// final status never arrived and handles the answer like a callback, and
// it redacts the body of those the provider is done with. Run it with Run
// and stop it with Shutdown.
type Poller struct {
	cfg   PollerConfig
	s     *Service
	store pollerStore
	kick  chan struct{}

	loop passLoop
}

// pollerStore is what the poller asks of the service's store: the
// deliveries to follow up and their tenants, and a transaction for what it
// records (the poll or redaction with its event).
type pollerStore interface {
	TenantByID(ctx context.Context, id int64) (*Tenant, error)
	UnconfirmedDeliveries(ctx context.Context, route Route, sentBefore time.Time, limit int) ([]*Delivery, error)
	DeliveriesToRedact(ctx context.Context, route Route, limit int) ([]*Delivery, error)
	WithTx(ctx context.Context, fn func(Store) error) error
}

// NewPoller makes a poller and hooks it to the service, which kicks it
// when a delivery reaches a final status.
func NewPoller(cfg PollerConfig) *Poller {
	if cfg.PollAfter <= 0 {
		cfg.PollAfter = 10 * time.Minute
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 30 * time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 50
	}
	if cfg.GiveUpAfter <= 0 {
		cfg.GiveUpAfter = 24 * time.Hour
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 15 * time.Second
	}
	p := &Poller{cfg: cfg, s: cfg.Service, store: cfg.Service.store, kick: make(chan struct{}, 1)}
	cfg.Service.SetFollowUp(p.Kick)
	return p
}

// SetFollowUp sets the function called when a delivery reached a final
// status, to redact it at once rather than at the next pass.
func (s *Service) SetFollowUp(f func()) { s.followUp = f }

// Kick wakes the poller for a pass now.
func (p *Poller) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Run follows up until ctx ends or Shutdown is called.
func (p *Poller) Run(ctx context.Context) error {
	return p.loop.run(ctx, p.cfg.Interval, p.kick, p.Pass, func(err error) {
		p.s.log.Warn("provider follow-up pass failed", "err", err)
	})
}

// Shutdown stops Run after the call in flight, or when ctx ends.
func (p *Poller) Shutdown(ctx context.Context) error { return p.loop.shutdown(ctx) }

// Pass polls and redacts one batch each and reports whether it settled
// anything, so that a busy poller goes on at once. A provider that fails
// temporarily leaves its deliveries for a later pass. Tests call it
// directly.
func (p *Poller) Pass(ctx context.Context) (bool, error) {
	tenants := map[int64]*Tenant{}
	tenant := func(id int64) (*Tenant, error) {
		if t, ok := tenants[id]; ok {
			return t, nil
		}
		t, err := p.store.TenantByID(ctx, id)
		if IsNotFound(err) {
			// No tenant to pick an account from: the operator's, as the
			// sender does for a tenant without its own.
			t, err = nil, nil
		}
		if err == nil {
			tenants[id] = t
		}
		return t, err
	}
	busy := false
	if p.cfg.Fetcher != nil {
		ds, err := p.store.UnconfirmedDeliveries(ctx, p.cfg.Route, p.s.clock().Add(-p.cfg.PollAfter), p.cfg.Batch)
		if err != nil {
			return false, err
		}
		for _, d := range ds {
			t, err := tenant(d.TenantID)
			if err != nil {
				return busy, err
			}
			done, err := p.poll(ctx, d, t)
			busy = busy || done
			if err != nil {
				return busy, err
			}
		}
	}
	if p.cfg.Redactor != nil {
		ds, err := p.store.DeliveriesToRedact(ctx, p.cfg.Route, p.cfg.Batch)
		if err != nil {
			return busy, err
		}
		for _, d := range ds {
			t, err := tenant(d.TenantID)
			if err != nil {
				return busy, err
			}
			done, err := p.redact(ctx, d, t)
			busy = busy || done
			if err != nil {
				return busy, err
			}
		}
	}
	return busy, nil
}

// poll asks for one delivery's status, once, and handles a final one as
// its status callback would have been.
func (p *Poller) poll(ctx context.Context, d *Delivery, t *Tenant) (bool, error) {
	callCtx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
	st, fetchErr := p.cfg.Fetcher.MessageStatus(callCtx, t, d.ProviderID)
	cancel()
	now := p.s.clock()
	ev := Event{TenantID: d.TenantID, RequestID: d.RequestID, Channel: string(d.Channel), ProviderID: d.ProviderID,
		Type: EventStatusPolled}
	if fetchErr != nil {
		se := AsSendError(fetchErr)
		if se.Temporary() && now.Sub(d.UpdatedAt) < p.cfg.PollAfter+p.cfg.GiveUpAfter {
			return false, nil
		}
		ev.Code, ev.Detail = se.Code, Clip(string(d.Route)+": status unavailable: "+se.Detail, 300)
	} else {
		ev.Code, ev.Detail = st.ErrorCode, Clip(string(d.Route)+": "+cleanProviderText(st.Status), 300)
	}
	if err := p.store.WithTx(ctx, func(tx Store) error {
		if err := tx.MarkDeliveryPolled(ctx, d.ID, now); err != nil {
			return err
		}
		if fetchErr == nil && st.InFlight {
			if err := tx.SetDeliveryRedaction(ctx, d.ID, RedactionSkipped); err != nil {
				return err
			}
		}
		return p.s.event(ctx, tx, ev)
	}); err != nil {
		return false, err
	}
	if fetchErr != nil || st.Outcome == "" {
		return true, nil
	}
	in := OutcomeInput{DeliveryID: d.ID, ProviderID: d.ProviderID, Status: st.Outcome, ErrorCode: st.ErrorCode,
		Detail: "polled: " + st.Status, Source: string(d.Route)}
	if err := p.s.DeliveryOutcome(ctx, in); err != nil && !IsNotFound(err) {
		return true, err
	}
	return true, nil
}

// redact erases one delivery's body at the provider and records it.
func (p *Poller) redact(ctx context.Context, d *Delivery, t *Tenant) (bool, error) {
	callCtx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
	err := p.cfg.Redactor.Redact(callCtx, t, d.ProviderID)
	cancel()
	ev := Event{TenantID: d.TenantID, RequestID: d.RequestID, Channel: string(d.Channel), ProviderID: d.ProviderID,
		Type: EventBodyRedacted, Detail: string(d.Route)}
	state := RedactionDone
	if err != nil {
		se := AsSendError(err)
		if se.Temporary() && p.s.clock().Sub(d.UpdatedAt) < p.cfg.GiveUpAfter {
			p.s.log.Debug("redaction at the provider failed, will retry", "delivery_id", d.ID, "code", se.Code)
			return false, nil
		}
		state, ev.Type, ev.Code = RedactionFailed, EventRedactionFailed, se.Code
		detail := string(d.Route) + ": " + se.Detail
		if se.Fix != "" {
			detail += ". " + se.Fix
		}
		ev.Detail = Clip(detail, 300)
		p.s.log.Warn("redaction at the provider failed", "delivery_id", d.ID, "route", d.Route, "code", se.Code)
	}
	return true, p.store.WithTx(ctx, func(tx Store) error {
		if err := tx.SetDeliveryRedaction(ctx, d.ID, state); err != nil {
			return err
		}
		return p.s.event(ctx, tx, ev)
	})
}
