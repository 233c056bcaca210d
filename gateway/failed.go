package gateway

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// FailedReset is a rolled-back request as the failed-delivery queue shows
// it: the request with each delivery's error, the person, and the
// channels that were never tried (with the reason, such as a retired
// carrier gateway), which have no delivery of their own.
type FailedReset struct {
	Request *ResetRequest
	Person  *Person // nil when the record is gone
	Skipped []Event // sms_skipped events: Channel and Code say what and why
}

// FailedItem is one person in the failed-delivery queue: their latest
// rolled-back request, the earlier ones (History), the latest retry
// since then and how the item was resolved, if it was.
type FailedItem struct {
	FailedReset
	History []*ResetRequest
	// Retry is the newest retry started after the failure (nil if none);
	// while it is on its way the item stays in the queue.
	Retry *ResetRequest
	// Resolution says how the item left the queue ("" while open):
	// the retry delivered, a password set by hand, or marked resolved.
	Resolution string
	ResolvedBy string
	ResolvedAt time.Time
	Note       string
}

// Resolved is whether the item has left the queue.
func (f FailedItem) Resolved() bool { return f.Resolution != "" }

// Resolutions of a failed-delivery item.
const (
	ResolvedDelivered = "retry delivered"
	ResolvedPassword  = "password set by hand"
	ResolvedMarked    = "marked resolved"
)

// failedScan bounds how many rolled-back requests the queue groups.
const failedScan = 2000

// FailedResets lists rolled-back requests, newest first, in the actor's
// scope.
func (s *Service) FailedResets(ctx context.Context, a Actor, tenant string, limit, offset int) ([]FailedReset, error) {
	rs, err := s.ListResets(ctx, a, tenant, StateRolledBack, limit, offset)
	if err != nil {
		return nil, err
	}
	out := make([]FailedReset, 0, len(rs))
	for _, r := range rs {
		f, err := s.failedReset(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func (s *Service) failedReset(ctx context.Context, r *ResetRequest) (FailedReset, error) {
	f := FailedReset{Request: r}
	var err error
	if r.PersonID != 0 {
		if f.Person, err = s.store.Person(ctx, r.TenantID, r.PersonID); err != nil && !IsNotFound(err) {
			return f, err
		}
	}
	evs, err := s.store.ListEvents(ctx, EventFilter{TenantID: r.TenantID, RequestID: r.ID,
		Types: []string{"sms_skipped"}, Limit: 10})
	if err != nil {
		return f, err
	}
	for _, e := range evs {
		f.Skipped = append(f.Skipped, *e)
	}
	return f, nil
}

// FailedQueue is the failed-delivery queue by person, newest failure
// first: open items, or with resolved true the ones that left it. total
// is the count before paging. It groups the latest failedScan rolled-back
// requests.
func (s *Service) FailedQueue(ctx context.Context, a Actor, tenant string, resolved bool, limit, offset int) ([]FailedItem, int, error) {
	rs, err := s.ListResets(ctx, a, tenant, StateRolledBack, failedScan, 0)
	if err != nil {
		return nil, 0, err
	}
	type key struct {
		tenant int64
		person int64
		email  string
	}
	byPerson := map[key][]*ResetRequest{}
	var order []key
	for _, r := range rs {
		k := key{tenant: r.TenantID, person: r.PersonID}
		if r.PersonID == 0 {
			k.email = r.Email
		}
		if _, ok := byPerson[k]; !ok {
			order = append(order, k)
		}
		byPerson[k] = append(byPerson[k], r)
	}
	var items []FailedItem
	for _, k := range order {
		group := byPerson[k]
		slices.SortFunc(group, func(x, y *ResetRequest) int { return y.CreatedAt.Compare(x.CreatedAt) })
		fr, err := s.failedReset(ctx, group[0])
		if err != nil {
			return nil, 0, err
		}
		it := FailedItem{FailedReset: fr, History: group[1:]}
		if err := s.resolution(ctx, &it); err != nil {
			return nil, 0, err
		}
		if it.Resolved() == resolved {
			items = append(items, it)
		}
	}
	total := len(items)
	if offset >= total {
		return nil, total, nil
	}
	return items[offset:min(offset+limit, total)], total, nil
}

// resolution reads the person's events since the latest failure: a
// retry (and how it went), a password set by hand, a resolve mark.
func (s *Service) resolution(ctx context.Context, it *FailedItem) error {
	r := it.Request
	if r.PersonID == 0 {
		return nil
	}
	evs, err := s.store.ListEvents(ctx, EventFilter{TenantID: r.TenantID, PersonID: r.PersonID, Since: r.CreatedAt,
		Types: []string{"reset_retried", "password_set", "failed_resolved"}, Limit: 100})
	if err != nil {
		return err
	}
	for _, e := range evs { // oldest first
		switch e.Type {
		case "reset_retried":
			if e.RequestID == r.ID {
				continue
			}
			rr, err := s.store.Reset(ctx, e.RequestID)
			if err != nil {
				if IsNotFound(err) {
					continue
				}
				return err
			}
			it.Retry = rr
			if rr.State == StateDelivered && it.Resolution == "" {
				it.Resolution, it.ResolvedBy, it.ResolvedAt = ResolvedDelivered, e.Actor, rr.UpdatedAt
			}
		case "password_set":
			if it.Resolution == "" {
				it.Resolution, it.ResolvedBy, it.ResolvedAt = ResolvedPassword, e.Actor, e.At
			}
		case "failed_resolved":
			if it.Resolution == "" && e.RequestID == r.ID {
				it.Resolution, it.ResolvedBy, it.ResolvedAt, it.Note = ResolvedMarked, e.Actor, e.At, e.Detail
			}
		}
	}
	return nil
}

// ResolveFailed marks a failed-delivery item resolved with the admin's
// note (what was done: "called him, he uses the old password").
func (s *Service) ResolveFailed(ctx context.Context, a Actor, requestID, note string) error {
	r, err := s.Reset(ctx, a, requestID)
	if err != nil {
		return err
	}
	if r.State != StateRolledBack {
		return Errorf(KindConflict, "not_rolled_back", "only a failed request can be marked resolved")
	}
	note = strings.TrimSpace(note)
	if note == "" || utf8.RuneCountInString(note) > 500 || strings.ContainsAny(note, "\x00") {
		return Errorf(KindInvalid, "note_invalid", "say in a few words how it was resolved (at most 500 characters)")
	}
	return s.adminEvent(ctx, s.store, a, Event{TenantID: r.TenantID, Type: "failed_resolved", RequestID: r.ID,
		PersonID: r.PersonID, Detail: note})
}
