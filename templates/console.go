package templates

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// The admin console's pages: html/template files executed by name
// ("overview.html"), sharing the blocks of layout.html, and one plain
// stylesheet. No script: every page works as forms and links.
//
//go:embed console/*.html console/*.css
var consoleFS embed.FS

// Console renders the admin console. It is safe for concurrent use.
type Console struct {
	// pages is parsed once and never executed: each time zone gets a
	// clone whose "when" and "day" show times in that zone.
	pages *htmltemplate.Template
	zones sync.Map // zone name → *htmltemplate.Template
	css   []byte
}

// LoadConsole parses the console pages once. A file in dir/console/ with
// the name of an embedded one ("person.html", "console.css") replaces it,
// like the message templates (Config.Dir); dir "" uses only the embedded
// files. A page that does not parse stops the start.
func LoadConsole(dir string) (*Console, error) {
	files := map[string][]byte{}
	if err := readConsole(consoleFS, "console", files); err != nil {
		return nil, err
	}
	if dir != "" {
		over := path.Join(dir, "console")
		if st, err := os.Stat(over); err == nil && st.IsDir() {
			if err := readConsole(os.DirFS(over), ".", files); err != nil {
				return nil, err
			}
		}
	}
	c := &Console{css: files["console.css"]}
	c.pages = htmltemplate.New("console").Option("missingkey=error").Funcs(consoleFuncs).Funcs(zoneFuncs(time.UTC))
	for name, src := range files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		if _, err := c.pages.New(name).Parse(string(src)); err != nil {
			return nil, fmt.Errorf("templates: console/%s: %w", name, err)
		}
	}
	if c.pages.Lookup("layout.html") == nil || c.css == nil {
		return nil, fmt.Errorf("templates: console: layout.html and console.css are required")
	}
	return c, nil
}

// inZone is the set of pages that shows times in loc.
func (c *Console) inZone(loc *time.Location) (*htmltemplate.Template, error) {
	if loc == nil {
		loc = time.UTC
	}
	if t, ok := c.zones.Load(loc.String()); ok {
		return t.(*htmltemplate.Template), nil
	}
	t, err := c.pages.Clone()
	if err != nil {
		return nil, fmt.Errorf("templates: console: %w", err)
	}
	t.Funcs(zoneFuncs(loc))
	// Zones come from tenants' settings, checked against the zone
	// database: a few hundred at most.
	got, _ := c.zones.LoadOrStore(loc.String(), t)
	return got.(*htmltemplate.Template), nil
}

func readConsole(fsys fs.FS, root string, into map[string][]byte) error {
	entries, err := fs.ReadDir(fsys, root)
	if err != nil {
		return fmt.Errorf("templates: console: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !(strings.HasSuffix(e.Name(), ".html") || strings.HasSuffix(e.Name(), ".css")) {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(root, e.Name()))
		if err != nil {
			return fmt.Errorf("templates: console: %w", err)
		}
		into[e.Name()] = b
	}
	return nil
}

// Render executes page ("overview.html") with data into w, times in UTC.
func (c *Console) Render(w io.Writer, page string, data any) error {
	return c.RenderIn(w, page, data, time.UTC)
}

// RenderIn executes page with data into w, showing times in loc. It
// renders to a buffer first, so a failing template never sends half a
// page.
func (c *Console) RenderIn(w io.Writer, page string, data any, loc *time.Location) error {
	pages, err := c.inZone(loc)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, page, data); err != nil {
		return fmt.Errorf("templates: console/%s: %w", page, err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// CSS returns the console's stylesheet.
func (c *Console) CSS() []byte { return c.css }

// zoneFuncs show times in loc: "when" to the minute, "day" the date.
func zoneFuncs(loc *time.Location) htmltemplate.FuncMap {
	return htmltemplate.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(loc).Format("2006-01-02 15:04")
		},
		"day": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(loc).Format(time.DateOnly)
		},
	}
}

var consoleFuncs = htmltemplate.FuncMap{
	"inc": func(i int) int { return i + 1 },
	// event is an event type in words (its code goes in a title).
	"event": gateway.EventWords,
	// phone is a stored number as people write it: (201) 555-0127.
	"phone":   gateway.DisplayPhone,
	"channel": func(c any) string { return gateway.ChannelWords(gateway.Channel(fmt.Sprint(c))) },
	"route":   gateway.RouteWords,
	"words":   strings.Fields,
	"tags":    gateway.TagCell,
	// reason is a reason code in words (its code goes in a title).
	"reason":      gateway.ReasonWords,
	"knownReason": gateway.KnownReason,
	// routeLabel names a kind of SMS route; classWords a failure class.
	"routeLabel": gateway.RouteLabel,
	"classWords": gateway.ClassWords,
}
