package gateway

import "context"

// Sender carries a message by one route. It returns the provider's id for
// the message when the provider accepted it; a failure is a *SendError
// saying whether trying again could help. Senders never retry by
// themselves: the outbox worker decides.
type Sender interface {
	Send(ctx context.Context, m *Message) (providerID string, err error)
}

// Looker is implemented by senders that can find a message an earlier
// attempt left at the provider when that attempt's answer was lost. It
// returns the provider's id of the message, "" when the provider has none
// (nothing was sent), or the failure the provider recorded for it. A
// lookup that itself fails returns a transient *SendError: the engine then
// keeps the text on its route rather than risk a second text.
type Looker interface {
	Lookup(ctx context.Context, m *Message) (providerID string, err error)
}

// LaneSpec says which lane a message goes through and that lane's limits.
// There is one lane per SMTP relay endpoint and one per SMS sender (a
// Twilio account and From number or Messaging Service): a slow lane slows
// only its own messages.
type LaneSpec struct {
	// Key names the lane, stable across restarts: "smtp:host:port",
	// "twilio:ACxxx:+12015550123", "carrier:host:port".
	Key string
	// Kind is "smtp", "twilio" or "carrier".
	Kind string
	// Concurrency bounds the lane's sends in flight; 0 is the engine's
	// default for the kind.
	Concurrency int
	// RatePerSecond paces the lane's sends; 0 is unpaced.
	RatePerSecond float64
}

// Laner is implemented by senders that know which lane a message takes.
type Laner interface {
	Lane(m *Message) LaneSpec
}

// Renderer turns a named message into texts, in a locale (falling back to
// English). Names: "reset" (the new password), "password_set" (an admin set
// it), "help", "opted_out", "opted_in", "test" (Test Provider).
type Renderer interface {
	// SMS renders a text; every locale's text fits one GSM-7 segment.
	SMS(locale, name string, data any) (string, error)
	// Email renders subject, plain text and HTML.
	Email(locale, name string, data any) (subject, text, html string, err error)
}

// MessageData is what message templates may show.
type MessageData struct {
	Name       string // the person's name
	Company    string // the tenant's name
	Password   string
	Link       string
	ExpiresIn  string // "24 hours"
	MustChange bool
	// KeepOriginal says the old password works until the new one is used,
	// so "didn't ask? ignore this" is true advice.
	KeepOriginal bool
	// OfficePhone is the number a notice tells people to call.
	OfficePhone string
}
