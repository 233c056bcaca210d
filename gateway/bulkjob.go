package gateway

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// MaxBulkJob bounds the people one bulk job takes: a returning seasonal
// workforce of thousands fits, a mistaken "everyone, twice" does not.
const MaxBulkJob = 20000

// bulkSample is how many people a preview names.
const bulkSample = 20

// EventBulkStarted sums up a job when it starts, EventBulkPerson is
// logged for each person as the job reaches them, EventBulkCancelled when
// an admin stops it.
const (
	EventBulkStarted   = "bulk_started"
	EventBulkPerson    = "bulk_person"
	EventBulkCancelled = "bulk_cancelled"
)

// ReasonBulkCancelled ends the resets a cancelled job had not sent yet.
const ReasonBulkCancelled = "bulk_cancelled"

// BulkInput is a bulk action as an admin asks for it.
type BulkInput struct {
	Tenant string
	Action BulkAction
	Filter BulkFilter
}

// BulkPreview is who a bulk action would change.
type BulkPreview struct {
	Count  int
	Sample []BulkTarget
}

// BulkStatus is a job with its progress.
type BulkStatus struct {
	Job    *BulkJob
	Counts BulkCounts
	// ETA is the time left, from the lanes' rates; nil when unknown.
	ETA *time.Duration
}

// Remaining is the people the job has not reached yet.
func (c BulkCounts) Remaining() int {
	return max(c.Total-c.Sent-c.Failed-c.Cancelled-c.Skipped, 0)
}

// CountBulkItem adds n items in one state to c; the stores call it so
// that both count alike. req is the item's reset state, sent and
// delivered whether any of its messages was accepted or delivered.
func CountBulkItem(c *BulkCounts, item BulkItemState, req ResetState, sent, delivered bool, n int) {
	c.Total += n
	switch item {
	case ItemWaiting:
		c.Waiting += n
	case ItemDone:
		c.Sent += n
	case ItemSkipped:
		c.Skipped += n
	case ItemCancelled:
		c.Cancelled += n
	case ItemQueued:
		switch {
		case sent:
			c.Sent += n
			if delivered {
				c.Delivered += n
			}
		case req == StateReceived || req == "":
			c.Waiting += n
		case req == StateDelivering:
		default: // refused, every channel failed, or ended by a change
			c.Failed += n
		}
	}
}

func (a BulkAction) valid() bool {
	switch a {
	case BulkReset, BulkActivate, BulkDeactivate, BulkMobileOn, BulkMobileOff:
		return true
	}
	return false
}

// changes reports whether the action changes t: a reset goes to those who
// may have one, the others to those not already as asked.
func (a BulkAction) changes(t BulkTarget) bool {
	switch a {
	case BulkReset:
		return t.Status == StatusActive && t.MobileAccess
	case BulkActivate:
		return t.Status != StatusActive
	case BulkDeactivate:
		return t.Status == StatusActive
	case BulkMobileOn:
		return !t.MobileAccess
	case BulkMobileOff:
		return t.MobileAccess
	}
	return false
}

// parseLoginBefore reads last_login_before: a date (midnight UTC) or an
// RFC 3339 time.
func parseLoginBefore(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, Errorf(KindInvalid, "last_login_before_invalid",
		"last_login_before must be a date like 2027-03-01 or an RFC 3339 time")
}

// bulkSelect checks a bulk input and selects who it changes, in id order.
func (s *Service) bulkSelect(ctx context.Context, a Actor, in *BulkInput) (*Tenant, []BulkTarget, error) {
	if !in.Action.valid() {
		return nil, nil, Errorf(KindInvalid, "bulk_action_invalid",
			"action must be reset, activate, deactivate, mobile_on or mobile_off")
	}
	f := &in.Filter
	// A blank value names nothing: " " must not pass as a filter and then
	// read as the default status, which is everyone active.
	f.Status, f.Tag, f.LastLoginBefore = strings.TrimSpace(f.Status), strings.TrimSpace(f.Tag), strings.TrimSpace(f.LastLoginBefore)
	if f.Status == "" && f.Tag == "" && f.LastLoginBefore == "" && len(f.Emails) == 0 {
		return nil, nil, Errorf(KindInvalid, "filter_required",
			"name at least one of status, tag, last_login_before or emails: a bulk action never takes everyone by default")
	}
	t, err := s.scope(ctx, a, in.Tenant)
	if err != nil {
		return nil, nil, err
	}
	q := TargetQuery{TenantID: t.ID}
	if f.Status != "" {
		if q.Status, err = normalizeStatus(f.Status); err != nil {
			return nil, nil, err
		}
		f.Status = string(q.Status)
	}
	if f.Tag != "" {
		if q.Tag, err = NormalizeTag(f.Tag); err != nil {
			return nil, nil, err
		}
		f.Tag = q.Tag
	}
	if f.LastLoginBefore != "" {
		if q.LoginBefore, err = parseLoginBefore(f.LastLoginBefore); err != nil {
			return nil, nil, err
		}
	}
	var emails map[string]bool
	if len(f.Emails) > 0 {
		if len(f.Emails) > MaxBulkJob {
			return nil, nil, Errorf(KindInvalid, "bulk_too_large", "at most %d emails", MaxBulkJob)
		}
		emails = make(map[string]bool, len(f.Emails))
		for i, e := range f.Emails {
			n, err := NormalizeEmail(e)
			if err != nil {
				return nil, nil, Errorf(KindInvalid, "email_invalid", "emails[%d]: %s", i, errMessage(err))
			}
			f.Emails[i] = n
			emails[n] = true
		}
	}
	all, err := s.store.BulkTargets(ctx, q, 4*MaxBulkJob)
	if err != nil {
		return nil, nil, err
	}
	var out []BulkTarget
	for _, p := range all {
		if (emails == nil || emails[p.Email]) && in.Action.changes(p) {
			out = append(out, p)
		}
	}
	if len(out) > MaxBulkJob {
		return nil, nil, Errorf(KindInvalid, "bulk_too_large",
			"%d people match; one job takes at most %d: narrow the filter", len(out), MaxBulkJob)
	}
	return t, out, nil
}

// PreviewBulk says how many people a bulk action would change, and names
// the first of them; it changes nothing.
func (s *Service) PreviewBulk(ctx context.Context, a Actor, in BulkInput) (*BulkPreview, error) {
	_, targets, err := s.bulkSelect(ctx, a, &in)
	if err != nil {
		return nil, err
	}
	return &BulkPreview{Count: len(targets), Sample: targets[:min(len(targets), bulkSample)]}, nil
}

// StartBulk stores a bulk job over the people the input selects and
// starts it: resets go to the worker at bulk priority, behind the resets
// people are waiting for; the other actions are applied at once.
func (s *Service) StartBulk(ctx context.Context, a Actor, in BulkInput) (*BulkJob, error) {
	t, targets, err := s.bulkSelect(ctx, a, &in)
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, Errorf(KindInvalid, "bulk_empty", "nobody matches this filter (or everyone is already as asked)")
	}
	id, err := s.newID("bj_")
	if err != nil {
		return nil, err
	}
	now := s.clock()
	j := &BulkJob{ID: id, TenantID: t.ID, Action: in.Action, Filter: in.Filter, State: BulkRunning,
		Total: len(targets), ActorID: a.ID, CreatedAt: now, UpdatedAt: now}
	ids := make([]int64, len(targets))
	for i, p := range targets {
		ids[i] = p.ID
	}
	err = s.store.WithTx(ctx, func(st Store) error {
		if err := st.CreateBulkJob(ctx, j, ids); err != nil {
			return err
		}
		return s.adminEvent(ctx, st, a, Event{TenantID: t.ID, Type: EventBulkStarted, Code: string(j.Action),
			Detail: fmt.Sprintf("job %s: %s for %d people (%s)", j.ID, j.Action, j.Total, describeBulkFilter(in.Filter))})
	})
	if err != nil {
		return nil, err
	}
	s.bulk.gen.Add(1)
	if j.Action != BulkReset {
		if err := s.applyBulk(ctx, j); err != nil {
			return nil, err
		}
		return s.store.BulkJob(ctx, j.ID)
	}
	s.kick()
	return j, nil
}

func describeBulkFilter(f BulkFilter) string {
	var parts []string
	if f.Status != "" {
		parts = append(parts, "status="+f.Status)
	}
	if f.Tag != "" {
		parts = append(parts, "tag="+f.Tag)
	}
	if f.LastLoginBefore != "" {
		parts = append(parts, "last_login_before="+Clip(f.LastLoginBefore, 40))
	}
	if len(f.Emails) > 0 {
		parts = append(parts, fmt.Sprintf("%d emails", len(f.Emails)))
	}
	return strings.Join(parts, ", ")
}

// BulkJob returns a job with its progress, in the actor's scope: another
// tenant's job is not found.
func (s *Service) BulkJob(ctx context.Context, a Actor, id string) (*BulkStatus, error) {
	j, err := s.scopedJob(ctx, a, id)
	if err != nil {
		return nil, err
	}
	c, err := s.store.BulkCounts(ctx, j.ID)
	if err != nil {
		return nil, err
	}
	if j.State == BulkRunning && bulkFinished(c) {
		if _, err := s.store.SetBulkJobState(ctx, j.ID, BulkRunning, BulkDone, s.clock()); err != nil {
			return nil, err
		}
		j.State = BulkDone
	}
	st := &BulkStatus{Job: j, Counts: c}
	if j.State == BulkRunning {
		st.ETA = s.bulkETA(ctx, j, c)
	}
	return st, nil
}

// ListBulkJobs lists the newest jobs in the actor's scope.
func (s *Service) ListBulkJobs(ctx context.Context, a Actor, tenant string, limit int) ([]*BulkJob, error) {
	tid, err := s.scopeID(ctx, a, tenant)
	if err != nil {
		return nil, err
	}
	return s.store.ListBulkJobs(ctx, tid, "", max(min(limit, 100), 1))
}

func (s *Service) scopedJob(ctx context.Context, a Actor, id string) (*BulkJob, error) {
	if !strings.HasPrefix(id, "bj_") || len(id) > 64 {
		return nil, Errorf(KindNotFound, "not_found", "no such job")
	}
	j, err := s.store.BulkJob(ctx, id)
	if IsNotFound(err) || (err == nil && a.TenantID != 0 && j.TenantID != a.TenantID) {
		return nil, Errorf(KindNotFound, "not_found", "no such job")
	}
	return j, err
}

// bulkFinished: nobody waits, nothing of the job is left in the outbox.
func bulkFinished(c BulkCounts) bool {
	if c.Waiting > 0 || c.Remaining() > 0 {
		return false
	}
	for _, n := range c.Pending {
		if n > 0 {
			return false
		}
	}
	return true
}

// bulkETA estimates the time left: a paced lane's messages at its rate, an
// unpaced lane's at the pace the job has gone so far. The slowest route
// decides.
func (s *Service) bulkETA(ctx context.Context, j *BulkJob, c BulkCounts) *time.Duration {
	t, err := s.store.TenantByID(ctx, j.TenantID)
	if err != nil {
		return nil
	}
	rates := map[string]float64{}
	if s.lanes != nil {
		for _, l := range s.lanes() {
			for _, slug := range l.Tenants {
				if slug == t.Slug && l.RatePerSecond > 0 {
					rates[l.Kind] += l.RatePerSecond
				}
			}
		}
	}
	elapsed := s.clock().Sub(j.CreatedAt).Seconds()
	var worst float64
	known := false
	for route, n := range c.Pending {
		n += c.Waiting
		if n == 0 {
			continue
		}
		if r := rates[routeKind(route)]; r > 0 {
			worst, known = max(worst, float64(n)/r), true
		} else if c.Sent > 0 && elapsed > 0 {
			worst, known = max(worst, float64(n)*elapsed/float64(c.Sent)), true
		}
	}
	if !known && c.Waiting > 0 && c.Sent > 0 && elapsed > 0 {
		worst, known = float64(c.Waiting)*elapsed/float64(c.Sent), true
	}
	if !known {
		return nil
	}
	d := time.Duration(worst * float64(time.Second)).Round(time.Second)
	return &d
}
