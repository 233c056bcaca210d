package gateway_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

const day = 24 * time.Hour

func TestMaxPasswordAgeBounds(t *testing.T) {
	e := newEnv(t, true)
	for _, bad := range []int{-1, 1, 29, 731, 100000} {
		if _, err := e.svc.UpdateSettings(e.ctx, operator, "", gateway.SettingsPatch{MaxPasswordAgeDays: ptr(bad)}); gateway.ErrorCode(err) != "max_password_age_invalid" {
			t.Fatalf("%d days: %v", bad, err)
		}
	}
	for _, ok := range []int{30, 730, 0} {
		tn, err := e.svc.UpdateSettings(e.ctx, operator, "", gateway.SettingsPatch{MaxPasswordAgeDays: ptr(ok)})
		if err != nil || tn.Lifecycle.MaxPasswordAgeDays != ok {
			t.Fatalf("%d days: %+v %v", ok, tn, err)
		}
	}
}

// Past the maximum age a login answers must_change (and still logs in);
// a password changed since is young again. With the setting off, age
// never matters.
func TestOldPasswordMustChange(t *testing.T) {
	e := newEnv(t, true)
	e.person("ana@example.com", "", "", func(in *gateway.PersonInput) { in.MustChange = ptr(false) })
	e.advance(400 * day)
	if e.mustChange("ana@example.com", original) {
		t.Fatal("must_change with the setting off")
	}
	e.patchTenant(gateway.SettingsPatch{MaxPasswordAgeDays: ptr(365)})
	if !e.mustChange("ana@example.com", original) {
		t.Fatal("a 400-day-old password under a 365-day maximum: must_change false")
	}
	if err := e.svc.ChangePassword(e.ctx, gateway.ChangeInput{Email: "ana@example.com", OldPassword: original,
		NewPassword: chosen, IP: "192.0.2.7"}); err != nil {
		t.Fatal(err)
	}
	if e.mustChange("ana@example.com", chosen) {
		t.Fatal("must_change right after a change")
	}
	e.advance(364 * day)
	if e.mustChange("ana@example.com", chosen) {
		t.Fatal("must_change a day before the maximum age")
	}
	e.advance(day)
	if !e.mustChange("ana@example.com", chosen) {
		t.Fatal("no must_change at the maximum age")
	}
}

// One reminder per password, a week before it expires: not earlier, not
// twice across passes, restarts or two instances at once, and again for
// the next password.
func TestPasswordReminderOncePerPassword(t *testing.T) {
	e := newEnv(t, true)
	e.patchTenant(gateway.SettingsPatch{MaxPasswordAgeDays: ptr(30)})
	e.person("ana@example.com", "", "", func(in *gateway.PersonInput) { in.MustChange = ptr(false) })
	e.person("bob@example.com", "", "", func(in *gateway.PersonInput) { in.Password = "" })
	pass := func(r *gateway.Reminders) {
		t.Helper()
		if _, err := r.Pass(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.drain()
	}
	first := gateway.NewReminders(gateway.RemindersConfig{Service: e.svc})
	e.advance(22 * day)
	pass(first)
	if n := mailsNamed(e.email, "password_expiring"); n != 0 {
		t.Fatalf("%d reminders 8 days before expiry", n)
	}
	e.advance(day + time.Hour)
	// Two instances (each its own job) pass at once, then a restart.
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := gateway.NewReminders(gateway.RemindersConfig{Service: e.svc})
			if _, err := r.Pass(e.ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	e.drain()
	pass(first)
	pass(gateway.NewReminders(gateway.RemindersConfig{Service: e.svc}))
	if n := mailsNamed(e.email, "password_expiring"); n != 1 {
		t.Fatalf("%d reminders for one password, want 1", n)
	}
	if m := e.email.all(); m[len(m)-1].To != "ana@example.com" {
		t.Fatalf("reminder to %s", m[len(m)-1].To)
	}
	if n := len(e.events(gateway.EventPasswordReminder)); n != 1 {
		t.Fatalf("%d reminder events", n)
	}
	// Expired: no reminder, must_change at login.
	e.advance(7 * day)
	pass(first)
	if !e.mustChange("ana@example.com", original) {
		t.Fatal("no must_change after the maximum age")
	}
	if err := e.svc.ChangePassword(e.ctx, gateway.ChangeInput{Email: "ana@example.com", OldPassword: original,
		NewPassword: chosen, IP: "192.0.2.7"}); err != nil {
		t.Fatal(err)
	}
	e.advance(24 * day)
	pass(first)
	if n := mailsNamed(e.email, "password_expiring"); n != 2 {
		t.Fatalf("%d reminders after a second password came due, want 2", n)
	}
}

// A reminder stays out of an unverified mailbox when the tenant requires
// verified emails, and is still only claimed once.
func TestPasswordReminderSkipsAnUnverifiedEmail(t *testing.T) {
	e := verifyEnv(t)
	e.patchTenant(gateway.SettingsPatch{MaxPasswordAgeDays: ptr(30)})
	e.person("ana@example.com", "", "")
	e.drain()
	r := gateway.NewReminders(gateway.RemindersConfig{Service: e.svc})
	e.advance(25 * day)
	for range 2 {
		if _, err := r.Pass(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	e.drain()
	if n := mailsNamed(e.email, "password_expiring"); n != 0 {
		t.Fatalf("%d reminders to an unverified address", n)
	}
	if n := len(e.events(gateway.EventEmailSkipped)); n != 1 {
		t.Fatalf("%d email_skipped events, want 1", n)
	}
}

// Run and Shutdown: Run passes at once and stops on Shutdown.
func TestRemindersRunAndShutdown(t *testing.T) {
	e := newEnv(t, true)
	e.patchTenant(gateway.SettingsPatch{MaxPasswordAgeDays: ptr(30)})
	e.person("ana@example.com", "", "")
	e.advance(25 * day)
	r := gateway.NewReminders(gateway.RemindersConfig{Service: e.svc, Interval: time.Hour})
	done := make(chan error, 1)
	go func() { done <- r.Run(e.ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(e.events(gateway.EventPasswordReminder)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run queued no reminder")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.Shutdown(e.ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != gateway.ErrWorkerClosed {
		t.Fatalf("Run after Shutdown: %v", err)
	}
}

// staleDue answers every PasswordRemindersDue with its first answer, as
// another instance that listed the same people before this one claimed
// them would see it.
type staleDue struct {
	gateway.Store
	mu    sync.Mutex
	first []*gateway.Person
}

func (s *staleDue) PasswordRemindersDue(ctx context.Context, tenantID int64, after, before time.Time, limit int) ([]*gateway.Person, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first != nil {
		return s.first, nil
	}
	ps, err := s.Store.PasswordRemindersDue(ctx, tenantID, after, before, limit)
	if len(ps) > 0 {
		s.first = ps
	}
	return ps, err
}

// A job that works from a list made before another claimed the reminder
// sends nothing: the claim in the store, not the list, decides.
func TestPasswordReminderClaimDecides(t *testing.T) {
	stale := &staleDue{}
	e := newEnv(t, true, func(c *gateway.Config) { stale.Store = c.Store; c.Store = stale })
	e.patchTenant(gateway.SettingsPatch{MaxPasswordAgeDays: ptr(30)})
	e.person("ana@example.com", "", "")
	e.advance(25 * day)
	r := gateway.NewReminders(gateway.RemindersConfig{Service: e.svc})
	for range 3 {
		if _, err := r.Pass(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	e.drain()
	if stale.first == nil {
		t.Fatal("nobody was due")
	}
	if n := mailsNamed(e.email, "password_expiring"); n != 1 {
		t.Fatalf("%d reminders from a stale list, want 1", n)
	}
}
