package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/sqlstore"
)

// queuePersonRead queues the reads of the person where names (a condition
// on personnel, ? placeholders): the row with its last login, its phones
// and its tags. Each statement selects the person again by the same
// condition, so none waits for another's answer.
func queuePersonRead(b *pgx.Batch, where string, args []any) {
	b.Queue(rebind(`SELECT `+sqlstore.PersonCols+`, last_login_at FROM personnel WHERE `+where), args...)
	b.Queue(rebind(`SELECT `+sqlstore.PhoneCols+`
		FROM phones ph WHERE ph.person_id IN (SELECT id FROM personnel WHERE `+where+`) ORDER BY ph.id`), args...)
	b.Queue(rebind(`SELECT tag FROM person_tags WHERE person_id IN (SELECT id FROM personnel WHERE `+where+`)
		ORDER BY tag`), args...)
}

// withExtra scans a row's trailing columns into extra.
type withExtra struct {
	row   scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }

func (s *Store) readPerson(br pgx.BatchResults) (*gateway.Person, error) {
	var lastLogin int64
	p, perr := s.ScanPerson(withExtra{br.QueryRow(), []any{&lastLogin}})
	// Every result is read, in order, whatever the first said.
	var phones []gateway.Phone
	rows, err := br.Query()
	if err != nil {
		return nil, wrap(err)
	}
	for rows.Next() {
		ph, err := s.ScanPhone(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		phones = append(phones, *ph)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	var tags []string
	rows, err = br.Query()
	if err != nil {
		return nil, wrap(err)
	}
	for rows.Next() {
		var tag string
		if err := rows.Scan(&tag); err != nil {
			rows.Close()
			return nil, wrap(err)
		}
		tags = append(tags, tag)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	if perr != nil {
		return nil, perr
	}
	p.Phones, p.Tags = phones, tags
	if lastLogin != 0 {
		p.LastLoginAt = fromTS(lastLogin)
	}
	return p, nil
}

// ReadPerson is how the shared store (gateway/sqlstore) reads one person
// here: the person where names (one at most) with phones, tags and last
// login, in one round trip.
func (d dialect) ReadPerson(ctx context.Context, where string, args ...any) (*gateway.Person, error) {
	var p *gateway.Person
	err := d.s.batch(ctx, func(b *pgx.Batch) { queuePersonRead(b, where, args) },
		func(br pgx.BatchResults) (err error) { p, err = d.s.readPerson(br); return err })
	return p, err
}
