// Package secret holds the gateway's cryptography: the master key and the
// subkeys derived from it, sealing with AES-GCM, the keyed hashes (temporary
// passwords, VERP tags, session signatures), argon2id password hashing and
// the generation of temporary passwords. It imports only the standard
// library and golang.org/x/crypto, so that it can be read and reviewed on
// its own; the rules built on it (password policy, API error codes) live
// in package gateway.
package secret

import "errors"

// Sentinel errors. Callers test them with errors.Is and give them their
// own codes; the text of an error from this package never carries a key,
// a password, a hash or sealed bytes.
var (
	// ErrSecretTooShort: the master key has fewer than 32 bytes.
	ErrSecretTooShort = errors.New("secret key must be at least 32 bytes: 64 hex characters (openssl rand -hex 32) or base64 of 32 bytes or more")
	// ErrSecretTooLong: the master key text is longer than 4096 characters.
	ErrSecretTooLong = errors.New("secret key must be at most 4096 characters")
	// ErrSealedInvalid: sealed data is damaged, was sealed under another
	// key or with other associated data, or has an unknown version.
	ErrSealedInvalid = errors.New("sealed data is invalid")
	// ErrHashInvalid: a stored argon2id PHC string is malformed.
	ErrHashInvalid = errors.New("stored password hash is malformed")
	// ErrRandom: the random source failed or gave unusable bytes.
	ErrRandom = errors.New("random source failed")
)

// detailError is one of the sentinels with the reason it was returned.
type detailError struct {
	kind error
	why  string
}

func (e *detailError) Error() string { return e.kind.Error() + ": " + e.why }
func (e *detailError) Unwrap() error { return e.kind }

func withDetail(kind error, why string) error { return &detailError{kind: kind, why: why} }
