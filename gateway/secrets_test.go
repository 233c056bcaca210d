package gateway

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway/secret"
)

// The errors of package secret keep the API codes they had when the
// crypto lived here.
func TestSecretErrorCodes(t *testing.T) {
	keys, err := secret.NewKeys([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	_, sealErr := keys.OpenOutbox([]byte{1, 2, 3}, nil)
	_, shortErr := secret.ParseSecret("short")
	_, longErr := secret.ParseSecret(strings.Repeat("a", 5000))
	_, hashErr := secret.NewHasher(secret.HasherConfig{Memory: 64, Time: 1}).Verify(context.Background(), "pw", "$argon2id$bad")
	_, randErr := secret.GeneratePassword(strings.NewReader(""))
	tests := []struct {
		name string
		err  error
		code string
		kind Kind
	}{
		{"sealed", sealErr, "sealed_invalid", KindInvalid},
		{"short secret", shortErr, "secret_too_short", KindInvalid},
		{"long secret", longErr, "secret_too_long", KindInvalid},
		{"bad hash", hashErr, "password_hash_invalid", KindInternal},
		{"random", randErr, "internal", KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := secretError(tt.err)
			if ErrorCode(got) != tt.code || ErrorKind(got) != tt.kind {
				t.Fatalf("secretError(%v) = %v, want %s", tt.err, got, tt.code)
			}
		})
	}
	if got := secretError(context.Canceled); !errors.Is(got, context.Canceled) || ErrorCode(got) != "internal" {
		t.Fatalf("context error changed: %v", got)
	}
	if secretError(nil) != nil {
		t.Fatal("nil error mapped to non-nil")
	}
}
