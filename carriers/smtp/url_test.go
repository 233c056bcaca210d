package smtp

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in   string
		want *Endpoint // nil: error expected
		err  urlError
	}{
		{in: "smtp://mail.example.com:587", want: &Endpoint{Host: "mail.example.com", Port: 587, TLS: TLSVerify}},
		{in: "smtp://mail.example.com", want: &Endpoint{Host: "mail.example.com", Port: 25, TLS: TLSVerify}},
		{in: "smtps://mail.example.com", want: &Endpoint{Host: "mail.example.com", Port: 465, ImplicitTLS: true, TLS: TLSVerify}},
		{in: "SMTPS://u:p@mail.example.com:2465/", want: &Endpoint{Host: "mail.example.com", Port: 2465, ImplicitTLS: true, Username: "u", Password: "p", TLS: TLSVerify}},
		{in: "  smtp://apikey:S3cr%2Ft%40pw@127.0.0.1:2525  ", want: &Endpoint{Host: "127.0.0.1", Port: 2525, Username: "apikey", Password: "S3cr/t@pw", TLS: TLSOpportunistic}},
		{in: "smtp://user%40example.com:pw@[::1]:25", want: &Endpoint{Host: "::1", Port: 25, Username: "user@example.com", Password: "pw", TLS: TLSOpportunistic}},
		{in: "smtp://user@host", want: &Endpoint{Host: "host", Port: 25, Username: "user", TLS: TLSVerify}},
		{in: "smtp://localhost", want: &Endpoint{Host: "localhost", Port: 25, TLS: TLSOpportunistic}},
		{in: "smtps://127.0.0.1", want: &Endpoint{Host: "127.0.0.1", Port: 465, ImplicitTLS: true, TLS: TLSVerify}},
		{in: "smtps://127.0.0.1?tls=opportunistic", want: &Endpoint{Host: "127.0.0.1", Port: 465, ImplicitTLS: true, TLS: TLSOpportunistic, TLSSet: true}},
		{in: "smtp://127.0.0.1?tls=verify", want: &Endpoint{Host: "127.0.0.1", Port: 25, TLS: TLSVerify, TLSSet: true}},
		{in: "smtp://mail.example.com:587?tls=opportunistic", want: &Endpoint{Host: "mail.example.com", Port: 587, TLS: TLSOpportunistic, TLSSet: true}},
		{in: "smtp://mail.example.com:587/?TLS=x", err: unknownParam("TLS")},
		{in: "smtp://mail.example.com:587?tls=None", want: &Endpoint{Host: "mail.example.com", Port: 587, TLS: TLSNone, TLSSet: true}},
		{in: "smtp://mail.example.com?ca=/etc/ssl/private-ca.pem", want: &Endpoint{Host: "mail.example.com", Port: 25, TLS: TLSVerify, CAFile: "/etc/ssl/private-ca.pem"}},
		{in: "smtp://127.0.0.1?tls=verify&ca=/ca.pem", want: &Endpoint{Host: "127.0.0.1", Port: 25, TLS: TLSVerify, TLSSet: true, CAFile: "/ca.pem"}},
		{in: "http://mail.example.com", err: errScheme},
		{in: "mail.example.com:25", err: errScheme},
		{in: "user:secretpw@mail.example.com", err: errScheme},
		{in: "smtp://", err: errHost},
		{in: "smtp://:25", err: errHost},
		{in: "smtp://mail.example.com:0", err: errPort},
		{in: "smtp://mail.example.com:70000", err: errPort},
		{in: "smtp://mail.example.com:", err: errPort},
		{in: "smtp://mail.example.com:25/x", err: errPath},
		{in: "smtp://mail.example.com:25?tls=1", err: errTLSValue},
		{in: "smtp://mail.example.com:25?tls=", err: errTLSValue},
		{in: "smtp://mail.example.com:25?tls=verify&tls=none", err: errTwice},
		{in: "smtp://mail.example.com:25?starttls=always", err: unknownParam("starttls")},
		{in: "smtp://mail.example.com:25?tls=verify&auth=plain", err: unknownParam("auth")},
		{in: "smtp://mail.example.com:25?", want: &Endpoint{Host: "mail.example.com", Port: 25, TLS: TLSVerify}},
		{in: "smtp://mail.example.com:25?ca=", err: errCAEmpty},
		{in: "smtp://mail.example.com:25?ca=/x.pem&tls=opportunistic", err: errCAMode},
		{in: "smtps://mail.example.com?tls=none", err: errSMTPSNone},
		{in: "smtp://mail.example.com:25?tls=verify;x", err: errMalformed},
		{in: "smtp://mail.example.com:25#f", err: errPath},
		{in: "smtp://u:p%0Aq@mail.example.com", err: errCreds},
		{in: "smtp://:pw@mail.example.com", err: errUserless},
		{in: "smtp://u:pa ss@mail.example.com:25", err: errMalformed},
		{in: "smtp://u:secret#pw@mail.example.com", err: errMalformed},
		{in: "smtp:opaque", err: errMalformed},
		{in: "smtp://u:p%zz@mail.example.com", err: errMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseURL(tt.in)
			if tt.want == nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ParseURL = %+v, %v; want error %v", got, err, tt.err)
				}
				return
			}
			if err != nil || *got != *tt.want {
				t.Fatalf("ParseURL = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestEndpointHidesPassword(t *testing.T) {
	ep, err := ParseURL("smtp://apikey:TopSecret123@mail.example.com:587")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{ep.String(), fmt.Sprint(ep), fmt.Sprintf("%v %+v %#v %s", ep, ep, ep, ep), fmt.Sprintf("%+v %#v", *ep, *ep)} {
		if strings.Contains(s, "TopSecret123") {
			t.Errorf("%q shows the password", s)
		}
	}
	if ep.String() != "smtp://apikey@mail.example.com:587" {
		t.Errorf("String = %q", ep.String())
	}
}

var allURLErrors = []urlError{errMalformed, errScheme, errHost, errPort, errPath, errCreds, errUserless,
	errTLSValue, errTwice, errCAEmpty, errCAMode, errSMTPSNone}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"smtp://mail.example.com:587", "smtps://u:p@h", "smtp://u:p%40x@[::1]:25/", "smtp://h:0",
		"user:pass@host", "smtp://u:p%0A@h", "smtp://h:25?x", "smtp://h?tls=none&ca=/x", "smtp://h?tls=opportunistic", "smtp:x", "\x00", "smtp://%zz@h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ep, err := ParseURL(s)
		if err != nil {
			// Errors come only from a fixed set of texts: none can carry
			// any part of the input, password included.
			var ue urlError
			if !errors.As(err, &ue) {
				t.Fatalf("error %T %q is not a urlError", err, err)
			}
			// An unknown parameter is named, as the admin must see
			// which; never the credentials.
			known := strings.HasPrefix(string(ue), "unknown query parameter ")
			for _, k := range allURLErrors {
				known = known || ue == k
			}
			if !known {
				t.Fatalf("error %q is not one of the fixed texts", err)
			}
			return
		}
		if ep.Host == "" || ep.Port < 1 || ep.Port > 65535 {
			t.Fatalf("accepted %q as %+v", s, ep)
		}
		if strings.ContainsAny(ep.Host+ep.Username+ep.Password, "\r\n") {
			t.Fatalf("accepted a line break in %q", s)
		}
		// The printable form leaves out the password (when the password
		// is not also part of what is shown, as in user "ab" password "a").
		shown := ep.String()
		if ep.Password != "" && !strings.Contains(url.User(ep.Username).String()+ep.Addr()+"smtps://@", ep.Password) &&
			strings.Contains(shown, ep.Password) {
			t.Fatalf("String() %q shows the password", shown)
		}
		// What String prints parses back to the same place.
		back, err := ParseURL(shown)
		if err != nil || back.Host != ep.Host || back.Port != ep.Port || back.ImplicitTLS != ep.ImplicitTLS || back.Username != ep.Username ||
			back.TLS != ep.TLS || back.CAFile != ep.CAFile {
			t.Fatalf("round trip %q -> %q -> %+v, %v", s, shown, back, err)
		}
	})
}

func TestParseTenantURL(t *testing.T) {
	tests := []struct {
		in  string
		err error
	}{
		{"smtp://mail.example.com:587", nil},
		{"smtp://mail.example.com:587?tls=opportunistic", nil},
		{"smtps://mail.example.com?tls=verify", nil},
		{"smtp://mail.example.com:587?ca=/etc/shadow", errTenantCA},
		{"smtp://mail.example.com:587?tls=none", errTenantTLS},
		{"smtp://127.0.0.1:25?tls=none", nil}, // reachable only when allow-listed
		{"smtp://mail.example.com:587?x=1", unknownParam("x")},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseTenantURL(tt.in)
			if !errors.Is(err, tt.err) && !(err == nil && tt.err == nil) {
				t.Fatalf("ParseTenantURL(%q) = %v, want %v", tt.in, err, tt.err)
			}
		})
	}
}
