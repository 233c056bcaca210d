package httpapi

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// Every console POST answers with a redirect, so a reload or a back
// button never sends a form twice. What the answer page must show (a
// notice, a refused form with what was typed, a password generated just
// now) waits for the next GET in a flash: kept in memory on the server,
// bound to the session that made it, read once, gone after a minute. The
// browser only holds the flash's random id in a cookie; a generated
// password is never in a URL, a cookie or on disk.
//
// The flashes and the uploaded CSVs live in this process: behind a load
// balancer the console needs sticky sessions.

const (
	flashCookie = "resetgw_flash"
	flashTTL    = time.Minute
	// uploadTTL is how long a previewed CSV waits for its Import.
	uploadTTL = 30 * time.Minute
	// At most this many of each are held at once; the oldest go first.
	maxFlashes = 1000
	maxUploads = 64
	// MaxImportBytes is the largest CSV the console takes (the CLI has
	// no limit of its own beyond the row count).
	MaxImportBytes = 2 << 20
)

// flash is what a POST leaves for the page it redirects to.
type flash struct {
	Notice    string
	Error     string
	Generated string            // a password shown once
	Fields    map[string]string // field name → its error
	Form      url.Values        // the refused form as typed
	Test      *carrierTest      // a Test Provider answer
	EmailTest *emailTest
	RouteTest *routeTest            // a test of the SMS chain's links
	Import    *gateway.ImportResult // an import's outcome (counts only)
	// path is the page the flash is for: another page leaves it alone.
	path string
}

type emailTest struct {
	To     string
	Result *gateway.ProviderTestResult
}

type held[T any] struct {
	owner   string
	expires time.Time
	v       T
}

// keptMap is a small bounded map of short-lived values, each bound to an
// owner that must match to read it.
type keptMap[T any] struct {
	mu  sync.Mutex
	m   map[string]held[T]
	max int
	ttl time.Duration
	now func() time.Time
}

func newKept[T any](max int, ttl time.Duration, now func() time.Time) *keptMap[T] {
	if now == nil {
		now = time.Now
	}
	return &keptMap[T]{m: map[string]held[T]{}, max: max, ttl: ttl, now: now}
}

func randomID() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on a supported system
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (k *keptMap[T]) put(owner string, v T) string {
	id := randomID()
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	for key, h := range k.m {
		if now.After(h.expires) {
			delete(k.m, key)
		}
	}
	for len(k.m) >= k.max {
		oldest, at := "", time.Time{}
		for key, h := range k.m {
			if oldest == "" || h.expires.Before(at) {
				oldest, at = key, h.expires
			}
		}
		delete(k.m, oldest)
	}
	k.m[id] = held[T]{owner: owner, expires: now.Add(k.ttl), v: v}
	return id
}

// get returns the value if it is the owner's and not expired; take also
// removes it.
func (k *keptMap[T]) get(owner, id string, take bool) (T, bool) {
	var zero T
	k.mu.Lock()
	defer k.mu.Unlock()
	h, ok := k.m[id]
	if !ok || h.owner != owner {
		return zero, false
	}
	if k.now().After(h.expires) {
		delete(k.m, id)
		return zero, false
	}
	if take {
		delete(k.m, id)
	}
	return h.v, true
}

// upload is a previewed CSV, waiting for its Import.
type upload struct {
	Tenant string
	CSV    string
}

// sessionOwner binds a flash to the session that made it (the token's
// hash: the token itself is kept nowhere but the cookie).
func sessionOwner(c *fiber.Ctx) string {
	cs := session(c)
	if cs == nil {
		return ""
	}
	h := sha256.Sum256([]byte(cs.Token))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// adminOwner binds an upload to the admin (in any of their sessions).
func adminOwner(c *fiber.Ctx) string {
	cs := session(c)
	if cs == nil {
		return ""
	}
	return cs.Actor.ID
}

// redirect answers a POST: the flash for the next page, then 303 to path
// (with the tenant an operator works in).
func (u *consoleUI) redirect(c *fiber.Ctx, path string, f *flash) error {
	path, frag, _ := strings.Cut(path, "#")
	if f != nil {
		f.path, _, _ = strings.Cut(path, "?")
		u.cookie(c, flashCookie, u.flashes.put(sessionOwner(c), *f), time.Time{})
	}
	p := page{Operator: true, Tenant: tenantParam(c)}
	path = p.Link(path)
	if frag != "" {
		path += "#" + frag
	}
	return c.Redirect(path, fiber.StatusSeeOther)
}

const flashLocal = "console_flash"

// flash is the flash this request brought, read (and so removed) once
// per request however often a handler asks.
func (u *consoleUI) flash(c *fiber.Ctx) *flash {
	if f, ok := c.Locals(flashLocal).(*flash); ok {
		return f
	}
	f := &flash{}
	if id := c.Cookies(u.cookieName(flashCookie)); id != "" && session(c) != nil {
		v, ok := u.flashes.get(sessionOwner(c), id, false)
		if ok && v.path != c.Path() {
			c.Locals(flashLocal, f)
			return f // for another page: it waits there
		}
		if _, took := u.flashes.get(sessionOwner(c), id, true); ok && took {
			f = &v
		}
		u.cookie(c, flashCookie, "", time.Unix(1, 0))
	}
	c.Locals(flashLocal, f)
	return f
}

// formValue is what the refused form said for name, else def.
func (f *flash) formValue(name, def string) string {
	if f.Form == nil {
		return def
	}
	if _, ok := f.Form[name]; !ok {
		return def
	}
	return f.Form.Get(name)
}

// refused is the flash of a form the domain refused: its error by field
// where the error names one, and what was typed.
func refused(c *fiber.Ctx, err error) *flash {
	f := &flash{Form: formValues(c), Fields: map[string]string{}}
	f.Form.Del("_csrf")
	f.Form.Del("password")
	f.Form.Del("csv")
	msg := errMessage(err)
	if field := fieldOf(err); field != "" {
		f.Fields[field] = msg
		f.Error = "Not saved: fix the field marked below."
	} else {
		f.Error = msg
	}
	return f
}

// formValues copies the urlencoded body (Immutable makes the strings
// safe to keep).
func formValues(c *fiber.Ctx) url.Values {
	v := url.Values{}
	c.Request().PostArgs().VisitAll(func(k, val []byte) {
		v.Add(string(k), string(val))
	})
	return v
}

// fieldOf is the form field a domain error is about, by its stable code.
func fieldOf(err error) string {
	code := gateway.ErrorCode(err)
	switch {
	case strings.HasPrefix(code, "password"):
		return "password"
	case strings.HasPrefix(code, "email"):
		return "email"
	case code == "name_invalid", code == "carrier_name_invalid":
		return "name"
	case code == "status_invalid", code == "carrier_status_invalid":
		return "status"
	case code == "locale_invalid":
		return "locale"
	case code == "domain_invalid":
		return "sms_domain"
	case code == "country_invalid":
		return "country"
	case code == "date_invalid", code == "retired_on_required":
		return "retired_on"
	case code == "note_invalid":
		return "note"
	case code == "carrier_slug_invalid", code == "carrier_exists":
		return "slug"
	}
	return ""
}

// Body limits: 256 KiB for every route but the console's import, which
// takes a CSV of up to MaxImportBytes in a multipart form (its parts'
// headers on top). The app's limit is the import's; bodyCap holds every
// other route to the smaller one.
const (
	defaultBodyLimit = 256 << 10
	appBodyLimit     = MaxImportBytes + 64<<10
)

func bodyCap(c *fiber.Ctx) error {
	if len(c.Request().Body()) > defaultBodyLimit &&
		!(c.Method() == fiber.MethodPost && c.Path() == "/admin/import") {
		return fiber.ErrRequestEntityTooLarge
	}
	return c.Next()
}
