package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/hkdf"
)

// minSecretLen is the least master key material accepted, in bytes.
const minSecretLen = 32

// maxSecretLen bounds the environment value before any decoding.
const maxSecretLen = 4096

// ParseSecret decodes the server's master key as given in
// RESETGW_SECRET_KEY:
//
//   - hex (an even number of hex digits, 64 for 32 bytes), else
//   - base64 or base64url, padded or raw, else
//   - the text itself, when it is neither.
//
// The result must be at least 32 bytes. A value that decodes as hex or
// base64 counts by its decoded length: "openssl rand -base64 16" gives
// 24 characters of text but only 16 bytes of key, and must not pass.
// Surrounding white space (a trailing newline from a file) is dropped.
// Errors (ErrSecretTooShort, ErrSecretTooLong) never echo the value.
func ParseSecret(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxSecretLen {
		return nil, ErrSecretTooLong
	}
	if b, ok := decodeSecret(s); ok {
		if len(b) < minSecretLen {
			return nil, ErrSecretTooShort
		}
		return b, nil
	}
	if len(s) < minSecretLen {
		return nil, ErrSecretTooShort
	}
	// A long passphrase: HKDF extracts what entropy it has.
	return []byte(s), nil
}

// decodeSecret tries hex, then the four base64 alphabets.
func decodeSecret(s string) ([]byte, bool) {
	if s == "" {
		return nil, false
	}
	if len(s)%2 == 0 {
		if b, err := hex.DecodeString(s); err == nil {
			return b, true
		}
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// Key labels for HKDF. Each use has its own key, so that a flaw in one use
// (or a key leaked by one) does not reach the others. The "v1" lets a
// label be replaced without touching the master key.
const (
	labelOutbox  = "resetgw outbox v1"
	labelDataKey = "resetgw outbox data-key wrap v1"
	labelSecrets = "resetgw secrets v1"
	labelTemp    = "resetgw temp-password v1"
	labelVERP    = "resetgw verp v1"
	labelSession = "resetgw session v1"
)

// sealVersion is the first byte of sealed data. A later key rotation adds
// a version and keeps opening the old one.
const sealVersion byte = 1

const gcmNonceLen = 12

// Keys holds the subkeys derived from the master key. It is safe for
// concurrent use.
type Keys struct {
	outbox  cipher.AEAD
	dataKey cipher.AEAD // wraps the per-message data keys (envelope.go)
	secrets cipher.AEAD
	temp    []byte
	verp    []byte
	session []byte
}

// NewKeys derives independent subkeys from master (at least 32 bytes)
// with HKDF-SHA256.
func NewKeys(master []byte) (*Keys, error) {
	if len(master) < minSecretLen {
		return nil, ErrSecretTooShort
	}
	derive := func(label string) ([]byte, error) {
		k := make([]byte, 32)
		if _, err := io.ReadFull(hkdf.New(sha256.New, master, nil, []byte(label)), k); err != nil {
			return nil, fmt.Errorf("derive key %q: %w", label, err)
		}
		return k, nil
	}
	aead := func(label string) (cipher.AEAD, error) {
		k, err := derive(label)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("aes for %q: %w", label, err)
		}
		g, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("gcm for %q: %w", label, err)
		}
		return g, nil
	}
	var k Keys
	var err error
	if k.outbox, err = aead(labelOutbox); err != nil {
		return nil, err
	}
	if k.dataKey, err = aead(labelDataKey); err != nil {
		return nil, err
	}
	if k.secrets, err = aead(labelSecrets); err != nil {
		return nil, err
	}
	if k.temp, err = derive(labelTemp); err != nil {
		return nil, err
	}
	if k.verp, err = derive(labelVERP); err != nil {
		return nil, err
	}
	if k.session, err = derive(labelSession); err != nil {
		return nil, err
	}
	return &k, nil
}

// sealAEAD returns version || nonce || AES-GCM(plain). The version byte is
// authenticated along with aad, so it cannot be changed unnoticed.
func sealAEAD(a cipher.AEAD, plain, aad []byte) ([]byte, error) {
	out := make([]byte, 1+gcmNonceLen, 1+gcmNonceLen+len(plain)+a.Overhead())
	out[0] = sealVersion
	if _, err := io.ReadFull(rand.Reader, out[1:]); err != nil {
		return nil, fmt.Errorf("seal: read nonce: %w: %w", ErrRandom, err)
	}
	return a.Seal(out, out[1:], plain, sealAAD(out[0], aad)), nil
}

func sealAAD(version byte, aad []byte) []byte {
	return append([]byte{version}, aad...)
}

func errSealed(why string) error { return withDetail(ErrSealedInvalid, why) }

// openAEAD reverses sealAEAD. Any damage (short, unknown version, wrong aad,
// flipped bit) is ErrSealedInvalid.
func openAEAD(a cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 1+gcmNonceLen+a.Overhead() {
		return nil, errSealed("too short")
	}
	if sealed[0] != sealVersion {
		return nil, errSealed("unknown key version")
	}
	nonce := sealed[1 : 1+gcmNonceLen]
	plain, err := a.Open(nil, nonce, sealed[1+gcmNonceLen:], sealAAD(sealed[0], aad))
	if err != nil {
		return nil, errSealed("failed authentication")
	}
	return plain, nil
}

// SealOutbox encrypts an outbox message body (it holds a password) bound
// to aad, for instance the delivery's id.
func (k *Keys) SealOutbox(plain, aad []byte) ([]byte, error) {
	return sealAEAD(k.outbox, plain, aad)
}

// OpenOutbox decrypts what SealOutbox made with the same aad.
func (k *Keys) OpenOutbox(sealed, aad []byte) ([]byte, error) {
	return openAEAD(k.outbox, sealed, aad)
}

// SealSecret encrypts a stored credential (Twilio auth token, SMTP URL).
func (k *Keys) SealSecret(plain, aad []byte) ([]byte, error) {
	return sealAEAD(k.secrets, plain, aad)
}

// OpenSecret decrypts what SealSecret made with the same aad.
func (k *Keys) OpenSecret(sealed, aad []byte) ([]byte, error) {
	return openAEAD(k.secrets, sealed, aad)
}

// TempHash is the keyed hash under which a temporary password is stored.
// A temporary password has about 59 bits from crypto/rand, so a fast keyed
// hash is enough, and the reset path never pays for argon2id.
func (k *Keys) TempHash(pw string) []byte {
	m := hmac.New(sha256.New, k.temp)
	m.Write([]byte(pw))
	return m.Sum(nil)
}

// TempHashEqual reports in constant time whether pw has the stored hash.
func (k *Keys) TempHashEqual(pw string, want []byte) bool {
	return hmac.Equal(k.TempHash(pw), want)
}

// VERPTag is the tag put in a bounce (VERP) address for a delivery, so a
// bounce can be tied to its delivery and forged bounces cannot roll back
// someone's reset: the first 8 bytes of an HMAC of the id, in lower hex.
func (k *Keys) VERPTag(deliveryID int64) string {
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], uint64(deliveryID))
	m := hmac.New(sha256.New, k.verp)
	m.Write(id[:])
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// CheckVERPTag reports in constant time whether tag belongs to
// deliveryID. Upper case is accepted, since some mail systems change the
// case of a local part.
func (k *Keys) CheckVERPTag(deliveryID int64, tag string) bool {
	return subtle.ConstantTimeCompare([]byte(k.VERPTag(deliveryID)), []byte(strings.ToLower(tag))) == 1
}

// Sign returns the HMAC of data under the session key, base64url without
// padding, for session cookies and CSRF tokens.
func (k *Keys) Sign(data string) string {
	return base64.RawURLEncoding.EncodeToString(k.mac(data))
}

// Verify reports in constant time whether sig is Sign(data).
func (k *Keys) Verify(data, sig string) bool {
	// One spelling only: the decoder alone would skip CR and LF, so a
	// signature with a line break in it would verify too. With the length
	// fixed, any such character leaves too few bytes to match.
	if len(sig) != base64.RawURLEncoding.EncodedLen(sha256.Size) {
		return false
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil {
		return false
	}
	return hmac.Equal(k.mac(data), got)
}

func (k *Keys) mac(data string) []byte {
	m := hmac.New(sha256.New, k.session)
	m.Write([]byte(data))
	return m.Sum(nil)
}
