package secret

import (
	"bytes"
	"errors"
	"testing"
)

func TestEnvelopeSealOpen(t *testing.T) {
	k := keysForTest(t)
	plain, aad := []byte("Your new password: Ab3xk7Qm9#"), []byte("req\x00sms\x00+12015550123")
	wk, sealed, err := k.SealEnvelope(plain, aad)
	if err != nil {
		t.Fatal(err)
	}
	if len(wk) != WrappedKeyLen {
		t.Fatalf("wrapped key %d bytes, want %d", len(wk), WrappedKeyLen)
	}
	if bytes.Contains(sealed, plain) || bytes.Contains(wk, plain) {
		t.Fatal("plain text in the sealed output")
	}
	got, err := k.OpenEnvelope(wk, sealed, aad)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open = %q, %v", got, err)
	}
	if !k.UnwrapsDataKey(wk, aad) || k.UnwrapsDataKey(wk, []byte("other")) {
		t.Fatal("UnwrapsDataKey disagrees with OpenEnvelope")
	}
	// Each message has its own data key: the same body seals differently,
	// and one message's key does not open another's body.
	wk2, sealed2, err := k.SealEnvelope(plain, aad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(wk, wk2) || bytes.Equal(sealed, sealed2) {
		t.Fatal("two messages share a data key or a ciphertext")
	}
	other, err := NewKeys(bytes.Repeat([]byte{0x11}, 32))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 1; return c }
	tests := []struct {
		name       string
		keys       *Keys
		wk, sealed []byte
		aad        []byte
	}{
		{"no data key", k, nil, sealed, aad},
		{"short data key", k, wk[:len(wk)-1], sealed, aad},
		{"other message's key", k, wk2, sealed, aad},
		{"flipped key bit", k, flip(wk, 20), sealed, aad},
		{"flipped body bit", k, wk, flip(sealed, len(sealed)-1), aad},
		{"other aad", k, wk, sealed, []byte("req\x00sms\x00+12015550199")},
		{"other master", other, wk, sealed, aad},
		{"legacy open of envelope body", k, nil, nil, aad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.keys.OpenEnvelope(tt.wk, tt.sealed, tt.aad)
			if !errors.Is(err, ErrSealedInvalid) {
				t.Fatalf("open = %q, %v; want ErrSealedInvalid", got, err)
			}
		})
	}
	// The envelope's body is not sealed under the old outbox key.
	if _, err := k.OpenOutbox(sealed, aad); !errors.Is(err, ErrSealedInvalid) {
		t.Fatalf("legacy key opened an envelope body: %v", err)
	}
}
