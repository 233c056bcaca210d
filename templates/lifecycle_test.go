package templates

import (
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// The password-changed notice: one GSM-7 segment in every locale with a
// long company name and the office phone, and no password even when the
// data holds one.
func TestPasswordChangedNotice(t *testing.T) {
	r := newRenderer(t, Config{})
	data := gateway.MessageData{Name: "Ana María", Company: "Mudanzas y Almacenes del Gran Norte SA CV",
		OfficePhone: "+1 (201) 555-0100 x9", Password: "Kp7wQx3mZr"}
	for _, loc := range r.Locales() {
		s, err := r.SMS(loc, "password_changed", data)
		if err != nil {
			t.Fatalf("%s: %v", loc, err)
		}
		if !strings.Contains(s, data.OfficePhone) || strings.Contains(s, data.Password) {
			t.Errorf("%s: %q", loc, s)
		}
		if n := gateway.GSM7Len(s); n < 0 || n > gateway.SMSSegment {
			t.Errorf("%s: %d GSM-7 characters, want one segment: %q", loc, n, s)
		}
		subject, text, html, err := r.Email(loc, "password_changed", data)
		if err != nil || subject == "" {
			t.Fatalf("%s email: %v", loc, err)
		}
		if strings.Contains(text+html, data.Password) || !strings.Contains(text, data.OfficePhone) {
			t.Errorf("%s email text: %q", loc, text)
		}
	}
}

func TestPagesParseAndPickALanguage(t *testing.T) {
	p, err := LoadPages()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range PageNames {
		if _, err := p.Render(n, map[string]any{"T": PageText("es"), "Lang": "es"}); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	for _, tt := range []struct{ choice, accept, want string }{
		{"", "es-MX,es;q=0.9,en;q=0.8", "es"},
		{"", "fr-FR,en;q=0.5", "en"},
		{"en", "es", "en"},
		{"es", "", "es"},
		{"xx", "", "en"},
		{"", "", "en"},
	} {
		if got := PageLang(tt.choice, tt.accept); got != tt.want {
			t.Errorf("PageLang(%q, %q) = %s, want %s", tt.choice, tt.accept, got, tt.want)
		}
	}
}

// A link of a long public address cannot fit: the renderer refuses it,
// which is what makes the settings refuse link mode for that address.
func TestSMSLinkTooLongRefused(t *testing.T) {
	r := newRenderer(t, Config{})
	link := "https://" + strings.Repeat("reset.", 20) + "example.com/r/" + strings.Repeat("x", 22)
	if _, err := r.SMS("en", "reset", gateway.MessageData{Company: "Acme", Link: link, ExpiresIn: "24 hours"}); err == nil {
		t.Fatal("a link longer than a segment rendered")
	}
	ok := "https://reset.example.com/r/" + strings.Repeat("x", 22)
	for _, loc := range r.Locales() {
		if _, err := r.SMS(loc, "reset", gateway.MessageData{Company: "Mudanzas y Almacenes del Gran Norte SA CV", Link: ok, ExpiresIn: "24 horas"}); err != nil {
			t.Errorf("%s: %v", loc, err)
		}
	}
}
