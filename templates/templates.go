// Package templates holds the message texts the gateway sends (SMS text,
// email subject, plain text and HTML) per locale, embedded in the binary
// and overridable file by file from a folder at run time.
//
// Layout: <locale>/<name>.sms.txt, <name>.subject.txt, <name>.txt and
// <name>.html, where name is "reset", "password_set", "help", "opted_out",
// "opted_in", "test" or "reply". .txt files are text/template and .html
// files html/template; their data is a gateway.MessageData.
package templates

import (
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	texttemplate "text/template"
	"unicode"

	"github.com/resetgw/resetgw/gateway"
)

// The locales are listed by name rather than globbed so that a folder of
// something else (console pages, test data) never turns into a locale.
// A new locale is a new folder here and a new name on this line.
//
//go:embed en es
var embedded embed.FS

// DefaultLocale is what a missing or unknown locale falls back to. Every
// message must exist in it.
const DefaultLocale = "en"

// Config configures New.
type Config struct {
	// Dir, when set, is a folder laid out like the embedded one
	// (en/reset.sms.txt, ...). A file there wins over the embedded file of
	// the same relative path; a file or locale folder the embedded set
	// lacks is added. The folder must exist.
	Dir string
}

// Renderer renders the messages. It implements gateway.Renderer and is
// safe for concurrent use.
type Renderer struct {
	// locales maps a locale ("en", "es", "es-mx") to its templates, keyed
	// by file name ("reset.sms.txt").
	locales map[string]*locale
}

type locale struct {
	text map[string]*texttemplate.Template
	html map[string]*htmltemplate.Template
}

var _ gateway.Renderer = (*Renderer)(nil)

// localeDir accepts folder names that look like a language tag, so that
// stray folders in an override directory are not mistaken for locales.
var localeDir = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})*$`)

// New parses every template once, embedded and overridden, and tries each
// on sample data, so that a broken template (bad syntax, an unknown field,
// an SMS that cannot fit one segment) stops the start rather than a
// password delivery.
func New(cfg Config) (*Renderer, error) {
	r := &Renderer{locales: map[string]*locale{}}
	if err := r.load(embedded, "embedded"); err != nil {
		return nil, err
	}
	if cfg.Dir != "" {
		st, err := os.Stat(cfg.Dir)
		if err != nil {
			return nil, fmt.Errorf("templates: override folder: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("templates: override folder %s is not a folder", cfg.Dir)
		}
		if err := r.load(os.DirFS(cfg.Dir), cfg.Dir); err != nil {
			return nil, err
		}
	}
	if r.locales[DefaultLocale] == nil {
		return nil, errors.New("templates: no " + DefaultLocale + " templates")
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}

// load parses the templates of fsys into r, replacing those of the same
// path. Only files directly inside locale folders count.
func (r *Renderer) load(fsys fs.FS, origin string) error {
	dirs, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return fmt.Errorf("templates: %s: %w", origin, err)
	}
	for _, d := range dirs {
		name := strings.ToLower(d.Name())
		if !d.IsDir() || !localeDir.MatchString(name) {
			continue
		}
		files, err := fs.ReadDir(fsys, d.Name())
		if err != nil {
			return fmt.Errorf("templates: %s: %w", origin, err)
		}
		for _, f := range files {
			if f.IsDir() || !(strings.HasSuffix(f.Name(), ".txt") || strings.HasSuffix(f.Name(), ".html")) {
				continue
			}
			rel := path.Join(d.Name(), f.Name())
			src, err := fs.ReadFile(fsys, rel)
			if err != nil {
				return fmt.Errorf("templates: %s: %w", origin, err)
			}
			if err := r.parse(name, f.Name(), string(src)); err != nil {
				return fmt.Errorf("templates: %s/%s: %w", origin, rel, err)
			}
		}
	}
	return nil
}

func (r *Renderer) parse(loc, file, src string) error {
	l := r.locales[loc]
	if l == nil {
		l = &locale{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
		r.locales[loc] = l
	}
	// missingkey=error: a typo in a field name of map data fails loudly
	// instead of printing "<no value>" into somebody's text.
	if strings.HasSuffix(file, ".html") {
		t, err := htmltemplate.New(loc + "/" + file).Option("missingkey=error").Parse(src)
		if err != nil {
			return err
		}
		l.html[file] = t
		return nil
	}
	t, err := texttemplate.New(loc + "/" + file).Option("missingkey=error").Parse(src)
	if err != nil {
		return err
	}
	l.text[file] = t
	return nil
}

// Locales returns the locales that have templates, sorted.
func (r *Renderer) Locales() []string {
	out := make([]string, 0, len(r.locales))
	for l := range r.locales {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// chain returns the locales to try for a requested one: "es_MX" gives
// es-mx, es, en.
func (r *Renderer) chain(loc string) []string {
	loc = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(loc), "_", "-"))
	var out []string
	for loc != "" {
		if r.locales[loc] != nil {
			out = append(out, loc)
		}
		i := strings.LastIndexByte(loc, '-')
		if i < 0 {
			break
		}
		loc = loc[:i]
	}
	if !slices.Contains(out, DefaultLocale) {
		out = append(out, DefaultLocale)
	}
	return out
}

// SMS renders <name>.sms.txt. The text must be GSM-7 and fit one segment
// (DESIGN.md rule 6). When the data makes it too long or brings in
// characters GSM-7 lacks (a long company name, a name in another script),
// it is rendered again without the person's name and with the company name
// folded to GSM-7, then shortened word by word, then left out; only if
// even that does not fit is it an error.
func (r *Renderer) SMS(loc, name string, data any) (string, error) {
	file := name + ".sms.txt"
	var t *texttemplate.Template
	for _, l := range r.chain(loc) {
		if t = r.locales[l].text[file]; t != nil {
			break
		}
	}
	if t == nil {
		return "", notFound(name, "SMS")
	}
	septets := -1
	for d := range smsCandidates(data) {
		s, err := execText(t, d)
		if err != nil {
			return "", err
		}
		s = strings.TrimSpace(s)
		if septets = gateway.GSM7Len(s); septets >= 0 && septets <= gateway.SMSSegment {
			return s, nil
		}
	}
	// The text itself stays out of the error: it may hold a password.
	if septets < 0 {
		return "", gateway.Errorf(gateway.KindInternal, "sms_not_gsm7",
			"SMS %q (%s) holds characters GSM-7 cannot carry", name, t.Name())
	}
	return "", gateway.Errorf(gateway.KindInternal, "sms_too_long",
		"SMS %q (%s) needs %d septets, one segment holds %d", name, t.Name(), septets, gateway.SMSSegment)
}

// Email renders <name>.subject.txt, <name>.txt and <name>.html, all three
// from the same locale so that a message never mixes languages.
func (r *Renderer) Email(loc, name string, data any) (subject, text, html string, err error) {
	var l *locale
	for _, c := range r.chain(loc) {
		cand := r.locales[c]
		if cand.text[name+".subject.txt"] != nil && cand.text[name+".txt"] != nil && cand.html[name+".html"] != nil {
			l = cand
			break
		}
	}
	if l == nil {
		return "", "", "", notFound(name, "email")
	}
	if subject, err = execText(l.text[name+".subject.txt"], data); err != nil {
		return "", "", "", err
	}
	if text, err = execText(l.text[name+".txt"], data); err != nil {
		return "", "", "", err
	}
	var b strings.Builder
	t := l.html[name+".html"]
	if err := t.Execute(&b, data); err != nil {
		return "", "", "", renderError(t.Name(), err)
	}
	return cleanSubject(subject), strings.TrimSpace(text) + "\n", b.String(), nil
}

func execText(t *texttemplate.Template, data any) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", renderError(t.Name(), err)
	}
	return b.String(), nil
}

func renderError(tmpl string, err error) error {
	return &gateway.Error{Kind: gateway.KindInternal, Code: "template", Message: "cannot render " + tmpl, Err: err}
}

func notFound(name, kind string) error {
	return gateway.Errorf(gateway.KindInternal, "template_not_found", "no %s template %q", kind, name)
}

// cleanSubject makes the subject one line: a company name holding a line
// break must not be able to end the header and start another.
func cleanSubject(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}

// check renders every template of every locale on sample data: SMS with a
// 10-character password and also with a long link, emails once. A
// template that fails here would fail on every real message.
func (r *Renderer) check() error {
	samples := []gateway.MessageData{
		{Name: "Ana", Company: "Acme", Password: "Kp7wQx3mZr", ExpiresIn: "24 hours", MustChange: true, KeepOriginal: true},
		{Name: "Ana", Company: "Acme", Link: "https://reset.example.com/r/" + strings.Repeat("x", 43), ExpiresIn: "60 minutes"},
	}
	for _, loc := range r.Locales() {
		l := r.locales[loc]
		for file := range l.text {
			if name, ok := strings.CutSuffix(file, ".sms.txt"); ok {
				for _, d := range samples {
					if _, err := r.SMS(loc, name, d); err != nil {
						return fmt.Errorf("templates: %s/%s: %w", loc, file, err)
					}
				}
				continue
			}
			for _, d := range samples {
				if _, err := execText(l.text[file], d); err != nil {
					return fmt.Errorf("templates: %w", err)
				}
			}
		}
		for _, t := range l.html {
			for _, d := range samples {
				if err := t.Execute(io.Discard, d); err != nil {
					return fmt.Errorf("templates: %s: %w", t.Name(), err)
				}
			}
		}
	}
	return nil
}
