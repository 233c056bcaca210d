package templates

import (
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

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
	if got := p.Locales(); !slices.Equal(got, []string{"en", "es"}) {
		t.Errorf("locales %v", got)
	}
	for _, n := range PageNames {
		if _, err := p.Render(n, map[string]any{"T": p.Text("es"), "Lang": "es"}); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	// Every word a page names is in every locale's file (a map lookup of a
	// missing key would render as nothing, not fail).
	used := regexp.MustCompile(`\.T\.([a-z_0-9]+)`)
	for _, n := range append([]string{"layout"}, PageNames...) {
		src, err := pagesFS.ReadFile("pages/" + n + ".html")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(src), -1) {
			for _, loc := range p.Locales() {
				if p.Text(loc)[m[1]] == "" {
					t.Errorf("pages/%s.html uses %q, which pages/%s.json lacks", n, m[1], loc)
				}
			}
		}
	}
	if p.Text("fr")["title"] != p.Text("en")["title"] {
		t.Error("a locale without words does not fall back to the default")
	}
	for _, tt := range []struct{ choice, accept, want string }{
		{"", "es-MX,es;q=0.9,en;q=0.8", "es"},
		{"", "fr-FR,en;q=0.5", "en"},
		{"en", "es", "en"},
		{"es", "", "es"},
		{"xx", "", "en"},
		{"", "", "en"},
	} {
		if got := p.Lang(tt.choice, tt.accept); got != tt.want {
			t.Errorf("Lang(%q, %q) = %s, want %s", tt.choice, tt.accept, got, tt.want)
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

// A locale file that lacks a word, has one the default lacks, or is not
// JSON stops the load with the file and the key named.
func TestPageWordsMustMatchTheDefault(t *testing.T) {
	base := fstest.MapFS{}
	err := fs.WalkDir(pagesFS, "pages", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := pagesFS.ReadFile(p)
		base[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadPages(base); err != nil {
		t.Fatalf("the embedded pages as a copy: %v", err)
	}
	for _, tt := range []struct{ name, es, want string }{
		{"missing", `{"title": "Contraseña"}`, `lacks "change_link"`},
		{"extra", strings.Replace(string(base["pages/es.json"].Data), "{", `{"typo_key": "x",`, 1), `has "typo_key"`},
		{"not json", `{"title": `, "pages/es.json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fsys := maps.Clone(base)
			fsys["pages/es.json"] = &fstest.MapFile{Data: []byte(tt.es)}
			_, err := loadPages(fsys)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %s", err, tt.want)
			}
		})
	}
	fsys := maps.Clone(base)
	delete(fsys, "pages/en.json")
	if _, err := loadPages(fsys); err == nil {
		t.Fatal("pages without the default locale's words loaded")
	}
}
