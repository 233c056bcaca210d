package templates

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
)

// The public pages a crew member opens from a text or a borrowed phone:
// a reset link's form, "forgot password" and "change password". Plain
// forms, no script, one narrow column that reads at 320 px. Their words
// are in pages/LOCALE.json, one file per locale, so a translator edits
// text, not Go.
//
//go:embed pages/*.html pages/*.json
var pagesFS embed.FS

// Pages renders the public pages. It is safe for concurrent use.
type Pages struct {
	pages map[string]*htmltemplate.Template
	text  map[string]map[string]string // locale -> key -> words
}

// PageNames are the pages Pages renders.
var PageNames = []string{"link", "message", "reset", "password", "verify"}

// LoadPages parses the embedded pages and their words. A locale whose
// keys are not exactly the default locale's is refused, so a missing
// translation stops the start, not a crew member's page.
func LoadPages() (*Pages, error) { return loadPages(pagesFS) }

func loadPages(fsys fs.FS) (*Pages, error) {
	p := &Pages{pages: map[string]*htmltemplate.Template{}, text: map[string]map[string]string{}}
	for _, n := range PageNames {
		t, err := htmltemplate.ParseFS(fsys, "pages/layout.html", "pages/"+n+".html")
		if err != nil {
			return nil, err
		}
		p.pages[n] = t
	}
	files, err := fs.Glob(fsys, "pages/*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		words := map[string]string{}
		if err := json.Unmarshal(b, &words); err != nil {
			return nil, fmt.Errorf("templates: %s: %w", f, err)
		}
		p.text[strings.TrimSuffix(path.Base(f), ".json")] = words
	}
	def := p.text[DefaultLocale]
	if def == nil {
		return nil, fmt.Errorf("templates: no page words for %s", DefaultLocale)
	}
	for _, loc := range p.Locales() {
		words := p.text[loc]
		for _, k := range slices.Sorted(maps.Keys(def)) {
			if _, ok := words[k]; !ok {
				return nil, fmt.Errorf("templates: pages/%s.json lacks %q", loc, k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(words)) {
			if _, ok := def[k]; !ok {
				return nil, fmt.Errorf("templates: pages/%s.json has %q, which %s lacks", loc, k, DefaultLocale)
			}
		}
	}
	return p, nil
}

// Locales lists the locales the pages have words for, sorted.
func (p *Pages) Locales() []string { return slices.Sorted(maps.Keys(p.text)) }

// Text returns a locale's words for the pages (the default locale's for
// one it does not have). The map is shared: do not change it.
func (p *Pages) Text(lang string) map[string]string {
	if t, ok := p.text[lang]; ok {
		return t
	}
	return p.text[DefaultLocale]
}

// Render executes page name with data (whose T field holds the locale's
// words, see Text).
func (p *Pages) Render(name string, data any) ([]byte, error) {
	t, ok := p.pages[name]
	if !ok {
		return nil, notFound(name, "page")
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		return nil, renderError(name, err)
	}
	return b.Bytes(), nil
}

// Lang picks a locale the pages have: the explicit choice if it is one,
// else the first one in an Accept-Language header, else the default.
func (p *Pages) Lang(choice, acceptLanguage string) string {
	if l := p.lang(choice); l != "" {
		return l
	}
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, _, _ := strings.Cut(part, ";")
		if l := p.lang(tag); l != "" {
			return l
		}
	}
	return DefaultLocale
}

func (p *Pages) lang(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	primary, _, _ := strings.Cut(tag, "-")
	if _, ok := p.text[primary]; ok && primary != "" {
		return primary
	}
	return ""
}
