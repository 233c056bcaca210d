package gateway

import (
	"context"
	"strconv"
)

// maxBulk bounds one bulk reset.
const maxBulk = 1000

// BulkReset starts a reset for each of the people named (a returning
// seasonal crew), in the actor's tenant scope. Each goes through the same
// rules as a reset the person asked for, but its messages wait behind
// those: in a lane, someone locked out goes first. It returns the request
// ids in the order of personIDs.
//
// Errors: bulk_invalid (none, too many, or repeated), not_found for a
// person outside the scope.
func (s *Service) BulkReset(ctx context.Context, a Actor, tenant string, personIDs []int64) ([]string, error) {
	if len(personIDs) == 0 || len(personIDs) > maxBulk {
		return nil, Errorf(KindInvalid, "bulk_invalid", "name 1 to %d people", maxBulk)
	}
	t, err := s.scope(ctx, a, tenant)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var rs []*ResetRequest
	now := s.clock()
	for _, pid := range personIDs {
		if seen[pid] {
			return nil, Errorf(KindInvalid, "bulk_invalid", "person %d is named twice", pid)
		}
		seen[pid] = true
		p, err := s.store.Person(ctx, t.ID, pid)
		if err != nil {
			return nil, err
		}
		id, err := s.newID("rr_")
		if err != nil {
			return nil, err
		}
		r := &ResetRequest{ID: id, TenantSlug: t.Slug, Email: p.Email, Source: SourceBulk, IP: a.IP,
			State: StateReceived, CreatedAt: now, UpdatedAt: now}
		for _, ph := range p.Phones {
			if ph.Type == PhoneSMS {
				r.Phone = ph.Number
				break
			}
		}
		rs = append(rs, r)
	}
	err = s.store.WithTx(ctx, func(st Store) error {
		for _, r := range rs {
			if err := st.CreateReset(ctx, r); err != nil {
				return err
			}
		}
		return s.adminEvent(ctx, st, a, Event{TenantID: t.ID, Type: "bulk_reset",
			Detail: strconv.Itoa(len(rs)) + " people"})
	})
	if err != nil {
		return nil, err
	}
	s.kick()
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids, nil
}
