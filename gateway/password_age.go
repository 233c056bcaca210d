package gateway

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Password age (a tenant's max_password_age_days): past it, a login
// answers must_change; a week before, the person gets one reminder email
// per password. The reminder is claimed in the store in the same
// transaction that queues it, so a restart or a second instance never
// sends it twice.

// Event types of password age.
const EventPasswordReminder = "password_reminder_queued"

// passwordExpired reports whether p's password is older than the
// tenant's maximum age. A password whose set date is not known never is.
func (s *Service) passwordExpired(t *Tenant, p *Person) bool {
	age := t.Lifecycle.MaxPasswordAge()
	if age <= 0 || p.PasswordSetAt.IsZero() {
		return false
	}
	return !s.clock().Before(p.PasswordSetAt.Add(age))
}

// RemindersConfig builds a Reminders.
type RemindersConfig struct {
	Service *Service
	// Interval is the wait between passes (an hour).
	Interval time.Duration
	// Batch bounds the reminders one tenant's pass queues (200).
	Batch int
}

// Reminders queues the password-expiry reminders. Run it with Run and
// stop it with Shutdown.
type Reminders struct {
	cfg   RemindersConfig
	s     *Service
	store reminderStore

	loop passLoop
}

// reminderStore is what a reminder pass reads to find who is due; the
// claim and the queued email go through the service's transaction.
type reminderStore interface {
	ListTenants(ctx context.Context) ([]*Tenant, error)
	PasswordRemindersDue(ctx context.Context, tenantID int64, setAfter, setBefore time.Time, limit int) ([]*Person, error)
}

// NewReminders makes the reminder job.
func NewReminders(cfg RemindersConfig) *Reminders {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Hour
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 200
	}
	return &Reminders{cfg: cfg, s: cfg.Service, store: cfg.Service.store}
}

// Run queues reminders until ctx ends or Shutdown is called.
func (r *Reminders) Run(ctx context.Context) error {
	return r.loop.run(ctx, r.cfg.Interval, nil, r.Pass, func(err error) {
		r.s.log.Warn("password reminder pass failed", "err", err)
	})
}

// Shutdown stops Run after the pass in flight, or when ctx ends.
func (r *Reminders) Shutdown(ctx context.Context) error { return r.loop.shutdown(ctx) }

// Pass queues the reminders due now in every tenant with a maximum
// password age, and reports whether a tenant had a full batch. Tests call
// it directly.
func (r *Reminders) Pass(ctx context.Context) (bool, error) {
	s := r.s
	ts, err := r.store.ListTenants(ctx)
	if err != nil {
		return false, err
	}
	busy := false
	for _, t := range ts {
		age := t.Lifecycle.MaxPasswordAge()
		if age <= 0 {
			continue
		}
		now := s.clock()
		// Passwords that expire within the lead and have not expired yet:
		// an expired one gets must_change at the next login instead.
		due, err := r.store.PasswordRemindersDue(ctx, t.ID, now.Add(-age), now.Add(-age+PasswordReminderLead), r.cfg.Batch)
		if err != nil {
			return busy, err
		}
		busy = busy || len(due) == r.cfg.Batch
		for _, p := range due {
			if err := s.remind(ctx, t, p); err != nil {
				return busy, err
			}
		}
		if len(due) > 0 {
			s.kick()
		}
	}
	return busy, nil
}

// remind claims and queues one person's reminder.
func (s *Service) remind(ctx context.Context, t *Tenant, p *Person) error {
	return s.store.WithTx(ctx, func(st Store) error {
		ok, err := st.ClaimPasswordReminder(ctx, t.ID, p.ID, p.PasswordSetAt)
		if err != nil || !ok {
			return err // another instance sent it, or the password changed
		}
		if !mailable(t, p) {
			return s.event(ctx, st, emailSkipped(t, p, ""))
		}
		left := p.PasswordSetAt.Add(t.Lifecycle.MaxPasswordAge()).Sub(s.clock())
		d, err := s.emailDelivery(p, "password_expiring", MessageData{Name: p.Name, Company: t.Name,
			ExpiresIn: daysIn(p.Locale, left), OfficePhone: t.Lifecycle.OfficePhone})
		if err != nil {
			return err
		}
		d.Priority = PriorityNotice
		if err := s.enqueue(ctx, st, t.ID, p.ID, d); err != nil {
			return err
		}
		return s.event(ctx, st, Event{TenantID: t.ID, Type: EventPasswordReminder, PersonID: p.ID,
			Channel: string(ChannelEmail)})
	})
}

// daysIn says a span of days the way a person reads it, at least one.
func daysIn(locale string, d time.Duration) string {
	n := max(int((d+12*time.Hour)/(24*time.Hour)), 1)
	es := strings.HasPrefix(strings.ToLower(locale), "es")
	switch {
	case n == 1 && es:
		return "1 día"
	case n == 1:
		return "1 day"
	case es:
		return strconv.Itoa(n) + " días"
	}
	return strconv.Itoa(n) + " days"
}
