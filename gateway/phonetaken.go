package gateway

import (
	"context"
	"fmt"
)

// errPhoneTaken is what a tenant's admin is told when a number is on
// someone's record already: the same whether the record is in their own
// tenant or another's, and without the number, so that trying numbers
// does not map which phones another company has on file.
var errPhoneTaken = Errorf(KindConflict, "phone_taken", "this phone number is already on someone's record")

// phoneTaken turns the store's phone_taken (the person's phones broke the
// numbers' uniqueness) into the answer for a: the generic one for a
// tenant's admin; for the operator, which tenant and record hold which
// number.
func (s *Service) phoneTaken(ctx context.Context, a Actor, err error, p *Person) error {
	if ErrorCode(err) != "phone_taken" {
		return err
	}
	if a.TenantID != 0 {
		return errPhoneTaken
	}
	for _, ph := range p.Phones {
		held, lerr := s.store.PhoneByNumber(ctx, ph.Number)
		if lerr != nil || (held.PersonID == p.ID && p.ID != 0) {
			continue
		}
		return s.phoneHeld(ctx, a, held)
	}
	return errPhoneTaken
}

// phoneHeld is the phone_taken answer about a number held by the record
// of held.
func (s *Service) phoneHeld(ctx context.Context, a Actor, held *Phone) error {
	if a.TenantID != 0 {
		return errPhoneTaken
	}
	t, err := s.store.TenantByID(ctx, held.TenantID)
	if err != nil {
		return errPhoneTaken
	}
	return &Error{Kind: KindConflict, Code: "phone_taken",
		Message: fmt.Sprintf("the phone number %s is on the record of person %d in tenant %q", held.Number, held.PersonID, t.Slug)}
}
