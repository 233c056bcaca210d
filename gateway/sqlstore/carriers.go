package sqlstore

import (
	"context"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

const carrierCols = `slug, name, country, sms_domain, mms_domain, number_format, status, retired_on, note`

// UpsertCarrier implements gateway.Store.
func (s *Store) UpsertCarrier(ctx context.Context, c *gateway.Carrier) error {
	retired := ""
	if !c.RetiredOn.IsZero() {
		retired = c.RetiredOn.Format(time.DateOnly)
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO carriers (`+carrierCols+`) VALUES (?,?,?,?,?,?,?,?,?)
		ON CONFLICT (slug) DO UPDATE SET name=excluded.name, country=excluded.country,
		sms_domain=excluded.sms_domain, mms_domain=excluded.mms_domain, number_format=excluded.number_format,
		status=excluded.status, retired_on=excluded.retired_on, note=excluded.note`,
		c.Slug, c.Name, c.Country, c.SMSDomain, c.MMSDomain, c.NumberFormat, string(c.Status), retired, c.Note)
	return s.wrap(err)
}

// Carrier implements gateway.Store.
func (s *Store) Carrier(ctx context.Context, slug string) (*gateway.Carrier, error) {
	return s.scanCarrier(s.q.QueryRowContext(ctx, `SELECT `+carrierCols+` FROM carriers WHERE slug = ?`, slug))
}

// ListCarriers implements gateway.Store.
func (s *Store) ListCarriers(ctx context.Context) ([]*gateway.Carrier, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+carrierCols+` FROM carriers ORDER BY country DESC, name`)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*gateway.Carrier
	for rows.Next() {
		c, err := s.scanCarrier(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, s.wrap(rows.Err())
}

func (s *Store) scanCarrier(row Scanner) (*gateway.Carrier, error) {
	var c gateway.Carrier
	var status, retired string
	if err := row.Scan(&c.Slug, &c.Name, &c.Country, &c.SMSDomain, &c.MMSDomain, &c.NumberFormat,
		&status, &retired, &c.Note); err != nil {
		return nil, s.wrap(err)
	}
	c.Status = gateway.CarrierStatus(status)
	if retired != "" {
		t, err := time.Parse(time.DateOnly, retired)
		if err != nil {
			return nil, gateway.Internal(err)
		}
		c.RetiredOn = t
	}
	return &c, nil
}
