package gateway

import (
	"strings"
	"testing"
	"unicode"
)

func TestNormalizeEmail(t *testing.T) {
	local64 := strings.Repeat("a", 64)
	// 64 + 1 + 189 = 254 bytes: three 61-byte labels and ".com".
	label61 := strings.Repeat("b", 61)
	domain189 := label61 + "." + label61 + "." + label61 + ".com"
	tests := []struct {
		name, in, want string
		code           string // "" when accepted
	}{
		{"plain", "jane@example.com", "jane@example.com", ""},
		{"upper case", "Jane.Doe@Example.COM", "jane.doe@example.com", ""},
		{"padded", "  jane@example.com\t\n", "jane@example.com", ""},
		{"plus tag", "jane+crew@example.com", "jane+crew@example.com", ""},
		{"subdomain", "j@mail.example.co.uk", "j@mail.example.co.uk", ""},
		{"hyphen domain", "j@my-company.example", "j@my-company.example", ""},
		{"atext symbols", "o'brien!#$%&*=?^_`{|}~@example.com", "o'brien!#$%&*=?^_`{|}~@example.com", ""},
		{"idn", "josé@exämple.es", "josé@exämple.es", ""},
		{"254 bytes", local64 + "@" + domain189, local64 + "@" + domain189, ""},
		{"255 bytes", local64 + "a@" + domain189, "", "email_invalid"},
		{"local 65", local64 + "a@example.com", "", "email_invalid"},
		{"label 64", "j@" + strings.Repeat("c", 64) + ".com", "", "email_invalid"},
		{"empty", "", "", "email_required"},
		{"blank", " \t ", "", "email_required"},
		{"display name", "Jane <jane@example.com>", "", "email_invalid"},
		{"angle brackets", "<jane@example.com>", "", "email_invalid"},
		{"comment", "jane@example.com (Jane)", "", "email_invalid"},
		{"quoted local", `"jane"@example.com`, "", "email_invalid"},
		{"quoted space", `"jane doe"@example.com`, "", "email_invalid"},
		{"inner space", "jane doe@example.com", "", "email_invalid"},
		{"nbsp", "jane\u00a0@example.com", "", "email_invalid"},
		{"newline inside", "jane@exa\nmple.com", "", "email_invalid"},
		{"nul", "jane\x00@example.com", "", "email_invalid"},
		{"two addresses", "a@example.com,b@example.com", "", "email_invalid"},
		{"no at", "jane.example.com", "", "email_invalid"},
		{"two ats", "jane@doe@example.com", "", "email_invalid"},
		{"no local", "@example.com", "", "email_invalid"},
		{"no domain", "jane@", "", "email_invalid"},
		{"dotless domain", "jane@localhost", "", "email_invalid"},
		{"leading dot domain", "jane@.example.com", "", "email_invalid"},
		{"trailing dot domain", "jane@example.com.", "", "email_invalid"},
		{"double dot domain", "jane@example..com", "", "email_invalid"},
		{"double dot local", "jane..doe@example.com", "", "email_invalid"},
		{"domain literal", "jane@[192.0.2.1]", "", "email_invalid"},
		{"bare ip", "jane@192.0.2.1", "", "email_invalid"},
		{"hyphen label start", "jane@-example.com", "", "email_invalid"},
		{"hyphen label end", "jane@example-.com", "", "email_invalid"},
		{"underscore domain", "jane@exa_mple.com", "", "email_invalid"},
		{"encoded word", "=?utf-8?q?j?= <jane@example.com>", "", "email_invalid"},
		{"invalid utf-8", "jane\xff@example.com", "", "email_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeEmail(tt.in)
			if tt.code != "" {
				if err == nil {
					t.Fatalf("got %q, want %s", got, tt.code)
				}
				if ErrorCode(err) != tt.code || ErrorKind(err) != KindInvalid {
					t.Fatalf("error %v, want %s", err, tt.code)
				}
				if got != "" {
					t.Fatal("value returned along with an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"jane@example.com", " Jane.Doe@Example.COM ", "Jane <jane@example.com>", `"a b"@example.com`,
		"a@[1.2.3.4]", "josé@exämple.es", "İ@example.com", "a@b", "", "@", "a@b.c.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeEmail(s)
		if err != nil {
			if c := ErrorCode(err); c != "email_required" && c != "email_invalid" {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(got) > 254 || got != strings.ToLower(got) {
			t.Fatalf("bad normal form %q", got)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
			t.Fatalf("space or control in %q", got)
		}
		if strings.Count(got, "@") != 1 {
			t.Fatalf("%q has not exactly one @", got)
		}
		// Normal form is a fixed point: stored emails match themselves.
		again, err := NormalizeEmail(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q, %v", got, again, err)
		}
	})
}
