package gateway

import "time"

// Tenant is one customer system. Every row of the store belongs to one.
type Tenant struct {
	ID               int64
	Slug             string
	Name             string
	AllowMobileReset bool
	// KeepOriginal keeps the original password working until the new one is
	// first used, so that a stranger who knows an email and a phone cannot
	// lock anybody out (DESIGN.md rule 7, on by default).
	KeepOriginal bool
	// MustChange makes a delivered password, and one an admin sets without
	// saying otherwise, one to change at first login: it went by SMS or
	// email, or through an admin's hands, and should not become permanent.
	// On by default; the tenant may turn it off.
	MustChange bool
	// ResetTTL is how long a delivered, never-used password stays valid.
	ResetTTL time.Duration
	// SMSCountries lists the ISO regions texts may go to (SMS pumping guard).
	SMSCountries []string
	// MinPasswordLength applies to passwords people choose: 8 to 64, 15 by
	// default (DefaultMinPasswordLength).
	MinPasswordLength int
	// SMTP is the tenant's own mail profile; nil means the default profile.
	SMTP *SMTPProfile
	// Twilio is the tenant's own Twilio account; nil means the default one,
	// if the operator configured it, else the carrier gateway.
	Twilio *TwilioSettings
	// SMSRoutes is the tenant's chain of SMS routes, tried in order; nil
	// means the default chain (see Service.SMSChain).
	SMSRoutes []SMSRoute
	// Keywords are the tenant's changes to DefaultKeywords for inbound
	// texts (see Tenant.InboundKeywords); nil means the defaults.
	Keywords Keywords
	// SMSRatePerSecond, above 0, replaces the pace of the tenant's SMS
	// sender lane, which otherwise follows the sender's type.
	SMSRatePerSecond float64
	// SMSValiditySeconds is how long a reset text may wait for delivery
	// before the provider drops it as stale; 0 means DefaultSMSValidity.
	SMSValiditySeconds int
	// TrustMailKeywords applies STOP and START that arrive by mail; off by
	// default, as mail is spoofable: they are only shown to the admin.
	TrustMailKeywords bool
	// Lifecycle holds the reset mode and the settings that go with it.
	Lifecycle Lifecycle
	// Disabled switches the tenant off: no resets, and its admins cannot
	// sign in. Only an operator sets it.
	Disabled bool
	// TimeZone is the IANA zone the console shows the tenant's times in;
	// "" is UTC.
	TimeZone  string
	CreatedAt time.Time
}

// ResetMode is what a reset sends: a new password, or a link to choose one.
type ResetMode string

const (
	ResetModePassword ResetMode = "password"
	ResetModeLink     ResetMode = "link"
)

// Link validity bounds, in minutes.
const (
	DefaultLinkTTLMinutes = 60
	MinLinkTTLMinutes     = 10
	MaxLinkTTLMinutes     = 1440
)

// Lifecycle is a tenant's account-lifecycle settings; zero values are the
// defaults (password mode, links valid an hour, no office phone).
type Lifecycle struct {
	ResetMode      ResetMode `json:"reset_mode,omitempty"`
	LinkTTLMinutes int       `json:"link_ttl_minutes,omitempty"`
	// OfficePhone is added to the "your password was changed" notice.
	OfficePhone string `json:"office_phone,omitempty"`
	// RequireVerifiedEmail sends nothing but a verification link to an
	// email address the person has not proved theirs.
	RequireVerifiedEmail bool `json:"require_verified_email,omitempty"`
	// MaxPasswordAgeDays, above 0, makes an older password one to change
	// at the next login (NIST advises against forced expiry: off by
	// default).
	MaxPasswordAgeDays int `json:"max_password_age_days,omitempty"`
}

// Password age bounds, in days, and how long before its expiry a
// password's reminder goes out.
const (
	MinPasswordAgeDays    = 30
	MaxPasswordAgeDaysCap = 730
	PasswordReminderLead  = 7 * 24 * time.Hour
)

// MaxPasswordAge is how long a password stays valid, 0 for ever.
func (l Lifecycle) MaxPasswordAge() time.Duration {
	return time.Duration(l.MaxPasswordAgeDays) * 24 * time.Hour
}

// Mode is the tenant's reset mode, password when unset.
func (l Lifecycle) Mode() ResetMode {
	if l.ResetMode == ResetModeLink {
		return ResetModeLink
	}
	return ResetModePassword
}

// LinkTTL is how long a reset link stays valid.
func (l Lifecycle) LinkTTL() time.Duration {
	if l.LinkTTLMinutes <= 0 {
		return DefaultLinkTTLMinutes * time.Minute
	}
	return time.Duration(l.LinkTTLMinutes) * time.Minute
}

// DefaultSMSValidity is how long a reset text stays worth delivering: a
// password that arrives after ten minutes is stale.
const DefaultSMSValidity = 600

// MaxSMSValiditySeconds is Twilio's upper bound for a validity period;
// MaxSMSRatePerSecond bounds sms_rate_per_second (a short code's
// throughput is 100/s; a Messaging Service pools many senders).
const (
	MaxSMSValiditySeconds = 36000
	MaxSMSRatePerSecond   = 10000
)

// DefaultSlug names the tenant that always exists.
const DefaultSlug = "default"

// SMTPProfile is where a tenant's mail goes out. URL may carry credentials:
// it is a secret and is stored sealed.
type SMTPProfile struct {
	URL  string `json:"url"`
	From string `json:"from"`
}

// TwilioSettings is a tenant's Twilio account. AuthToken is a secret.
type TwilioSettings struct {
	AccountSID          string `json:"account_sid"`
	AuthToken           string `json:"auth_token"`
	From                string `json:"from"`
	MessagingServiceSID string `json:"messaging_service_sid,omitempty"`
}

// Configured reports whether the settings can send anything.
func (t *TwilioSettings) Configured() bool {
	return t != nil && t.AccountSID != "" && t.AuthToken != "" && (t.From != "" || t.MessagingServiceSID != "")
}

// PersonStatus is the state of a personnel record.
type PersonStatus string

const (
	StatusActive   PersonStatus = "active"
	StatusInactive PersonStatus = "inactive"
)

// Person is a personnel record: a crew member who may reset a password.
type Person struct {
	ID               int64
	TenantID         int64
	Name             string
	Email            string // normalized: trimmed, lower case
	Status           PersonStatus
	MobileAccess     bool
	AllowMobileReset bool
	PasswordHash     string // argon2id PHC string; never leaves the store but for login
	MustChange       bool
	Locale           string
	Phones           []Phone
	// PendingRequest is the newest reset whose password is out (or going
	// out) and not yet used; a newer reset replaces it.
	PendingRequest string
	// VerifiedEmail is the address the person proved theirs by following
	// a verification link, at EmailVerifiedAt; the email is verified only
	// while it is still that address (see EmailVerified).
	VerifiedEmail   string
	EmailVerifiedAt time.Time
	// PasswordSetAt is when the current password was set; zero when that
	// is not known (such a password never counts as too old).
	PasswordSetAt time.Time
	// Tags group people for bulk actions (a crew, a season): short
	// lower-case slugs, sorted, at most MaxTags (tags.go).
	Tags []string
	// LastLoginAt is the person's last successful login (zero: never).
	LastLoginAt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// EmailVerified reports whether the person's current email is one they
// proved theirs.
func (p *Person) EmailVerified() bool { return p.Email != "" && p.VerifiedEmail == p.Email }

// PhoneType is what kind of line a number is.
type PhoneType string

const (
	PhoneSMS    PhoneType = "sms"
	PhoneMobile PhoneType = "mobile"
	PhoneHome   PhoneType = "home"
	PhoneWork   PhoneType = "work"
)

// Texts reports whether a phone of this type takes SMS.
func (t PhoneType) Texts() bool { return t == PhoneSMS || t == PhoneMobile }

// Phone is a number on a personnel record, unique across all tenants.
type Phone struct {
	ID       int64
	PersonID int64
	TenantID int64
	Number   string // E.164
	Type     PhoneType
	Carrier  string // carrier slug, "" when unknown
	OptedOut bool   // texted STOP
}

// CarrierStatus is where a carrier's email-to-SMS gateway stands.
type CarrierStatus string

const (
	CarrierActive     CarrierStatus = "active"
	CarrierRetiring   CarrierStatus = "retiring"
	CarrierRetired    CarrierStatus = "retired"
	CarrierUnverified CarrierStatus = "unverified"
)

// Carrier is a mobile carrier with its email-to-SMS gateway.
type Carrier struct {
	Slug         string
	Name         string
	Country      string
	SMSDomain    string
	MMSDomain    string
	NumberFormat string // national10
	Status       CarrierStatus
	RetiredOn    time.Time // zero when no date is known
	Note         string
}

// UsableOn reports whether mail to the gateway may still be sent at t: a
// retired gateway never, a retiring one until its date.
func (c *Carrier) UsableOn(t time.Time) bool {
	if c.SMSDomain == "" {
		return false
	}
	switch c.Status {
	case CarrierRetired:
		return false
	case CarrierRetiring:
		return c.RetiredOn.IsZero() || t.Before(c.RetiredOn)
	}
	return true
}

// ResetState is where a reset request stands.
type ResetState string

const (
	StateReceived   ResetState = "received"
	StateRejected   ResetState = "rejected"
	StateDelivering ResetState = "delivering"
	StateDelivered  ResetState = "delivered"
	StateRolledBack ResetState = "rolled_back"
)

// Source says where a reset request came from.
type Source string

const (
	SourceAPI       Source = "api"
	SourceSMS       Source = "sms"        // Twilio inbound webhook
	SourceEmailText Source = "email_text" // text to the gateway's address
	SourceAdmin     Source = "admin"
	SourceBulk      Source = "bulk" // an admin's reset of many people at once
)

// ResetRequest is one "forgot password", from receipt to its outcome.
type ResetRequest struct {
	ID         string
	TenantID   int64  // 0 until the tenant is known
	TenantSlug string // as asked for, "" when none was named
	Email      string
	Phone      string // E.164 when it parsed, else as given
	Source     Source
	IP         string
	State      ResetState
	Reason     string
	PersonID   int64
	// TempHash is HMAC-SHA256(server key, password) of the temporary one.
	TempHash []byte
	// LinkHash is the keyed hash of a reset link's token (link mode); the
	// token itself is only in the messages.
	LinkHash   []byte
	ExpiresAt  time.Time
	UsedAt     time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Deliveries []*Delivery
}

// Channel is what a message reaches a person by.
type Channel string

const (
	ChannelSMS   Channel = "sms"
	ChannelEmail Channel = "email"
)

// Route is the path a message takes, and so the sender that takes it.
type Route string

const (
	RouteTwilio  Route = "twilio"  // SMS through Twilio's API
	RouteCarrier Route = "carrier" // SMS as mail to number@carrier-domain
	RouteEmail   Route = "email"   // email over SMTP
	// RouteWebhook is SMS through the tenant's own provider: a signed JSON
	// POST to a URL of theirs.
	RouteWebhook Route = "webhook"
	// RouteAWS is SMS through AWS End User Messaging SMS
	// (SendTextMessage), with the tenant's keys or the operator's.
	RouteAWS Route = "aws"
)

// DeliveryStatus is where one outbox message stands.
type DeliveryStatus string

const (
	DeliveryPending    DeliveryStatus = "pending"
	DeliverySent       DeliveryStatus = "sent" // accepted by the provider
	DeliveryDelivered  DeliveryStatus = "delivered"
	DeliveryFailed     DeliveryStatus = "failed"
	DeliveryFailedLate DeliveryStatus = "failed_late"
	DeliveryCanceled   DeliveryStatus = "canceled"
)

// Accepted reports whether the provider took the message and has not
// (yet) said it failed.
func (s DeliveryStatus) Accepted() bool { return s == DeliverySent || s == DeliveryDelivered }

// Final reports whether the outbox is done with the message.
func (s DeliveryStatus) Final() bool { return s != DeliveryPending }

// Priority orders the messages waiting in one lane: higher goes first.
type Priority int

const (
	PriorityBulk   Priority = 1 // a bulk send to many people
	PriorityNotice Priority = 2 // a notification, a reply to a text, a test
	PriorityReset  Priority = 3 // someone is locked out and waiting
)

// Delivery is one message in the outbox.
type Delivery struct {
	ID        int64
	RequestID string
	TenantID  int64
	Channel   Channel
	Route     Route
	// RouteIndex is the link of the tenant's SMS chain the text is on (a
	// chain may hold several webhook routes); 0 for email.
	RouteIndex int
	To         string
	// Body is the sealed (AES-GCM) message; nil once delivery has ended.
	Body []byte
	// BodyKey is Body's own data key, wrapped by the master key; nil once
	// the body is wiped (and for rows sealed before data keys, which
	// open under the outbox key).
	BodyKey []byte
	// SealedBy names the instance whose in-memory key ring (KeyRing)
	// wrapped BodyKey, and SealedEpoch that ring's key; "" is the master
	// key's envelope. Only that instance, while it keeps the key, opens
	// the body.
	SealedBy    string
	SealedEpoch uint64
	// ringSeal asks enqueue to seal under the instance's ring though the
	// message belongs to no request (it carries a link token).
	ringSeal      bool
	Locale        string
	Status        DeliveryStatus
	Attempts      int
	NextAttemptAt time.Time
	ProviderID    string
	ErrorCode     string
	ErrorDetail   string
	// Priority says which waiting messages of a lane go first.
	Priority Priority
	// FirstAttemptAt is when the first claim of the delivery began (zero
	// before).
	FirstAttemptAt time.Time
	// Unrecorded, as ClaimDeliveries returns it, says an earlier claim
	// ended without recording an outcome (a crash, a lost commit): that
	// send may have gone out, so this one may be a resend.
	Unrecorded bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Tries are its attempts route by route, as Service.Reset reads them.
	Tries []DeliveryAttempt
}

// DeliveryAttempt is one try of a delivery on one route: what the route
// said (sent, failed, retry, moved) and, when it took the text, its id.
type DeliveryAttempt struct {
	DeliveryID int64
	Route      Route
	Status     string
	ProviderID string
	Error      string
	At         time.Time
}

// Actor kinds for events.
const (
	ActorCrew   = "crew"
	ActorAdmin  = "admin"
	ActorSystem = "system"
)

// Event is one line of the append-only log. It never holds a password,
// hash or token.
type Event struct {
	ID         int64
	TenantID   int64
	At         time.Time
	Actor      string
	ActorID    string
	IP         string
	Type       string
	RequestID  string
	PersonID   int64
	Channel    string
	ProviderID string
	Code       string
	Detail     string
}

// Message is what a sender gets from the outbox: already rendered, with the
// tenant so a sender can pick that tenant's credentials.
type Message struct {
	DeliveryID int64
	RequestID  string
	Channel    Channel
	Route      Route
	To         string // E.164 for Twilio, a mail address otherwise
	Subject    string
	Text       string
	HTML       string
	Tenant     *Tenant
	// Attempt counts the earlier attempts of this delivery (0 on the
	// first); FirstAttemptAt is when the first began. A sender whose
	// earlier answer may have been lost looks the message up before it
	// sends again.
	Attempt        int
	FirstAttemptAt time.Time
	// Unrecorded says an earlier claim of this delivery ended without an
	// outcome, so it may have been sent: a route that cannot look a text
	// up must not send it again.
	Unrecorded bool
	// RouteIndex is the link of the tenant's SMS chain the text goes by
	// (Tenant.SMSRouteAt).
	RouteIndex int
	// HandOver, when set, is to be waited for before the point after
	// which the provider may hold the message (HandOverSender).
	HandOver *HandOver
}
