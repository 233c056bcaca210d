// Package devinbox is the demo mode's channel: instead of texting or
// mailing anyone it keeps each message in memory, where the /dev/inbox
// page shows it. It takes every route, so a demo needs no SMTP server and
// no Twilio account.
//
// The messages hold passwords in clear: it is for demos and development
// only, and keeps just the newest few. Addresses under .invalid are
// refused, as a real mail server would, to demonstrate a failed delivery.
package devinbox

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// DefaultMax is how many messages an Inbox keeps when Config.Max is zero.
const DefaultMax = 200

// Config sets up an Inbox.
type Config struct {
	// Max is how many messages to keep, the newest; DefaultMax when <= 0.
	Max int
	// Clock stamps the messages; time.Now when nil.
	Clock func() time.Time
}

// Entry is one message the inbox received.
type Entry struct {
	ID         string // "dev-N", the provider id Send returned
	At         time.Time
	DeliveryID int64
	RequestID  string
	TenantSlug string // "" when the message had no tenant
	Route      gateway.Route
	Channel    gateway.Channel
	To         string
	Subject    string
	Text       string
	HTML       string
}

// Inbox keeps the newest messages. It is safe for concurrent use and
// implements gateway.Sender for every route.
type Inbox struct {
	max   int
	clock func() time.Time

	mu      sync.Mutex
	seq     int64
	entries []Entry // oldest first, at most max
}

var _ gateway.Sender = (*Inbox)(nil)

// New returns an empty Inbox.
func New(cfg Config) *Inbox {
	if cfg.Max <= 0 {
		cfg.Max = DefaultMax
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Inbox{max: cfg.Max, clock: cfg.Clock}
}

// Send records m and returns its id, "dev-1", "dev-2", ... It fails only
// for a nil message or a context that has already ended, as a real
// sender would.
func (in *Inbox) Send(ctx context.Context, m *gateway.Message) (string, error) {
	if m == nil {
		return "", &gateway.SendError{Code: "invalid_message", Detail: "no message"}
	}
	if err := ctx.Err(); err != nil {
		return "", &gateway.SendError{Class: gateway.FailTransient, Code: "canceled", Detail: "the send was canceled"}
	}
	// .invalid is reserved never to exist (RFC 2606): refusing it as a
	// mail server would lets a demo show a failed delivery.
	if strings.HasSuffix(strings.ToLower(m.To), ".invalid") {
		return "", &gateway.SendError{Code: "550 5.1.2", Detail: "domain does not exist (the dev inbox refuses .invalid addresses)"}
	}
	e := Entry{
		At:         in.clock(),
		DeliveryID: m.DeliveryID,
		RequestID:  m.RequestID,
		Route:      m.Route,
		Channel:    m.Channel,
		To:         m.To,
		Subject:    m.Subject,
		Text:       m.Text,
		HTML:       m.HTML,
	}
	if m.Tenant != nil {
		e.TenantSlug = m.Tenant.Slug
	}

	in.mu.Lock()
	defer in.mu.Unlock()
	in.seq++
	e.ID = "dev-" + strconv.FormatInt(in.seq, 10)
	if len(in.entries) == in.max {
		// Shift instead of a ring: with a few hundred entries the copy is
		// cheap and List stays trivial.
		copy(in.entries, in.entries[1:])
		in.entries = in.entries[:len(in.entries)-1]
	}
	in.entries = append(in.entries, e)
	return e.ID, nil
}

// List returns the kept messages, newest first. The slice is the caller's.
func (in *Inbox) List() []Entry {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]Entry, len(in.entries))
	for i, e := range in.entries {
		out[len(out)-1-i] = e
	}
	return out
}

// Get returns the kept message with id, if it is still kept.
func (in *Inbox) Get(id string) (Entry, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, e := range in.entries {
		if e.ID == id {
			return e, true
		}
	}
	return Entry{}, false
}
