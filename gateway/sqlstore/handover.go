package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/resetgw/resetgw/gateway"
)

// HandOverPairs is the condition "one of these attempts" of a statement on
// hand-over marks, with its arguments: the engines mark and take marks
// back on their own connections, with the same condition.
func HandOverPairs(marks []gateway.HandOverMark) (string, []any) {
	args := make([]any, 0, 2*len(marks))
	for _, m := range marks {
		args = append(args, m.DeliveryID, m.Attempt)
	}
	return "(" + strings.TrimSuffix(strings.Repeat("(id = ? AND attempts = ?) OR ", len(marks)), " OR ") + ")", args
}

// HandedOver implements gateway.HandOverMarker.
func (s *Store) HandedOver(ctx context.Context, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.q.QueryContext(ctx, `SELECT id FROM deliveries WHERE handed_attempt = attempts AND id IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+`)`, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	return ScanIDs(rows, s.wrap)
}

// ScanIDs reads rows of one id each, and closes them; wrap maps a driver
// error.
func ScanIDs(rows *sql.Rows, wrap func(error) error) ([]int64, error) {
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(err)
		}
		out = append(out, id)
	}
	return out, wrap(rows.Err())
}
