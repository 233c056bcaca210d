package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSMTPURLCheckedAtStart: the operator's URL goes through the sender's
// parser at start; a typo in a TLS setting stops the start with a clear
// error (that never shows the password) instead of failing every mail.
func TestSMTPURLCheckedAtStart(t *testing.T) {
	badCA := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(badCA, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url, wantErr string
	}{
		{"smtp://relay:S3cretPW@mail.example.com:587?tsl=verify", `unknown query parameter "tsl"`},
		{"smtp://relay:S3cretPW@mail.example.com:587?tls=strict", "tls must be verify, opportunistic or none"},
		{"smtp://relay:S3cretPW@mail.example.com:587?ca=" + badCA, "ca= file"},
		{"smtp://relay:S3cretPW@mail.example.com:587?ca=/nonexistent/ca.pem", "ca= file"},
		{"smtps://mail.example.com?tls=none", "smtps://"},
		{"smtp://relay:S3cretPW@mail.example.com:587?tls=verify", ""},
		{"smtp://relay.lan:25?tls=none", ""}, // the operator may say so
		{"smtp://127.0.0.1:25", ""},
	}
	for _, tt := range tests {
		_, err := parseServe(nil, envOf(map[string]string{"RESETGW_SMTP_URL": tt.url}), io.Discard)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tt.url, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "RESETGW_SMTP_URL")):
			t.Errorf("%s: err %v, want one naming %q", tt.url, err, tt.wantErr)
		case err != nil && strings.Contains(err.Error(), "S3cretPW"):
			t.Errorf("%s: error shows the password: %v", tt.url, err)
		}
	}
	c, err := parseServe(nil, envOf(map[string]string{"RESETGW_SMTP_ALLOW_HOSTS": " relay.lan, 10.0.0.25 ,"}), io.Discard)
	if err != nil || len(c.SMTPAllowHosts) != 2 || c.SMTPAllowHosts[0] != "relay.lan" || c.SMTPAllowHosts[1] != "10.0.0.25" {
		t.Fatalf("allow hosts %v, %v", c, err)
	}
}
