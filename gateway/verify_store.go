package gateway

import (
	"context"
	"time"
)

// EmailVerification is a person's one outstanding email verification
// link: the keyed hash of its token and the address it was sent to, which
// is the only address it can prove.
type EmailVerification struct {
	PersonID  int64
	TenantID  int64
	Email     string
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until the link's button was pressed
}

// LifecycleStore keeps what a person's account goes through after it is
// made: email verification links and the age of passwords (for the
// reminders before they expire).
type LifecycleStore interface {
	// SaveEmailVerification stores v as the person's outstanding link,
	// replacing any older one (whose token stops working).
	SaveEmailVerification(ctx context.Context, v *EmailVerification) error
	// EmailVerificationByHash finds a link by the keyed hash of its token.
	EmailVerificationByHash(ctx context.Context, hash []byte) (*EmailVerification, error)
	// UseEmailVerification marks v used and the person's email verified at
	// at, in one step, only while v is unused and still the person's link
	// and the person's email is still v.Email; else it changes nothing and
	// answers not found.
	UseEmailVerification(ctx context.Context, v *EmailVerification, at time.Time) error
	// ClearEmailVerified forgets that the person's email was verified and
	// deletes their outstanding link.
	ClearEmailVerified(ctx context.Context, tenantID, personID int64) error
	// UnverifiedPeople lists up to limit active people of a tenant, by id
	// after afterID, whose email is not verified and has no link still
	// working at now (unused, to that address, not expired); without their
	// phones. CountUnverifiedPeople counts them all.
	UnverifiedPeople(ctx context.Context, tenantID int64, now time.Time, afterID int64, limit int) ([]*Person, error)
	CountUnverifiedPeople(ctx context.Context, tenantID int64, now time.Time) (int, error)
	// PasswordRemindersDue lists up to limit active people of a tenant with
	// mobile access whose password was set in (setAfter, setBefore] and
	// who were not reminded of that password yet, oldest password first.
	PasswordRemindersDue(ctx context.Context, tenantID int64, setAfter, setBefore time.Time, limit int) ([]*Person, error)
	// ClaimPasswordReminder records that the password the person set at
	// setAt was reminded of, and reports whether this call did it (false:
	// another worker did, or the password changed meanwhile).
	ClaimPasswordReminder(ctx context.Context, tenantID, personID int64, setAt time.Time) (bool, error)
}
