package gateway

import "context"

// Verification links for people who have none: those imported or added
// before the tenant required verified emails. Never sent on their own:
// an admin sees how many would get one and confirms that number.

// verifyBatch is how many links one transaction queues.
const verifyBatch = 100

// VerificationBacklog counts the people SendVerificationLinks would mail:
// active, an email not verified, and no link that still works.
func (s *Service) VerificationBacklog(ctx context.Context, a Actor, tenant string) (int, error) {
	t, err := s.scope(ctx, a, tenant)
	if err != nil {
		return 0, err
	}
	return s.store.CountUnverifiedPeople(ctx, t.ID, s.clock())
}

// VerificationLinksResult is what SendVerificationLinks did.
type VerificationLinksResult struct {
	Sent      int
	Throttled int // skipped: this person had their hourly links already
}

// SendVerificationLinks mails a verification link to each person of the
// backlog, behind the resets people wait for (bulk priority), each within
// the per-person limit. confirm is the backlog the admin was shown: when
// it is no longer the count, nothing is sent (verify_count_changed), so a
// confirmation never mails more people than it named. Errors also:
// verification_not_required, public_url_required.
func (s *Service) SendVerificationLinks(ctx context.Context, a Actor, tenant string, confirm int) (*VerificationLinksResult, error) {
	t, err := s.scope(ctx, a, tenant)
	if err != nil {
		return nil, err
	}
	if !t.Lifecycle.RequireVerifiedEmail {
		return nil, Errorf(KindInvalid, "verification_not_required",
			"this company does not require verified emails: switch that on first")
	}
	if s.publicURL == "" {
		return nil, Errorf(KindInvalid, "public_url_required",
			"a verification link needs the gateway's public address (RESETGW_PUBLIC_URL)")
	}
	n, err := s.store.CountUnverifiedPeople(ctx, t.ID, s.clock())
	if err != nil {
		return nil, err
	}
	if n != confirm {
		return nil, Errorf(KindConflict, "verify_count_changed",
			"%d people would get a link now, not the %d confirmed: look at the number again", n, confirm)
	}
	res := &VerificationLinksResult{}
	var after int64
	for res.Sent+res.Throttled < n {
		var batch []*Person
		err := s.store.WithTx(ctx, func(st Store) error {
			var err error
			if batch, err = st.UnverifiedPeople(ctx, t.ID, s.clock(), after, min(verifyBatch, n-res.Sent-res.Throttled)); err != nil {
				return err
			}
			for _, p := range batch {
				err := s.sendVerification(ctx, st, a, t, p, PriorityBulk)
				if ErrorKind(err) == KindRateLimited {
					res.Throttled++
					continue
				} else if err != nil {
					return err
				}
				res.Sent++
			}
			return nil
		})
		if err != nil {
			return res, err
		}
		if len(batch) == 0 {
			break
		}
		after = batch[len(batch)-1].ID
		s.kick()
	}
	return res, nil
}
