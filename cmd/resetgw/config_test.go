package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestHardening01_ProxyHeaderNeedsTrustedProxies(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"header without proxies", map[string]string{"RESETGW_PROXY_HEADER": "X-Forwarded-For"}, "RESETGW_TRUSTED_PROXIES"},
		{"bad proxy entry", map[string]string{"RESETGW_PROXY_HEADER": "X-Forwarded-For", "RESETGW_TRUSTED_PROXIES": "10.0.0.0/8, lb.internal"}, "lb.internal"},
		{"header with proxies", map[string]string{"RESETGW_PROXY_HEADER": "X-Forwarded-For", "RESETGW_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"}, ""},
		{"neither", map[string]string{}, ""},
	}
	for _, tc := range cases {
		c, err := parseServe(nil, envOf(tc.env), io.Discard)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err %v, want one naming %s", tc.name, err, tc.wantErr)
		case tc.wantErr == "" && tc.env["RESETGW_TRUSTED_PROXIES"] != "" && len(c.TrustedProxies) != 2:
			t.Errorf("%s: proxies %v", tc.name, c.TrustedProxies)
		}
	}
}

// TestHardening15_SecretsNotOnTheCommandLine: no secret is taken from
// argv (the refusal names the flag, never echoes the value); each is an
// environment variable or a file; the admin token is at least 32
// characters.
func TestHardening15_SecretsNotOnTheCommandLine(t *testing.T) {
	const long = "0123456789abcdef0123456789abcdef-admin"
	for _, args := range [][]string{
		{"--admin-token", long}, {"-admin-token=" + long}, {"--smtp-url=smtp://u:hunter2@mail.example:587"},
		{"--twilio-auth-token", "abcdef0123456789"}, {"--secret-key", strings.Repeat("ab", 32)},
	} {
		_, err := parseServe(args, envOf(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "not accepted") {
			t.Errorf("%v: %v", args[0], err)
			continue
		}
		for _, secret := range []string{long, "hunter2", "abcdef0123456789", strings.Repeat("ab", 32)} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%v: the error shows the secret: %v", args[0], err)
			}
		}
	}

	dir := t.TempDir()
	write := func(name, v string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tokFile := write("token", long+"\n")
	keyFile := write("key", strings.Repeat("cd", 32)+"\n")
	smtpFile := write("smtp", "smtp://u:hunter2@mail.example:587\n")
	twFile := write("twilio", "abcdef0123456789\n")
	c, err := parseServe([]string{"--admin-token-file", tokFile, "--secret-key-file=" + keyFile, "--smtp-url-file", smtpFile},
		envOf(map[string]string{"RESETGW_TWILIO_AUTH_TOKEN_FILE": twFile, "RESETGW_TWILIO_ACCOUNT_SID": "AC123",
			"RESETGW_TWILIO_FROM": "+12015550150"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.AdminToken != long || c.SecretKey != strings.Repeat("cd", 32) || c.SMTPURL != "smtp://u:hunter2@mail.example:587" ||
		c.TwilioToken != "abcdef0123456789" {
		t.Fatalf("secrets from files not read as written")
	}
	if c, err = parseServe(nil, envOf(map[string]string{"RESETGW_ADMIN_TOKEN": long}), io.Discard); err != nil || c.AdminToken != long {
		t.Fatalf("token from the environment: %v", err)
	}

	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"short token", nil, map[string]string{"RESETGW_ADMIN_TOKEN": "test-admin-token"}, "at least 32"},
		{"short token in a file", []string{"--admin-token-file", write("short", "short\n")}, nil, "at least 32"},
		{"empty file", []string{"--admin-token-file", write("empty", "\n")}, nil, "is empty"},
		{"missing file", []string{"--secret-key-file", filepath.Join(dir, "nope")}, nil, "secret-key-file"},
		{"both", []string{"--admin-token-file", tokFile}, map[string]string{"RESETGW_ADMIN_TOKEN": long}, "keep one"},
	} {
		_, err := parseServe(tc.args, envOf(tc.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if tok := randomToken(); len(tok) < minAdminToken {
		t.Fatalf("demo token %d characters", len(tok))
	}
}

// TestSMTPLaneConnections: RESETGW_SMTP_LANE_CONNECTIONS sets each SMTP
// lane's connections (4 unless set), from 1 to 64; anything else refuses
// to start with an error naming it.
func TestSMTPLaneConnections(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  int // 0: refused
	}{
		{"", 4}, {"1", 1}, {" 16 ", 16}, {"64", 64},
		{"0", 0}, {"65", 0}, {"-1", 0}, {"four", 0}, {"4.5", 0}, {"1e3", 0},
	} {
		env := map[string]string{}
		if tc.value != "" {
			env["RESETGW_SMTP_LANE_CONNECTIONS"] = tc.value
		}
		c, err := parseServe(nil, envOf(env), io.Discard)
		switch {
		case tc.want == 0 && (err == nil || !strings.Contains(err.Error(), "RESETGW_SMTP_LANE_CONNECTIONS")):
			t.Errorf("%q: err %v, want a refusal naming the variable", tc.value, err)
		case tc.want != 0 && err != nil:
			t.Errorf("%q: %v", tc.value, err)
		case tc.want != 0 && c.SMTPConnections != tc.want:
			t.Errorf("%q: %d connections, want %d", tc.value, c.SMTPConnections, tc.want)
		}
	}
	if c, err := parseServe([]string{"--smtp-lane-connections", "8"}, envOf(nil), io.Discard); err != nil || c.SMTPConnections != 8 {
		t.Errorf("flag: %v %v", c, err)
	}
}
