package sqlstore

import (
	"context"
	"strings"

	"github.com/resetgw/resetgw/gateway"
)

// PersonCols are the personnel columns ScanPerson reads, in its order.
const PersonCols = `id, tenant_id, name, email, status, mobile_access, allow_mobile_reset,
	password_hash, must_change, locale, pending_request, created_at, updated_at,
	verified_email, email_verified_at, password_set_at`

// PhoneCols are the columns of a phone (as ph) ScanPhone reads, in its
// order, whether it opted out among them.
const PhoneCols = `ph.id, ph.person_id, ph.tenant_id, ph.number, ph.type, ph.carrier, ` + PhoneOptedOut

// CreatePerson implements gateway.Store.
func (s *Store) CreatePerson(ctx context.Context, p *gateway.Person) error {
	return s.withTx(ctx, func(tx *Store) error {
		id, err := tx.d.Insert(ctx, `INSERT INTO personnel (tenant_id, name, email, status,
			mobile_access, allow_mobile_reset, password_hash, must_change, locale, pending_request,
			created_at, updated_at, search_key, password_set_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			p.TenantID, p.Name, p.Email, string(p.Status), b2i(p.MobileAccess), b2i(p.AllowMobileReset),
			p.PasswordHash, b2i(p.MustChange), p.Locale, p.PendingRequest, Nanos(p.CreatedAt), Nanos(p.UpdatedAt), gateway.PersonSearchKey(p.Name, p.Email),
			Nanos(p.PasswordSetAt))
		if err != nil {
			return s.conflict(err, "email_taken", "a person with this email already exists")
		}
		p.ID = id
		if err := tx.insertPhones(ctx, p); err != nil {
			return err
		}
		return tx.saveTags(ctx, p)
	})
}

// UpdatePerson implements gateway.Store.
func (s *Store) UpdatePerson(ctx context.Context, p *gateway.Person) error {
	return s.withTx(ctx, func(tx *Store) error {
		res, err := tx.q.ExecContext(ctx, `UPDATE personnel SET name=?, email=?, status=?, mobile_access=?,
			allow_mobile_reset=?, password_hash=?, must_change=?, locale=?, pending_request=?, updated_at=?,
			search_key=? WHERE id=? AND tenant_id=?`,
			p.Name, p.Email, string(p.Status), b2i(p.MobileAccess), b2i(p.AllowMobileReset), p.PasswordHash,
			b2i(p.MustChange), p.Locale, p.PendingRequest, Nanos(p.UpdatedAt), gateway.PersonSearchKey(p.Name, p.Email),
			p.ID, p.TenantID)
		if err != nil {
			return s.conflict(err, "email_taken", "a person with this email already exists")
		}
		if err := s.mustAffect(res, nil); err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM phones WHERE person_id = ?`, p.ID); err != nil {
			return s.wrap(err)
		}
		if err := tx.insertPhones(ctx, p); err != nil {
			return err
		}
		return tx.saveTags(ctx, p)
	})
}

// SavePersonAuth implements gateway.Store.
func (s *Store) SavePersonAuth(ctx context.Context, p *gateway.Person) error {
	// Queued: a reset's transaction reads nothing back from it.
	return s.d.Queue(ctx, true, `UPDATE personnel SET password_hash=?, must_change=?, pending_request=?,
		updated_at=?, password_set_at=? WHERE id=? AND tenant_id=?`,
		p.PasswordHash, b2i(p.MustChange), p.PendingRequest, Nanos(p.UpdatedAt), Nanos(p.PasswordSetAt), p.ID, p.TenantID)
}

func (s *Store) insertPhones(ctx context.Context, p *gateway.Person) error {
	for i := range p.Phones {
		ph := &p.Phones[i]
		ph.PersonID, ph.TenantID = p.ID, p.TenantID
		id, err := s.d.Insert(ctx, `INSERT INTO phones (tenant_id, person_id, number, type, carrier)
			VALUES (?,?,?,?,?)`, p.TenantID, p.ID, ph.Number, string(ph.Type), ph.Carrier)
		if err != nil {
			return s.conflict(err, "phone_taken", "this phone number is already on someone's record")
		}
		ph.ID = id
	}
	return nil
}

// DeletePerson implements gateway.Store.
func (s *Store) DeletePerson(ctx context.Context, tenantID, id int64) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM personnel WHERE id = ? AND (CAST(? AS BIGINT) = 0 OR tenant_id = ?)`, id, tenantID, tenantID)
	return s.mustAffect(res, err)
}

// Person implements gateway.Store.
func (s *Store) Person(ctx context.Context, tenantID, id int64) (*gateway.Person, error) {
	return s.onePerson(ctx, `id = ? AND (CAST(? AS BIGINT) = 0 OR tenant_id = ?)`, id, tenantID, tenantID)
}

// PersonByEmail implements gateway.Store.
func (s *Store) PersonByEmail(ctx context.Context, tenantID int64, email string) (*gateway.Person, error) {
	return s.onePerson(ctx, `tenant_id = ? AND email = ?`, tenantID, email)
}

// PersonReader is a Dialect that reads one person, with phones, tags and
// last login, its own way (PostgreSQL: in one round trip). where is a
// condition on personnel with ? placeholders, naming one person at most.
type PersonReader interface {
	ReadPerson(ctx context.Context, where string, args ...any) (*gateway.Person, error)
}

// onePerson reads the person where names, with phones, tags and last
// login.
func (s *Store) onePerson(ctx context.Context, where string, args ...any) (*gateway.Person, error) {
	if r, ok := s.d.(PersonReader); ok {
		return r.ReadPerson(ctx, where, args...)
	}
	p, err := s.ScanPerson(s.q.QueryRowContext(ctx, `SELECT `+PersonCols+` FROM personnel WHERE `+where, args...))
	if err != nil {
		return nil, err
	}
	if err := s.loadPhones(ctx, []*gateway.Person{p}); err != nil {
		return nil, err
	}
	if err := s.loadExtras(ctx, []*gateway.Person{p}); err != nil {
		return nil, err
	}
	return p, nil
}

// ListPersonnel implements gateway.Store.
func (s *Store) ListPersonnel(ctx context.Context, f gateway.PersonFilter) ([]*gateway.Person, error) {
	where, args := personWhere(f)
	query := `SELECT ` + PersonCols + ` FROM personnel p` + where
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	query += ` ORDER BY p.name, p.id LIMIT ? OFFSET ?`
	// PostgreSQL refuses a negative OFFSET where SQLite reads it as 0: the
	// first page on both.
	args = append(args, limit, max(f.Offset, 0))
	out, err := s.queryPeople(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	if err := s.loadPhones(ctx, out); err != nil {
		return nil, err
	}
	return out, s.loadExtras(ctx, out)
}

// ScanPerson reads a row of PersonCols.
func (s *Store) ScanPerson(row Scanner) (*gateway.Person, error) {
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
		return nil, s.wrap(err)
	}
	p.Status = gateway.PersonStatus(status)
	p.MobileAccess, p.AllowMobileReset, p.MustChange = mobile == 1, allow == 1, must == 1
	p.CreatedAt, p.UpdatedAt = FromNanos(created), FromNanos(updated)
	p.EmailVerifiedAt, p.PasswordSetAt = FromNanos(verifiedAt), FromNanos(pwSetAt)
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
	rows, err := s.q.QueryContext(ctx, `SELECT `+PhoneCols+` FROM phones ph
		WHERE ph.person_id IN (`+strings.Join(ph, ",")+`) ORDER BY ph.id`, args...)
	if err != nil {
		return s.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		phone, err := s.ScanPhone(rows)
		if err != nil {
			return err
		}
		p := byID[phone.PersonID]
		p.Phones = append(p.Phones, *phone)
	}
	return s.wrap(rows.Err())
}

// ScanPhone reads a row of PhoneCols.
func (s *Store) ScanPhone(row Scanner) (*gateway.Phone, error) {
	var (
		ph       gateway.Phone
		typ      string
		optedOut bool // a boolean on PostgreSQL, 0 or 1 on SQLite: database/sql reads either
	)
	if err := row.Scan(&ph.ID, &ph.PersonID, &ph.TenantID, &ph.Number, &typ, &ph.Carrier, &optedOut); err != nil {
		return nil, s.wrap(err)
	}
	ph.Type = gateway.PhoneType(typ)
	ph.OptedOut = optedOut
	return &ph, nil
}

// PhoneByNumber implements gateway.Store.
func (s *Store) PhoneByNumber(ctx context.Context, e164 string) (*gateway.Phone, error) {
	return s.ScanPhone(s.q.QueryRowContext(ctx, `SELECT `+PhoneCols+` FROM phones ph WHERE ph.number = ?`, e164))
}

// queryPeople runs a query that selects PersonCols and scans every row
// (without phones: the caller loads them when it needs them).
func (s *Store) queryPeople(ctx context.Context, query string, args ...any) ([]*gateway.Person, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*gateway.Person
	for rows.Next() {
		p, err := s.ScanPerson(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, s.wrap(rows.Err())
}
