package gateway

import (
	"context"
	"errors"

	"github.com/resetgw/resetgw/gateway/secret"
)

// secretError gives an error of package secret its API code. Context
// errors pass through unchanged (the caller gave up); anything else
// unexpected is internal.
func secretError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, secret.ErrSecretTooShort):
		return &Error{Kind: KindInvalid, Code: "secret_too_short", Message: secret.ErrSecretTooShort.Error()}
	case errors.Is(err, secret.ErrSecretTooLong):
		return &Error{Kind: KindInvalid, Code: "secret_too_long", Message: secret.ErrSecretTooLong.Error()}
	case errors.Is(err, secret.ErrSealedInvalid):
		return &Error{Kind: KindInvalid, Code: "sealed_invalid", Message: "sealed data is invalid", Err: err}
	case errors.Is(err, secret.ErrHashInvalid):
		return &Error{Kind: KindInternal, Code: "password_hash_invalid", Message: "stored password hash is malformed", Err: err}
	}
	return Internal(err)
}

// generatePassword draws a temporary password from s.rand.
func (s *Service) generatePassword() (string, error) {
	pw, err := secret.GeneratePassword(s.rand)
	return pw, secretError(err)
}

// PasswordHasher is the argon2id work the domain asks for. *secret.Hasher
// is the one in use; a test may wrap it to count the hashes that ran.
type PasswordHasher interface {
	Hash(ctx context.Context, pw string) (string, error)
	Verify(ctx context.Context, pw, phc string) (bool, error)
	VerifyDummy(ctx context.Context, pw string)
	NeedsRehash(phc string) bool
}

var _ PasswordHasher = (*secret.Hasher)(nil)

// hasher is the argon2id hasher as the domain uses it: the same calls,
// with errors carrying API codes.
type hasher struct{ h PasswordHasher }

func (h hasher) Hash(ctx context.Context, pw string) (string, error) {
	phc, err := h.h.Hash(ctx, pw)
	return phc, secretError(err)
}

func (h hasher) Verify(ctx context.Context, pw, phc string) (bool, error) {
	ok, err := h.h.Verify(ctx, pw, phc)
	return ok, secretError(err)
}

func (h hasher) VerifyDummy(ctx context.Context, pw string) { h.h.VerifyDummy(ctx, pw) }

func (h hasher) NeedsRehash(phc string) bool { return h.h.NeedsRehash(phc) }
