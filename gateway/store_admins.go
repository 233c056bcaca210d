package gateway

import (
	"context"
	"time"
)

// AdminStore keeps the console admins (admins.go) and their sign-in
// sessions, looked up by the hash of the session cookie. Emails are
// unique across tenants.
type AdminStore interface {
	CreateAdmin(ctx context.Context, a *Admin) error
	UpdateAdmin(ctx context.Context, a *Admin) error
	AdminByEmail(ctx context.Context, email string) (*Admin, error)
	AdminByID(ctx context.Context, id int64) (*Admin, error)
	ListAdmins(ctx context.Context) ([]*Admin, error)
	CreateAdminSession(ctx context.Context, s *AdminSession) error
	AdminSession(ctx context.Context, hash []byte) (*AdminSession, error)
	TouchAdminSession(ctx context.Context, hash []byte, seen time.Time) error
	DeleteAdminSession(ctx context.Context, hash []byte) error
	DeleteAdminSessions(ctx context.Context, adminID int64) error
	PruneAdminSessions(ctx context.Context, now time.Time) error
}
