package gateway

import "context"

// The console's lists show where a page is in the whole ("1–50 of
// 2,008"): each page comes with its total, counted by the store with the
// same filter.

// PersonnelPage is a page of ListPersonnel and the number of records the
// search matches in all.
func (s *Service) PersonnelPage(ctx context.Context, a Actor, tenant, query string, limit, offset int) ([]*Person, int, error) {
	return s.PersonnelPageTagged(ctx, a, tenant, query, "", limit, offset)
}

// PersonnelPageTagged is PersonnelPage narrowed to the people with a tag
// ("" for everyone); a tag that cannot be one is tag_invalid.
func (s *Service) PersonnelPageTagged(ctx context.Context, a Actor, tenant, query, tag string, limit, offset int) ([]*Person, int, error) {
	tid, err := s.scopeID(ctx, a, tenant)
	if err != nil {
		return nil, 0, err
	}
	if tag != "" {
		if tag, err = NormalizeTag(tag); err != nil {
			return nil, 0, err
		}
	}
	f := PersonFilter{TenantID: tid, Query: query, Tag: tag, Limit: limit, Offset: max(offset, 0)}
	n, err := s.store.CountPersonnel(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	ps, err := s.store.ListPersonnel(ctx, f)
	return ps, n, err
}

// Tags is the tags the people in scope carry, with how many carry each
// (a filter's choices).
func (s *Service) Tags(ctx context.Context, a Actor, tenant string) ([]TagCount, error) {
	tid, err := s.scopeID(ctx, a, tenant)
	if err != nil {
		return nil, err
	}
	return s.store.TagCounts(ctx, tid)
}

// EventsPage is a page of the log (Events) and the number of events the
// filter matches in all.
func (s *Service) EventsPage(ctx context.Context, a Actor, q EventQuery) ([]*Event, int, error) {
	f, err := s.eventFilter(ctx, a, q)
	if err != nil {
		return nil, 0, err
	}
	n, err := s.store.CountEvents(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	evs, err := s.Events(ctx, a, q)
	return evs, n, err
}

// PersonRef is who an event is about, as a page shows them.
type PersonRef struct {
	ID    int64
	Name  string
	Email string
}

// PeopleByID names the people with these ids that the actor may see;
// ids of deleted records (or of another tenant) are left out.
func (s *Service) PeopleByID(ctx context.Context, a Actor, ids []int64) (map[int64]PersonRef, error) {
	out := map[int64]PersonRef{}
	for _, id := range ids {
		if _, done := out[id]; done || id == 0 {
			continue
		}
		p, err := s.store.Person(ctx, a.TenantID, id)
		if IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = PersonRef{ID: p.ID, Name: p.Name, Email: p.Email}
	}
	return out, nil
}
