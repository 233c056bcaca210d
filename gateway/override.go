package gateway

import "context"

// PasswordInput is an admin setting a person's password by hand (MoversSuite's
// manual password entry, for when delivery failed): a password the person
// chose, checked against the rules, or one generated here.
type PasswordInput struct {
	Tenant   string
	Password string
	Generate bool
	// MustChange says whether the person must change it at next login;
	// nil takes the tenant's MustChange (on by default).
	MustChange *bool
}

// PasswordResult says what SetPassword did. Generated holds a generated
// password: it is shown to the admin once and kept nowhere else.
type PasswordResult struct {
	PersonID   int64
	Generated  string
	MustChange bool
}

// ReasonPasswordSet ends a pending reset replaced by an admin's password.
const ReasonPasswordSet = "password_set_by_admin"

// SetPassword sets a person's password by hand: checked against the rules
// (a 422 password_* error otherwise), hashed with argon2id, optionally to
// be changed at next login. It ends a pending reset, queues a notification
// email (which never holds the password), and logs who did it.
func (s *Service) SetPassword(ctx context.Context, a Actor, id int64, in PasswordInput) (*PasswordResult, error) {
	tid, err := s.scopeID(ctx, a, in.Tenant)
	if err != nil {
		return nil, err
	}
	p, err := s.store.Person(ctx, tid, id)
	if err != nil {
		return nil, err
	}
	t, err := s.store.TenantByID(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	must := t.MustChange
	if in.MustChange != nil {
		must = *in.MustChange
	}
	res := &PasswordResult{PersonID: p.ID, MustChange: must}
	pw, how := in.Password, "entered"
	if in.Generate {
		if pw, err = s.generatePassword(); err != nil {
			return nil, err
		}
		res.Generated, how = pw, "generated"
	} else if err := CheckPassword(pw, t.MinPasswordLength, p.Email, p.Name); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return nil, Internal(err)
	}
	note, err := s.emailDelivery(p, "password_set", MessageData{Name: p.Name, Company: t.Name, MustChange: must})
	if err != nil {
		return nil, err
	}
	err = s.store.WithTx(ctx, func(st Store) error {
		cur, err := st.Person(ctx, p.TenantID, p.ID)
		if err != nil {
			return err
		}
		// A reset still out would let its temporary password in, or
		// (with KeepOriginal off) lock out the one just set.
		if err := s.endPending(ctx, st, cur, ReasonPasswordSet); err != nil {
			return err
		}
		cur.PasswordHash, cur.MustChange, cur.UpdatedAt = hash, must, s.clock()
		cur.PasswordSetAt = cur.UpdatedAt
		if err := st.SavePersonAuth(ctx, cur); err != nil {
			return err
		}
		detail := how
		if must {
			detail += ",must_change"
		}
		if err := s.adminEvent(ctx, st, a, Event{TenantID: cur.TenantID, Type: "password_set", PersonID: cur.ID,
			Detail: detail}); err != nil {
			return err
		}
		if !mailable(t, cur) {
			if err := s.event(ctx, st, emailSkipped(t, cur, "")); err != nil {
				return err
			}
		} else if err := s.enqueue(ctx, st, cur.TenantID, cur.ID, note); err != nil {
			return err
		}
		// The mail above is this change's notice; a text goes too.
		return s.passwordChangedNotice(ctx, st, t, cur, nil, false)
	})
	if err != nil {
		return nil, err
	}
	s.kick()
	return res, nil
}

// RetryReset starts a fresh reset (a new password) for the person of a
// rolled-back request, on the admin's word: it skips the public rate
// limits but not the rules (an inactive person is still refused).
func (s *Service) RetryReset(ctx context.Context, a Actor, requestID string) (string, error) {
	old, err := s.Reset(ctx, a, requestID)
	if err != nil {
		return "", err
	}
	if old.State != StateRolledBack || old.PersonID == 0 {
		return "", Errorf(KindConflict, "not_rolled_back", "only a rolled-back request can be retried")
	}
	p, err := s.store.Person(ctx, old.TenantID, old.PersonID)
	if err != nil {
		return "", err
	}
	t, err := s.store.TenantByID(ctx, p.TenantID)
	if err != nil {
		return "", err
	}
	id, err := s.newID("rr_")
	if err != nil {
		return "", err
	}
	now := s.clock()
	r := &ResetRequest{ID: id, TenantSlug: t.Slug, Email: p.Email, Phone: old.Phone, Source: SourceAdmin,
		IP: a.IP, State: StateReceived, CreatedAt: now, UpdatedAt: now}
	if r.Phone == "" {
		for _, ph := range p.Phones {
			if ph.Type == PhoneSMS {
				r.Phone = ph.Number
				break
			}
		}
	}
	err = s.store.WithTx(ctx, func(st Store) error {
		if err := st.CreateReset(ctx, r); err != nil {
			return err
		}
		return s.adminEvent(ctx, st, a, Event{TenantID: t.ID, Type: "reset_retried", RequestID: r.ID,
			PersonID: p.ID, Detail: "retry of " + old.ID})
	})
	if err != nil {
		return "", err
	}
	s.kick()
	return r.ID, nil
}
