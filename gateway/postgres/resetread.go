package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/resetgw/resetgw/gateway"
)

// queueResetRead queues the two reads of a request with its deliveries;
// readReset reads their results.
func queueResetRead(b *pgx.Batch, id string) {
	b.Queue(`SELECT `+resetCols+` FROM reset_requests WHERE id = $1`, id)
	b.Queue(`SELECT `+deliveryCols+` FROM deliveries WHERE request_id = $1 ORDER BY id`, id)
}

func readReset(br pgx.BatchResults) (*gateway.ResetRequest, error) {
	r, err := scanReset(br.QueryRow())
	// The deliveries' result is read whatever the request's was: a batch
	// is read in order.
	rows, qerr := br.Query()
	if qerr != nil {
		return nil, wrap(qerr)
	}
	defer rows.Close()
	ds, derr := scanDeliveries(rows)
	if err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	r.Deliveries = ds
	return r, nil
}

// lockAndRead takes a row lock on request id with lockSQL (which selects
// 1 when it holds the row) and, in the same round trip, reads the request
// with its deliveries for the Reset call that follows. It reports whether
// the lock found the row.
func (s *Store) lockAndRead(ctx context.Context, lockSQL string, id string, args ...any) (bool, error) {
	var held bool
	var r *gateway.ResetRequest
	err := s.batch(ctx, func(b *pgx.Batch) {
		b.Queue(lockSQL, append([]any{id}, args...)...)
		queueResetRead(b, id)
	}, func(br pgx.BatchResults) error {
		var one int
		err := br.QueryRow().Scan(&one)
		switch {
		case err == nil:
			held = true
		case !errors.Is(err, pgx.ErrNoRows):
			return wrap(err)
		}
		r, err = readReset(br)
		if err != nil && !gateway.IsNotFound(err) {
			return err
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	if held && s.tx != nil {
		s.tx.ahead = r
	}
	return held, nil
}
