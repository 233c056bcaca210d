package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/sqlstore"
)

const personCols = `id, tenant_id, name, email, status, mobile_access, allow_mobile_reset,
	password_hash, must_change, locale, pending_request, created_at, updated_at,
	verified_email, email_verified_at, password_set_at`

// CreatePerson implements gateway.Store.
func (s *Store) CreatePerson(ctx context.Context, p *gateway.Person) error {
	return s.WithTx(ctx, func(st gateway.Store) error {
		tx := st.(*Store)
		err := tx.q.QueryRowContext(ctx, `INSERT INTO personnel (tenant_id, name, email, status,
			mobile_access, allow_mobile_reset, password_hash, must_change, locale, pending_request,
			created_at, updated_at, search_key, password_set_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			p.TenantID, p.Name, p.Email, string(p.Status), b2i(p.MobileAccess), b2i(p.AllowMobileReset),
			p.PasswordHash, b2i(p.MustChange), p.Locale, p.PendingRequest, ts(p.CreatedAt), ts(p.UpdatedAt), gateway.PersonSearchKey(p.Name, p.Email),
			ts(p.PasswordSetAt)).Scan(&p.ID)
		if err != nil {
			return conflict(err, "email_taken", "a person with this email already exists")
		}
		if err := tx.insertPhones(ctx, p); err != nil {
			return err
		}
		return tx.saveTags(ctx, p)
	})
}

// UpdatePerson implements gateway.Store.
func (s *Store) UpdatePerson(ctx context.Context, p *gateway.Person) error {
	return s.WithTx(ctx, func(st gateway.Store) error {
		tx := st.(*Store)
		res, err := tx.q.ExecContext(ctx, `UPDATE personnel SET name=?, email=?, status=?, mobile_access=?,
			allow_mobile_reset=?, password_hash=?, must_change=?, locale=?, pending_request=?, updated_at=?,
			search_key=? WHERE id=? AND tenant_id=?`,
			p.Name, p.Email, string(p.Status), b2i(p.MobileAccess), b2i(p.AllowMobileReset), p.PasswordHash,
			b2i(p.MustChange), p.Locale, p.PendingRequest, ts(p.UpdatedAt), gateway.PersonSearchKey(p.Name, p.Email),
			p.ID, p.TenantID)
		if err != nil {
			return conflict(err, "email_taken", "a person with this email already exists")
		}
		if err := mustAffect(res, nil); err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM phones WHERE person_id = ?`, p.ID); err != nil {
			return wrap(err)
		}
		if err := tx.insertPhones(ctx, p); err != nil {
			return err
		}
		return tx.saveTags(ctx, p)
	})
}

// SavePersonAuth implements gateway.Store.
func (s *Store) SavePersonAuth(ctx context.Context, p *gateway.Person) error {
	return s.queue(ctx, `UPDATE personnel SET password_hash=?, must_change=?, pending_request=?,
		updated_at=?, password_set_at=? WHERE id=? AND tenant_id=?`, execDone(true),
		p.PasswordHash, b2i(p.MustChange), p.PendingRequest, ts(p.UpdatedAt), ts(p.PasswordSetAt), p.ID, p.TenantID)
}

func (s *Store) insertPhones(ctx context.Context, p *gateway.Person) error {
	for i := range p.Phones {
		ph := &p.Phones[i]
		ph.PersonID, ph.TenantID = p.ID, p.TenantID
		err := s.q.QueryRowContext(ctx, `INSERT INTO phones (tenant_id, person_id, number, type, carrier)
			VALUES (?,?,?,?,?) RETURNING id`, p.TenantID, p.ID, ph.Number, string(ph.Type), ph.Carrier).Scan(&ph.ID)
		if err != nil {
			return conflict(err, "phone_taken", "this phone number is already on someone's record")
		}
	}
	return nil
}

// DeletePerson implements gateway.Store.
func (s *Store) DeletePerson(ctx context.Context, tenantID, id int64) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM personnel WHERE id = ? AND (?::bigint = 0 OR tenant_id = ?)`, id, tenantID, tenantID)
	return mustAffect(res, err)
}

// Person implements gateway.Store.
func (s *Store) Person(ctx context.Context, tenantID, id int64) (*gateway.Person, error) {
	return s.onePerson(ctx, `id = ? AND (?::bigint = 0 OR tenant_id = ?)`, id, tenantID, tenantID)
}

// PersonByEmail implements gateway.Store.
func (s *Store) PersonByEmail(ctx context.Context, tenantID int64, email string) (*gateway.Person, error) {
	return s.onePerson(ctx, `tenant_id = ? AND email = ?`, tenantID, email)
}

// onePerson reads the person where names (one at most) with phones,
// tags and last login, in one round trip (personread.go).
func (s *Store) onePerson(ctx context.Context, where string, args ...any) (*gateway.Person, error) {
	var p *gateway.Person
	err := s.batch(ctx, func(b *pgx.Batch) { queuePersonRead(b, where, args) },
		func(br pgx.BatchResults) (err error) { p, err = readPerson(br); return err })
	return p, err
}

// ListPersonnel implements gateway.Store.
func (s *Store) ListPersonnel(ctx context.Context, f gateway.PersonFilter) ([]*gateway.Person, error) {
	where, args := personWhere(f)
	query := `SELECT ` + personCols + ` FROM personnel p` + where
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	query += ` ORDER BY p.name, p.id LIMIT ? OFFSET ?`
	args = append(args, limit, f.Offset)
	out, err := s.queryPeople(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	if err := s.loadPhones(ctx, out); err != nil {
		return nil, err
	}
	return out, s.loadExtras(ctx, out)
}

func scanPerson(row scanner) (*gateway.Person, error) {
	var (
		p                   gateway.Person
		status              string
		mobile, allow, must int
		created, updated    int64
		verifiedAt, pwSetAt int64
	)
	err := row.Scan(&p.ID, &p.TenantID, &p.Name, &p.Email, &status, &mobile, &allow, &p.PasswordHash,
		&must, &p.Locale, &p.PendingRequest, &created, &updated, &p.VerifiedEmail, &verifiedAt, &pwSetAt)
	if err != nil {
		return nil, wrap(err)
	}
	p.Status = gateway.PersonStatus(status)
	p.MobileAccess, p.AllowMobileReset, p.MustChange = mobile == 1, allow == 1, must == 1
	p.CreatedAt, p.UpdatedAt = fromTS(created), fromTS(updated)
	p.EmailVerifiedAt, p.PasswordSetAt = fromTS(verifiedAt), fromTS(pwSetAt)
	return &p, nil
}

func (s *Store) loadPhones(ctx context.Context, people []*gateway.Person) error {
	if len(people) == 0 {
		return nil
	}
	byID := make(map[int64]*gateway.Person, len(people))
	ph := make([]string, 0, len(people))
	args := make([]any, 0, len(people))
	for _, p := range people {
		byID[p.ID] = p
		ph = append(ph, "?")
		args = append(args, p.ID)
	}
	rows, err := s.q.QueryContext(ctx, `SELECT ph.id, ph.person_id, ph.tenant_id, ph.number, ph.type, ph.carrier,
		`+sqlstore.PhoneOptedOut+` FROM phones ph
		WHERE ph.person_id IN (`+strings.Join(ph, ",")+`) ORDER BY ph.id`, args...)
	if err != nil {
		return wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		phone, err := scanPhone(rows)
		if err != nil {
			return err
		}
		p := byID[phone.PersonID]
		p.Phones = append(p.Phones, *phone)
	}
	return wrap(rows.Err())
}

func scanPhone(row scanner) (*gateway.Phone, error) {
	var (
		ph       gateway.Phone
		typ      string
		optedOut bool // EXISTS is a boolean here, not SQLite's 0/1
	)
	if err := row.Scan(&ph.ID, &ph.PersonID, &ph.TenantID, &ph.Number, &typ, &ph.Carrier, &optedOut); err != nil {
		return nil, wrap(err)
	}
	ph.Type = gateway.PhoneType(typ)
	ph.OptedOut = optedOut
	return &ph, nil
}

// PhoneByNumber implements gateway.Store.
func (s *Store) PhoneByNumber(ctx context.Context, e164 string) (*gateway.Phone, error) {
	return scanPhone(s.q.QueryRowContext(ctx, `SELECT ph.id, ph.person_id, ph.tenant_id, ph.number, ph.type,
		ph.carrier, `+sqlstore.PhoneOptedOut+` FROM phones ph WHERE ph.number = ?`, e164))
}

// conflict gives a UNIQUE violation a specific code and message.
func conflict(err error, code, msg string) error {
	err = wrap(err)
	if gateway.ErrorKind(err) == gateway.KindConflict {
		return &gateway.Error{Kind: gateway.KindConflict, Code: code, Message: msg}
	}
	return err
}

// queryPeople runs a query that selects personCols and scans every row
// (without phones: the caller loads them when it needs them).
func (s *Store) queryPeople(ctx context.Context, query string, args ...any) ([]*gateway.Person, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []*gateway.Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, wrap(rows.Err())
}
