package sqlstore

import (
	"context"
	"strings"

	"github.com/resetgw/resetgw/gateway"
)

// personWhere is the WHERE of a personnel search: a tenant, and a query
// matched against the folded name and email (gateway.SearchFold: accents
// and case aside) or, with three digits or more, a phone number.
func personWhere(f gateway.PersonFilter) (string, []any) {
	var where []string
	var args []any
	if f.TenantID != 0 {
		where = append(where, "p.tenant_id = ?")
		args = append(args, f.TenantID)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := "%" + escapeLike(gateway.SearchFold(q)) + "%"
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, q)
		cond := `(p.search_key LIKE ? ESCAPE '\'`
		args = append(args, like)
		if len(digits) >= 3 {
			cond += ` OR EXISTS (SELECT 1 FROM phones ph WHERE ph.person_id = p.id AND ph.number LIKE ?)`
			args = append(args, "%"+digits+"%")
		}
		where = append(where, cond+")")
	}
	if f.Tag != "" {
		where = append(where, "EXISTS (SELECT 1 FROM person_tags pt WHERE pt.person_id = p.id AND pt.tag = ?)")
		args = append(args, f.Tag)
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// CountPersonnel implements gateway.Store.
func (s *Store) CountPersonnel(ctx context.Context, f gateway.PersonFilter) (int, error) {
	where, args := personWhere(f)
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM personnel p`+where, args...).Scan(&n)
	return n, s.wrap(err)
}

// BackfillSearchKeys folds the names of records written before the
// search key existed (its migration leaves it empty), in batches: every
// write since keeps the key, so a store runs it once, when it opens.
func (s *Store) BackfillSearchKeys(ctx context.Context) error {
	for {
		rows, err := s.q.QueryContext(ctx, `SELECT id, name, email FROM personnel WHERE search_key = '' LIMIT 500`)
		if err != nil {
			return s.wrap(err)
		}
		type rec struct {
			id          int64
			name, email string
		}
		var batch []rec
		for rows.Next() {
			var r rec
			if err := rows.Scan(&r.id, &r.name, &r.email); err != nil {
				rows.Close()
				return s.wrap(err)
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.wrap(err)
		}
		if len(batch) == 0 {
			return nil
		}
		err = s.withTx(ctx, func(tx *Store) error {
			for _, r := range batch {
				if _, err := tx.q.ExecContext(ctx, `UPDATE personnel SET search_key = ? WHERE id = ?`,
					gateway.PersonSearchKey(r.name, r.email), r.id); err != nil {
					return s.wrap(err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
}
