package sqlite

import (
	"context"
	"strings"

	"github.com/resetgw/resetgw/gateway"
)

// maxChunk bounds the rows of one multi-row insert.
const maxChunk = 256

// chunk is the size of the next multi-row insert for n rows: the largest
// power of two up to n (and maxChunk). A statement's text depends on its
// row count, and each text is a prepared statement in the connection's
// cache: powers of two keep that to a few shapes, where any count would
// crowd the hot statements out of the cache.
func chunk(n int) int {
	c := 1
	for c*2 <= n && c*2 <= maxChunk {
		c *= 2
	}
	return c
}

// CreateResets implements gateway.ResetBatcher.
func (s *Store) CreateResets(ctx context.Context, rs []*gateway.ResetRequest) error {
	for len(rs) > 0 {
		n := chunk(len(rs))
		args := make([]any, 0, 16*n)
		for _, r := range rs[:n] {
			args = append(args, r.ID, nullInt(r.TenantID), r.TenantSlug, r.Email, r.Phone, string(r.Source), r.IP,
				string(r.State), r.Reason, nullInt(r.PersonID), r.TempHash, ts(r.ExpiresAt), ts(r.UsedAt),
				ts(r.CreatedAt), ts(r.UpdatedAt), nullBytes(r.LinkHash))
		}
		_, err := s.q.ExecContext(ctx, `INSERT INTO reset_requests (`+resetCols+`) VALUES `+
			strings.TrimSuffix(strings.Repeat(`(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?),`, n), ","), args...)
		if err != nil {
			return wrap(err)
		}
		rs = rs[n:]
	}
	return nil
}

// ResetOnly implements gateway.ResetOnlyReader.
func (s *Store) ResetOnly(ctx context.Context, id string) (*gateway.ResetRequest, error) {
	return scanReset(s.q.QueryRowContext(ctx, `SELECT `+resetCols+` FROM reset_requests WHERE id = ?`, id))
}
