package gateway

import "context"

// FailedReset is a rolled-back request as the failed-delivery queue shows
// it: the request with each delivery's error, the person, and the
// channels that were never tried (with the reason, such as a retired
// carrier gateway), which have no delivery of their own.
type FailedReset struct {
	Request *ResetRequest
	Person  *Person // nil when the record is gone
	Skipped []Event // sms_skipped events: Channel and Code say what and why
}

// FailedResets lists rolled-back requests, newest first, in the actor's
// scope.
func (s *Service) FailedResets(ctx context.Context, a Actor, tenant string, limit, offset int) ([]FailedReset, error) {
	rs, err := s.ListResets(ctx, a, tenant, StateRolledBack, limit, offset)
	if err != nil {
		return nil, err
	}
	out := make([]FailedReset, 0, len(rs))
	for _, r := range rs {
		f := FailedReset{Request: r}
		if r.PersonID != 0 {
			if f.Person, err = s.store.Person(ctx, r.TenantID, r.PersonID); err != nil && !IsNotFound(err) {
				return nil, err
			}
		}
		evs, err := s.store.ListEvents(ctx, EventFilter{TenantID: r.TenantID, RequestID: r.ID,
			Types: []string{"sms_skipped"}, Limit: 10})
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			f.Skipped = append(f.Skipped, *e)
		}
		out = append(out, f)
	}
	return out, nil
}
