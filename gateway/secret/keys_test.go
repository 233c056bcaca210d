package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// keysTestMaster is 32 fixed bytes; tests need determinism, not secrecy.
var keysTestMaster = bytes.Repeat([]byte{0x5a}, 32)

func keysForTest(t testing.TB) *Keys {
	t.Helper()
	k, err := NewKeys(keysTestMaster)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseSecret(t *testing.T) {
	key32 := make([]byte, 32)
	for i := range key32 {
		key32[i] = byte(i * 37)
	}
	key48 := bytes.Repeat([]byte{0xa7, 0x3c, 0x01}, 16)
	key24 := key32[:24]
	tests := []struct {
		name string
		in   string
		want []byte // nil: error secret_too_short
	}{
		{"hex 64", hex.EncodeToString(key32), key32},
		{"hex upper", strings.ToUpper(hex.EncodeToString(key32)), key32},
		{"hex with newline", hex.EncodeToString(key32) + "\n", key32},
		{"hex 96", hex.EncodeToString(key48), key48},
		{"hex short", hex.EncodeToString(key24), nil},
		{"base64 std", base64.StdEncoding.EncodeToString(key32), key32},
		{"base64 raw std", base64.RawStdEncoding.EncodeToString(key32), key32},
		{"base64 url", base64.URLEncoding.EncodeToString(key32), key32},
		{"base64 raw url", base64.RawURLEncoding.EncodeToString(key32), key32},
		{"base64 48", base64.StdEncoding.EncodeToString(key48), key48},
		{"base64 short", base64.StdEncoding.EncodeToString(key24), nil},
		{"base64 of 16 bytes is 24 chars", base64.StdEncoding.EncodeToString(key32[:16]), nil},
		{"long passphrase", "correct horse battery staple on a long night", []byte("correct horse battery staple on a long night")},
		{"short passphrase", "hunter2 is my password", nil},
		{"empty", "", nil},
		{"spaces", "    ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSecret(tt.in)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("want secret_too_short, got %d bytes", len(got))
				}
				if !errors.Is(err, ErrSecretTooShort) {
					t.Fatalf("error %v, want secret_too_short", err)
				}
				if s := strings.TrimSpace(tt.in); s != "" && strings.Contains(err.Error(), s) {
					t.Fatal("error echoes the secret")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("got %x, want %x", got, tt.want)
			}
		})
	}
}

func TestParseSecretTooLong(t *testing.T) {
	_, err := ParseSecret(strings.Repeat("a", 5000))
	if !errors.Is(err, ErrSecretTooLong) {
		t.Fatalf("got %v, want secret_too_long", err)
	}
}

func FuzzParseSecret(f *testing.F) {
	for _, s := range []string{"", "00", strings.Repeat("ab", 32), strings.Repeat("A", 43), strings.Repeat("-_", 22), "x y z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseSecret(s)
		if err != nil {
			canonical := ""
			switch {
			case errors.Is(err, ErrSecretTooShort):
			case errors.Is(err, ErrSecretTooLong):
				canonical = strings.Repeat("a", 5000)
			default:
				t.Fatalf("unexpected error %v", err)
			}
			// The message is fixed per error: nothing of the value in it.
			_, want := ParseSecret(canonical)
			if err.Error() != want.Error() {
				t.Fatalf("message depends on the value: %q", err.Error())
			}
			return
		}
		if len(b) < 32 {
			t.Fatalf("accepted %d bytes", len(b))
		}
		if _, err := NewKeys(b); err != nil {
			t.Fatalf("NewKeys refused what ParseSecret accepted: %v", err)
		}
	})
}

func TestNewKeys(t *testing.T) {
	if _, err := NewKeys(make([]byte, 31)); !errors.Is(err, ErrSecretTooShort) {
		t.Fatalf("31-byte master: got %v, want secret_too_short", err)
	}
	k := keysForTest(t)
	// Subkeys differ from each other and from the master.
	seen := map[string]string{string(keysTestMaster): "master"}
	for name, key := range map[string][]byte{"temp": k.temp, "verp": k.verp, "session": k.session} {
		if len(key) != 32 {
			t.Fatalf("%s key has %d bytes", name, len(key))
		}
		if other, dup := seen[string(key)]; dup {
			t.Fatalf("%s key equals %s key", name, other)
		}
		seen[string(key)] = name
	}
	// Derivation is deterministic: a restart must open what was sealed.
	k2 := keysForTest(t)
	if !bytes.Equal(k.temp, k2.temp) || !bytes.Equal(k.session, k2.session) {
		t.Fatal("derivation not deterministic")
	}
}

// The derived keys are pinned: a change in labels or derivation would make
// every stored secret and pending temporary password unreadable. The
// expected values were computed apart from this code, with Python's hmac
// and hashlib (HKDF-SHA256 as in RFC 5869, empty salt, label as info).
func TestKeysKnownAnswer(t *testing.T) {
	k := keysForTest(t)
	if got, want := hex.EncodeToString(k.TempHash("Ab3xk7Qm9#")), "e181e963825fc7e3c46fa86187ca10bbfbd27e61a0ef0f858b213b2930a5b3f3"; got != want {
		t.Fatalf("TempHash = %s, want %s", got, want)
	}
	if got, want := k.VERPTag(42), "fd2c29ee39654c89"; got != want {
		t.Fatalf("VERPTag(42) = %s, want %s", got, want)
	}
	if got, want := k.Sign("session:7"), "acUp_EVfCo5Ud-kh6eUTA-FwB3PMpOfBcuf5vZ-WiG0"; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestKeysSealOpen(t *testing.T) {
	k := keysForTest(t)
	type pair struct {
		seal func(plain, aad []byte) ([]byte, error)
		open func(sealed, aad []byte) ([]byte, error)
	}
	kinds := map[string]pair{
		"outbox": {k.SealOutbox, k.OpenOutbox},
		"secret": {k.SealSecret, k.OpenSecret},
	}
	plains := []struct {
		name  string
		plain []byte
		aad   []byte
	}{
		{"text", []byte("Your new password: Ab3xk7Qm9#"), []byte("delivery:42")},
		{"empty plain", []byte{}, []byte("delivery:1")},
		{"nil aad", []byte("token"), nil},
		{"large", bytes.Repeat([]byte("x"), 64<<10), []byte("d")},
	}
	for kind, p := range kinds {
		for _, tt := range plains {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				sealed, err := p.seal(tt.plain, tt.aad)
				if err != nil {
					t.Fatal(err)
				}
				if sealed[0] != sealVersion {
					t.Fatalf("version byte %d", sealed[0])
				}
				if len(sealed) != 1+12+len(tt.plain)+16 {
					t.Fatalf("sealed length %d", len(sealed))
				}
				if len(tt.plain) >= 8 && bytes.Contains(sealed, tt.plain) {
					t.Fatal("plain text visible in sealed data")
				}
				got, err := p.open(sealed, tt.aad)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, tt.plain) {
					t.Fatal("round trip changed the data")
				}
				again, _ := p.seal(tt.plain, tt.aad)
				if bytes.Equal(again, sealed) {
					t.Fatal("two seals are equal: nonce not random")
				}
			})
		}
	}
}

func TestKeysOpenTampered(t *testing.T) {
	k := keysForTest(t)
	plain, aad := []byte("Your new password: Ab3xk7Qm9#"), []byte("delivery:42")
	sealed, err := k.SealOutbox(plain, aad)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewKeys(bytes.Repeat([]byte{0x11}, 32))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name   string
		open   func(sealed, aad []byte) ([]byte, error)
		sealed []byte
		aad    []byte
	}{
		{"version byte", k.OpenOutbox, flip(0), aad},
		{"nonce", k.OpenOutbox, flip(5), aad},
		{"cipher text", k.OpenOutbox, flip(20), aad},
		{"tag", k.OpenOutbox, flip(len(sealed) - 1), aad},
		{"wrong aad", k.OpenOutbox, sealed, []byte("delivery:43")},
		{"no aad", k.OpenOutbox, sealed, nil},
		{"truncated", k.OpenOutbox, sealed[:len(sealed)-1], aad},
		{"header only", k.OpenOutbox, sealed[:13], aad},
		{"empty", k.OpenOutbox, nil, aad},
		{"secrets key", k.OpenSecret, sealed, aad},
		{"other master", other.OpenOutbox, sealed, aad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.open(tt.sealed, tt.aad)
			if err == nil {
				t.Fatalf("opened tampered data: %q", got)
			}
			if !errors.Is(err, ErrSealedInvalid) {
				t.Fatalf("error %v, want sealed_invalid", err)
			}
			if strings.Contains(err.Error(), "Ab3xk7Qm9") {
				t.Fatal("error quotes the plain text")
			}
		})
	}
}

func FuzzKeysOpenOutbox(f *testing.F) {
	k := keysForTest(f)
	good, err := k.SealOutbox([]byte("Your new password: Ab3xk7Qm9#"), []byte("delivery:42"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, []byte("delivery:42"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte("x"))
	f.Add(bytes.Repeat([]byte{1}, 40), []byte("delivery:42"))
	f.Fuzz(func(t *testing.T, sealed, aad []byte) {
		plain, err := k.OpenOutbox(sealed, aad)
		if err != nil {
			if !errors.Is(err, ErrSealedInvalid) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		// Only the one message ever sealed under this key may open, and
		// only with its aad. (Compare contents, not bytes: each fuzz
		// worker seals its own copy under a fresh nonce.)
		if string(aad) != "delivery:42" || string(plain) != "Your new password: Ab3xk7Qm9#" {
			t.Fatalf("forged data opened: %q", plain)
		}
	})
}

func TestKeysTempHash(t *testing.T) {
	k := keysForTest(t)
	h := k.TempHash("Ab3xk7Qm9#")
	if len(h) != 32 {
		t.Fatalf("hash has %d bytes", len(h))
	}
	tests := []struct {
		name string
		pw   string
		want []byte
		ok   bool
	}{
		{"right", "Ab3xk7Qm9#", h, true},
		{"case differs", "ab3xk7Qm9#", h, false},
		{"empty", "", h, false},
		{"nil want", "Ab3xk7Qm9#", nil, false},
		{"truncated want", "Ab3xk7Qm9#", h[:16], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := k.TempHashEqual(tt.pw, tt.want); got != tt.ok {
				t.Fatalf("TempHashEqual = %v, want %v", got, tt.ok)
			}
		})
	}
	other, _ := NewKeys(bytes.Repeat([]byte{0x11}, 32))
	if other.TempHashEqual("Ab3xk7Qm9#", h) {
		t.Fatal("hash verifies under another master key")
	}
}

func TestKeysVERPTag(t *testing.T) {
	k := keysForTest(t)
	tag := k.VERPTag(42)
	if len(tag) != 16 || strings.ToLower(tag) != tag {
		t.Fatalf("tag %q is not 16 lower-case hex digits", tag)
	}
	if _, err := hex.DecodeString(tag); err != nil {
		t.Fatalf("tag %q is not hex", tag)
	}
	tests := []struct {
		name string
		id   int64
		tag  string
		ok   bool
	}{
		{"right", 42, tag, true},
		{"upper case", 42, strings.ToUpper(tag), true},
		{"other id", 43, tag, false},
		{"truncated", 42, tag[:15], false},
		{"longer", 42, tag + "0", false},
		{"empty", 42, "", false},
		{"negative id", -42, tag, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := k.CheckVERPTag(tt.id, tt.tag); got != tt.ok {
				t.Fatalf("CheckVERPTag = %v, want %v", got, tt.ok)
			}
		})
	}
	if k.VERPTag(1) == k.VERPTag(2) {
		t.Fatal("tags of different ids are equal")
	}
}

func TestKeysSignVerify(t *testing.T) {
	k := keysForTest(t)
	sig := k.Sign("session:7")
	if strings.ContainsAny(sig, "+/=") {
		t.Fatalf("signature %q is not raw base64url", sig)
	}
	other, _ := NewKeys(bytes.Repeat([]byte{0x11}, 32))
	tests := []struct {
		name string
		keys *Keys
		data string
		sig  string
		ok   bool
	}{
		{"right", k, "session:7", sig, true},
		{"other data", k, "session:8", sig, false},
		{"other key", other, "session:7", sig, false},
		{"empty sig", k, "session:7", "", false},
		{"truncated", k, "session:7", sig[:len(sig)-1], false},
		{"padded", k, "session:7", sig + "=", false},
		{"newline inside", k, "session:7", sig[:10] + "\n" + sig[10:], false},
		{"trailing newline", k, "session:7", sig + "\r\n", false},
		{"std alphabet", k, "session:7", "!!" + sig[2:], false},
		{"empty data signed", k, "", k.Sign(""), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.keys.Verify(tt.data, tt.sig); got != tt.ok {
				t.Fatalf("Verify = %v, want %v", got, tt.ok)
			}
		})
	}
}

func FuzzKeysVerify(f *testing.F) {
	k := keysForTest(f)
	f.Add("session:7", k.Sign("session:7"))
	f.Add("", "")
	f.Add("x", "====")
	f.Fuzz(func(t *testing.T, data, sig string) {
		if k.Verify(data, sig) && sig != k.Sign(data) {
			t.Fatalf("accepted a signature other than Sign(data)")
		}
	})
}
