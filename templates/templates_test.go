package templates

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/secret"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func newRenderer(t *testing.T, cfg Config) *Renderer {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

// writeOverride makes an override folder holding files (relative path →
// content).
func writeOverride(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// smsNames lists the SMS messages a locale has.
func smsNames(t *testing.T, r *Renderer, loc string) []string {
	t.Helper()
	var names []string
	for file := range r.locales[loc].text {
		if name, ok := strings.CutSuffix(file, ".sms.txt"); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// worstPassword is 10 characters of the password alphabet, taking its
// symbols: they are what a careless template could push past a segment.
func worstPassword() string {
	a := secret.PasswordAlphabet
	return (a[len(a)-4:] + a[:6])[:secret.PasswordLength]
}

func expiresIn(loc string) string {
	if loc == "es" {
		return "24 horas"
	}
	return "24 hours"
}

func TestLocales(t *testing.T) {
	r := newRenderer(t, Config{})
	if got := r.Locales(); !slices.Equal(got, []string{"en", "es"}) {
		t.Fatalf("Locales() = %v", got)
	}
	// Every locale has every message the default locale has, so that a
	// crew member never gets half a message in another language.
	for _, loc := range r.Locales() {
		for file := range r.locales[DefaultLocale].text {
			if r.locales[loc].text[file] == nil {
				t.Errorf("%s lacks %s", loc, file)
			}
		}
		for file := range r.locales[DefaultLocale].html {
			if r.locales[loc].html[file] == nil {
				t.Errorf("%s lacks %s", loc, file)
			}
		}
	}
}

func TestEveryMessageExists(t *testing.T) {
	r := newRenderer(t, Config{})
	data := gateway.MessageData{Company: "Acme", Password: worstPassword(), ExpiresIn: "24 hours"}
	for _, loc := range r.Locales() {
		for _, name := range []string{"reset", "password_set", "help", "opted_out", "opted_in", "test", "reply"} {
			if _, err := r.SMS(loc, name, data); err != nil {
				t.Errorf("SMS(%s, %s): %v", loc, name, err)
			}
		}
		for _, name := range []string{"reset", "password_set", "test"} {
			if _, _, _, err := r.Email(loc, name, data); err != nil {
				t.Errorf("Email(%s, %s): %v", loc, name, err)
			}
		}
	}
}

// TestSMSWorstCaseFitsOneSegment is DESIGN.md rule 6: with the longest data
// we plan for, every text of every locale is GSM-7 and one segment, with
// the company name still whole (no fallback needed).
func TestSMSWorstCaseFitsOneSegment(t *testing.T) {
	r := newRenderer(t, Config{})
	company := "Mudanzas y Almacenes del Gran Norte S.A."
	if n := utf8.RuneCountInString(company); n != 40 {
		t.Fatalf("company name has %d runes", n)
	}
	for _, loc := range r.Locales() {
		for _, name := range smsNames(t, r, loc) {
			for _, flags := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				data := gateway.MessageData{
					Name:         "Maximiliano Hernández",
					Company:      company,
					Password:     worstPassword(),
					ExpiresIn:    expiresIn(loc),
					MustChange:   flags[0],
					KeepOriginal: flags[1],
				}
				t.Run(loc+"/"+name, func(t *testing.T) {
					s, err := r.SMS(loc, name, data)
					if err != nil {
						t.Fatal(err)
					}
					n := gateway.GSM7Len(s)
					if n < 0 || n > gateway.SMSSegment {
						t.Fatalf("%d septets (GSM-7: %v): %q", n, n >= 0, s)
					}
					if !strings.Contains(s, company) {
						t.Errorf("company name was cut: %q", s)
					}
					if (name == "reset" || name == "password_set") && !strings.Contains(s, "\n"+data.Password+"\n") {
						t.Errorf("password is not on a line of its own: %q", s)
					}
					t.Logf("%3d septets: %q", n, s)
				})
			}
		}
	}
}

func TestSMSLinkMode(t *testing.T) {
	r := newRenderer(t, Config{})
	link := "https://reset.example.com/r/" + strings.Repeat("A", 43)
	for _, loc := range r.Locales() {
		data := gateway.MessageData{Company: "Mudanzas y Almacenes del Gran Norte SA CV", Link: link, ExpiresIn: "60 minutes"}
		s, err := r.SMS(loc, "reset", data)
		if err != nil {
			t.Fatalf("%s: %v", loc, err)
		}
		if n := gateway.GSM7Len(s); n < 0 || n > gateway.SMSSegment {
			t.Errorf("%s: %d septets: %q", loc, n, s)
		}
		if !strings.Contains(s, "\n"+link+"\n") {
			t.Errorf("%s: link is not on a line of its own: %q", loc, s)
		}
	}
}

func TestSMSFallback(t *testing.T) {
	r := newRenderer(t, Config{})
	long := "Acme Moving & Storage of Greater Springfield and the Tri-County Area Incorporated"
	tests := []struct {
		name     string
		company  string
		want     string // the text must hold this
		wantNot  string // and must not hold this
		noPrefix bool   // no "Company: " label at all
	}{
		{name: "fits as is", company: "Acme Moving", want: "Acme Moving: "},
		{name: "accents folded", company: "Mudanzas Rápidas Ñuñoa", want: "Mudanzas Rapidas Ñuñoa: "},
		{name: "curly quote folded", company: "Bob’s Movers", want: "Bob's Movers: "},
		{name: "long name cut at a word", company: long, want: "Acme Moving & Storage of Greater Springfield", wantNot: "Tri-County"},
		{name: "other script left out", company: "株式会社ムービング", noPrefix: true},
		{name: "mixed script keeps the latin part", company: "Ivanov Переезды", want: "Ivanov: "},
		{name: "emoji left out", company: "🚚 Acme", want: "Acme: "},
		{name: "one enormous word left out", company: strings.Repeat("A", 500), noPrefix: true},
		{name: "line breaks folded", company: "Acme\r\nMoving", want: "Acme Moving: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := gateway.MessageData{Name: "Иван", Company: tt.company, Password: worstPassword(), ExpiresIn: "24 hours", KeepOriginal: true}
			s, err := r.SMS("en", "reset", data)
			if err != nil {
				t.Fatal(err)
			}
			if n := gateway.GSM7Len(s); n < 0 || n > gateway.SMSSegment {
				t.Fatalf("%d septets: %q", n, s)
			}
			if tt.want != "" && !strings.Contains(s, tt.want) {
				t.Errorf("want %q in %q", tt.want, s)
			}
			if tt.wantNot != "" && strings.Contains(s, tt.wantNot) {
				t.Errorf("did not want %q in %q", tt.wantNot, s)
			}
			if tt.noPrefix && !strings.HasPrefix(s, "Your new password") {
				t.Errorf("want no company label: %q", s)
			}
		})
	}
}

func TestSMSFallbackDropsName(t *testing.T) {
	dir := writeOverride(t, map[string]string{
		"en/reset.sms.txt": "Hi {{.Name}}, {{.Company}} here. Your new password is:\n{{.Password}}\n",
	})
	r := newRenderer(t, Config{Dir: dir})
	for _, data := range []any{
		gateway.MessageData{Name: "Иван", Company: "Acme", Password: "Kp7wQx3m?!"},
		&gateway.MessageData{Name: "Иван", Company: "Acme", Password: "Kp7wQx3m?!"},
	} {
		s, err := r.SMS("en", "reset", data)
		if err != nil {
			t.Fatal(err)
		}
		if want := "Hi , Acme here. Your new password is:\nKp7wQx3m?!"; s != want {
			t.Errorf("got %q, want %q", s, want)
		}
	}
	// Kept when it fits.
	s, err := r.SMS("en", "reset", gateway.MessageData{Name: "Ana", Company: "Acme", Password: "x"})
	if err != nil || !strings.HasPrefix(s, "Hi Ana,") {
		t.Errorf("got %q, %v", s, err)
	}
}

func TestSMSCannotFit(t *testing.T) {
	r := newRenderer(t, Config{})
	secret := strings.Repeat("Kp7wQx3m", 25)
	_, err := r.SMS("en", "reset", gateway.MessageData{Company: "Acme", Password: secret, ExpiresIn: "24 hours"})
	if gateway.ErrorCode(err) != "sms_too_long" {
		t.Fatalf("err = %v, want sms_too_long", err)
	}
	if strings.Contains(err.Error(), "Kp7wQx3m") {
		t.Errorf("the error shows the password: %v", err)
	}
	_, err = r.SMS("en", "reset", gateway.MessageData{Password: "pässwörd✓"})
	if gateway.ErrorCode(err) != "sms_not_gsm7" {
		t.Fatalf("err = %v, want sms_not_gsm7", err)
	}
	if strings.Contains(err.Error(), "pässwörd") {
		t.Errorf("the error shows the password: %v", err)
	}
	// Data the renderer does not know cannot be shortened.
	_, err = r.SMS("en", "reset", map[string]any{"Company": strings.Repeat("A", 200), "Password": "x", "Link": "", "ExpiresIn": "1 hour", "KeepOriginal": true})
	if gateway.ErrorCode(err) != "sms_too_long" {
		t.Fatalf("map data: err = %v, want sms_too_long", err)
	}
}

func TestUnknownMessage(t *testing.T) {
	r := newRenderer(t, Config{})
	if _, err := r.SMS("en", "nope", gateway.MessageData{}); gateway.ErrorCode(err) != "template_not_found" {
		t.Errorf("SMS: err = %v", err)
	}
	// help has no email.
	if _, _, _, err := r.Email("en", "help", gateway.MessageData{}); gateway.ErrorCode(err) != "template_not_found" {
		t.Errorf("Email: err = %v", err)
	}
}

func TestLocaleFallback(t *testing.T) {
	r := newRenderer(t, Config{})
	data := gateway.MessageData{Company: "Acme", Password: "Kp7wQx3m?!", ExpiresIn: "24 hours"}
	const en, es = "Your new password", "Tu nueva contraseña"
	tests := []struct {
		locale string
		want   string
	}{
		{"en", en},
		{"es", es},
		{"es-MX", es},
		{"es_MX", es},
		{" ES-419 ", es},
		{"en-GB", en},
		{"de-DE", en},
		{"", en},
		{"-", en},
		{"../es", en},
	}
	for _, tt := range tests {
		s, err := r.SMS(tt.locale, "reset", data)
		if err != nil {
			t.Fatalf("%q: %v", tt.locale, err)
		}
		if !strings.Contains(s, tt.want) {
			t.Errorf("SMS(%q) = %q, want %q", tt.locale, s, tt.want)
		}
		subject, _, _, err := r.Email(tt.locale, "reset", data)
		if err != nil {
			t.Fatalf("%q: %v", tt.locale, err)
		}
		if wantSubject := map[string]string{en: "Your new Acme password", es: "Tu nueva contraseña de Acme"}[tt.want]; subject != wantSubject {
			t.Errorf("Email(%q) subject = %q, want %q", tt.locale, subject, wantSubject)
		}
	}
}

func TestEmailSubject(t *testing.T) {
	r := newRenderer(t, Config{})
	tests := []struct {
		locale, company, want string
	}{
		{"es", "Mudanzas Ñandú", "Tu nueva contraseña de Mudanzas Ñandú"},
		{"en", "Müller Umzüge", "Your new Müller Umzüge password"},
		{"en", "", "Your new password"},
		{"es", "", "Tu nueva contraseña"},
		// A line break in the company name must not start a new header.
		{"en", "Acme\r\nBcc: victim@example.com", "Your new Acme Bcc: victim@example.com password"},
		{"en", "Acme\x00\t  Moving", "Your new Acme Moving password"},
	}
	for _, tt := range tests {
		subject, _, _, err := r.Email(tt.locale, "reset", gateway.MessageData{Company: tt.company, Password: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if subject != tt.want {
			t.Errorf("subject = %q, want %q", subject, tt.want)
		}
		if !utf8.ValidString(subject) || strings.ContainsAny(subject, "\r\n") {
			t.Errorf("bad subject %q", subject)
		}
	}
}

func TestEmailHTMLEscapes(t *testing.T) {
	r := newRenderer(t, Config{})
	data := gateway.MessageData{
		Name:     `<b onmouseover="x">Ana</b>`,
		Company:  `<script>alert(1)</script> & Co`,
		Password: "Kp7wQx3m?!",
		Link:     "",
	}
	for _, loc := range r.Locales() {
		for _, name := range []string{"reset", "password_set", "test"} {
			_, text, html, err := r.Email(loc, name, data)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(html, "<script>") || strings.Contains(html, "<b ") {
				t.Errorf("%s/%s: HTML not escaped:\n%s", loc, name, html)
			}
			if !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co") {
				t.Errorf("%s/%s: escaped company missing:\n%s", loc, name, html)
			}
			// The text part is plain text: nothing to escape, shown as is.
			if name == "reset" && !strings.Contains(text, "<script>alert(1)</script> & Co") {
				t.Errorf("%s/%s: text part changed the company: %q", loc, name, text)
			}
		}
	}
	// A link that is not http(s) never becomes a clickable href.
	_, _, html, err := r.Email("en", "reset", gateway.MessageData{Link: "javascript:alert(1)", ExpiresIn: "60 minutes"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, `href="javascript`) {
		t.Errorf("javascript: link in href:\n%s", html)
	}
}

func TestEmailShowsPassword(t *testing.T) {
	r := newRenderer(t, Config{})
	data := gateway.MessageData{Company: "Acme", Password: "Kp7wQx3m?!", ExpiresIn: "24 hours", MustChange: true}
	for _, loc := range r.Locales() {
		for _, name := range []string{"reset", "password_set"} {
			_, text, html, err := r.Email(loc, name, data)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, "\n    Kp7wQx3m?!\n") {
				t.Errorf("%s/%s: password not on its own line in text:\n%s", loc, name, text)
			}
			if !strings.Contains(html, "monospace") || !strings.Contains(html, ">Kp7wQx3m?!</div>") {
				t.Errorf("%s/%s: password box missing:\n%s", loc, name, html)
			}
		}
	}
}

func TestOverrideWins(t *testing.T) {
	dir := writeOverride(t, map[string]string{
		"en/reset.sms.txt":     "Override: {{.Password}}",
		"en/reset.subject.txt": "Override subject",
		"fr/reset.sms.txt":     "Nouveau mot de passe : {{.Password}}",
		"fr/notes.md":          "not a template",
		"README.txt":           "{{ not a template either: outside any locale folder",
		"console/page.html":    "{{ not a locale folder",
	})
	r := newRenderer(t, Config{Dir: dir})
	data := gateway.MessageData{Company: "Acme", Password: "Kp7wQx3m?!", ExpiresIn: "24 hours"}

	if s, _ := r.SMS("en", "reset", data); s != "Override: Kp7wQx3m?!" {
		t.Errorf("en SMS = %q", s)
	}
	subject, text, _, err := r.Email("en", "reset", data)
	if err != nil || subject != "Override subject" || !strings.Contains(text, "Kp7wQx3m?!") {
		t.Errorf("en email = %q, %q, %v (overridden subject, embedded text)", subject, text, err)
	}
	// Untouched files stay embedded; es is untouched.
	if s, _ := r.SMS("es", "reset", data); !strings.Contains(s, "Tu nueva contraseña") {
		t.Errorf("es SMS = %q", s)
	}
	// A new locale from the folder: what it has is used, the rest is en.
	if got := r.Locales(); !slices.Equal(got, []string{"en", "es", "fr"}) {
		t.Errorf("Locales() = %v", got)
	}
	if s, _ := r.SMS("fr-CA", "reset", data); s != "Nouveau mot de passe : Kp7wQx3m?!" {
		t.Errorf("fr SMS = %q", s)
	}
	if s, _ := r.SMS("fr", "help", data); !strings.Contains(s, "Text RESET") {
		t.Errorf("fr help = %q", s)
	}
	if subject, _, _, _ := r.Email("fr", "reset", data); subject != "Override subject" {
		t.Errorf("fr email subject = %q (want the whole en email)", subject)
	}
}

func TestNewFails(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"syntax error in text", map[string]string{"en/reset.txt": "Hi {{.Name"}, "reset.txt"},
		{"syntax error in html", map[string]string{"es/reset.html": "<p>{{if .Name}}</p>"}, "reset.html"},
		{"unknown field", map[string]string{"en/help.sms.txt": "{{.Nmae}}"}, "help.sms.txt"},
		{"unsafe html", map[string]string{"en/test.html": "<a href='{{.Link}}"}, "test.html"},
		{"SMS can never fit", map[string]string{"en/help.sms.txt": strings.Repeat("x", 161)}, "sms_too_long"},
		{"SMS not GSM-7", map[string]string{"es/help.sms.txt": "Envía RESET"}, "sms_not_gsm7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Config{Dir: writeOverride(t, tt.files)})
			if err == nil {
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	t.Run("missing folder", func(t *testing.T) {
		_, err := New(Config{Dir: filepath.Join(t.TempDir(), "nope")})
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("folder is a file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := New(Config{Dir: f}); err == nil {
			t.Error("New succeeded")
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	r := newRenderer(t, Config{})
	done := make(chan error)
	for i := range 8 {
		go func() {
			loc := r.Locales()[i%2]
			data := gateway.MessageData{Company: strings.Repeat("Acme ", 20), Password: worstPassword(), ExpiresIn: "24 hours"}
			for range 50 {
				if _, err := r.SMS(loc, "reset", data); err != nil {
					done <- err
					return
				}
				if _, _, _, err := r.Email(loc, "reset", data); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestCompanyVariants(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{""}},
		{"Acme", []string{"Acme", ""}},
		{"Acme Moving & Storage", []string{"Acme Moving & Storage", "Acme Moving", "Acme", ""}},
		{"  Acme,  Inc. ", []string{"Acme, Inc.", "Acme", ""}},
		{"株式会社", []string{""}},
		{"— Acme", []string{"- Acme", ""}},
	}
	for _, tt := range tests {
		if got := companyVariants(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("companyVariants(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := companyVariants(strings.Repeat("ab ", 1000)); len(got) > maxCompanyRunes {
		t.Errorf("%d variants for a huge name", len(got))
	}
}

func TestFoldGSM7(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Acme", "Acme"},
		{"Mudanzas Rápidas", "Mudanzas Rapidas"},
		{"Ñandú Óptimo Íñigo Úrsula", "Ñandu Optimo Iñigo Ursula"},
		{"Łódź Movers", "Lodz Movers"},
		{"François", "Francois"},
		{"Müller", "Müller"},
		{"Bob’s “Best” Movers – East…", `Bob's "Best" Movers - East...`},
		{"A\tB\nC\u00a0D", "A B C D"},
		{"株式会社 Acme 🚚", "Acme"},
		{"Переезды", ""},
		{"{Braces}", "{Braces}"},
	}
	for _, tt := range tests {
		got := foldGSM7(tt.in)
		if got != tt.want {
			t.Errorf("foldGSM7(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !gateway.IsGSM7(got) {
			t.Errorf("foldGSM7(%q) = %q is not GSM-7", tt.in, got)
		}
	}
}

func FuzzFoldGSM7(f *testing.F) {
	for _, s := range []string{"Acme", "Mudanzas Rápidas", "株式会社", "a\xffb", "Bob’s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range companyVariants(s) {
			if !gateway.IsGSM7(v) || strings.TrimSpace(v) != v {
				t.Fatalf("variant %q of %q", v, s)
			}
		}
	})
}

// goldenData is the fixed data set of the golden files.
func goldenData(loc string) map[string]gateway.MessageData {
	expires, link := "24 hours", "60 minutes"
	if loc == "es" {
		expires, link = "24 horas", "60 minutos"
	}
	base := gateway.MessageData{Name: "Ana López", Company: "Mudanzas Ñandú & Co", Password: "Kp7wQx3m?!", ExpiresIn: expires, MustChange: true, KeepOriginal: true}
	reset := base
	linkData := base
	linkData.Password, linkData.MustChange, linkData.ExpiresIn = "", false, link
	linkData.Link = "https://reset.example.com/r/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd"
	noPassword := base
	noPassword.Password, noPassword.MustChange = "", false
	return map[string]gateway.MessageData{
		"reset":                    reset,
		"reset_link":               linkData,
		"password_set":             base,
		"password_set_no_password": noPassword,
		"test":                     base,
	}
}

// TestGolden renders each email with fixed data and compares it with
// testdata/<locale>_<case>.golden; go test -run Golden -update rewrites them
// after an intended change (then read the diff).
func TestGolden(t *testing.T) {
	r := newRenderer(t, Config{})
	for _, loc := range r.Locales() {
		for name, data := range goldenData(loc) {
			t.Run(loc+"_"+name, func(t *testing.T) {
				msg, _, _ := strings.Cut(name, "_link")
				msg, _, _ = strings.Cut(msg, "_no_password")
				subject, text, html, err := r.Email(loc, msg, data)
				if err != nil {
					t.Fatal(err)
				}
				sms, err := r.SMS(loc, msg, data)
				if err != nil {
					t.Fatal(err)
				}
				got := "Subject: " + subject + "\n\n--- sms ---\n" + sms + "\n\n--- text ---\n" + text + "\n--- html ---\n" + html
				file := filepath.Join("testdata", loc+"_"+name+".golden")
				if *update {
					if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (run go test -run Golden -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from the rendering (go test -run Golden -update to accept):\n--- got ---\n%s", file, got)
				}
			})
		}
	}
}
