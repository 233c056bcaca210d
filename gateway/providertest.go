package gateway

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ProviderTester sends the admin's test messages synchronously and returns
// what the provider answered, so that "Test Provider" shows the mail
// server's or Twilio's own words. A refusal is a *SendError with the
// provider's code and text. cmd/resetgw implements it with the SMTP and
// Twilio senders (and the dev inbox in demo mode).
type ProviderTester interface {
	// TestSMTP mails text to `to` through profile (nil: the default
	// profile) and returns the server's reply to the message.
	TestSMTP(ctx context.Context, profile *SMTPProfile, to, subject, text string) (reply string, err error)
	// TestTwilio texts body to `to` (E.164) with settings (nil: the
	// operator's default account) and returns the message SID.
	TestTwilio(ctx context.Context, settings *TwilioSettings, to, body string) (sid string, err error)
}

// SetTester sets the tester of Test Provider and "send test email"; call
// it before the service is used.
func (s *Service) SetTester(t ProviderTester) { s.tester = t }

// testTimeout bounds one test: the admin is waiting in front of the page.
const testTimeout = 30 * time.Second

// ProviderTestInput is a Test Provider form: a phone and an optional
// note, sent after the fixed "test" text with the tenant's SMTP profile or
// Twilio account.
type ProviderTestInput struct {
	Tenant string
	Phone  string
	// Message is the note: at most 60 plain characters, no links.
	Message string
	// Link, when set, is the place (from 1) of the route in the tenant's
	// SMS chain to test: it picks one of several webhooks, and must be of
	// the kind tested. 0 is the first route of that kind.
	Link int
}

// ProviderTestResult is what the provider answered. A refusal is a
// result (OK false) rather than an error: it is the answer the admin
// asked for.
type ProviderTestResult struct {
	OK bool `json:"ok"`
	// Detail is the provider's answer: the SMTP reply, the Twilio SID, or
	// the refusal's code and text.
	Detail string `json:"detail"`
	Code   string `json:"code,omitempty"`
	// Route and To say where the test went (number@domain for a carrier).
	Route Route  `json:"route,omitempty"`
	To    string `json:"to,omitempty"`
	// Link is the place (from 1) of the route in the tenant's SMS chain,
	// Target that route without its secrets (a webhook's URL, an aws
	// route's region and identity); both unset for a test outside it.
	Link   int    `json:"link,omitempty"`
	Target string `json:"target,omitempty"`
	SID    string `json:"sid,omitempty"`
	// Class and Fix are the failure's (SendError), Summary the result
	// in an office's words, built from them.
	Class   FailureClass `json:"class,omitempty"`
	Fix     string       `json:"fix,omitempty"`
	Summary string       `json:"summary"`
}

// TestProvider sends a test text through a carrier's email-to-SMS gateway
// (with the tenant's SMTP profile) or, for slug "twilio", through Twilio
// (with the tenant's account, else the operator's). A retired gateway is
// refused without sending. Every test is logged with its answer.
func (s *Service) TestProvider(ctx context.Context, a Actor, slug string, in ProviderTestInput) (*ProviderTestResult, error) {
	t, err := s.scope(ctx, a, in.Tenant)
	if err != nil {
		return nil, err
	}
	slug = strings.ToLower(strings.TrimSpace(slug))
	if route, ok := routeTestSlug(slug); ok {
		return s.testRoute(ctx, a, t, route, in)
	}
	route := RouteTwilio
	if slug != TwilioSlug {
		route = RouteCarrier
	}
	if in.Link != 0 {
		if _, _, err := s.routeForTest(t, route, in.Link); err != nil {
			return nil, err
		}
	}
	var c *Carrier
	if slug != TwilioSlug {
		if c, err = s.Carrier(ctx, a, slug); err != nil {
			return nil, err
		}
	}
	e164, _, err := ParsePhone(in.Phone, s.region)
	if err != nil {
		return nil, err
	}
	if region := PhoneRegion(e164); !s.smsCountryAllowed(t, region) {
		return nil, Errorf(KindInvalid, "country_not_allowed", "texts to %s are not allowed for this company (allowed: %s)",
			cmp.Or(region, "this number's country"), strings.Join(s.allowedCountries(t), ", "))
	}
	optedOut, err := s.store.OptedOut(ctx, t.ID, s.smsChannel(t, route), e164)
	if err != nil {
		return nil, err
	}
	text, err := s.testText(t, in.Message)
	if err != nil {
		return nil, err
	}
	if err := s.testAllowed(ctx, a, t); err != nil {
		return nil, err
	}
	res := &ProviderTestResult{To: e164, Link: in.Link}
	ctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	switch {
	case optedOut:
		// A number that texted STOP gets no text at all, tests included.
		res.Code, res.Detail = "opted_out", "not sent: this number texted STOP; it gets no texts until it texts START"
		res.Route = RouteCarrier
		if c == nil {
			res.Route = RouteTwilio
		}
	case c == nil:
		res.Route = RouteTwilio
		settings := t.Twilio
		if !settings.Configured() {
			settings = nil // the operator's account, if any
		}
		if s.tester == nil {
			res.Code, res.Detail = "no_tester", "this gateway has no sender for tests"
		} else if sid, err := s.tester.TestTwilio(ctx, settings, e164, text); err != nil {
			res.refused(err)
		} else {
			res.OK, res.SID, res.Detail = true, sid, "accepted by Twilio, message SID "+sid
		}
	case !c.UsableOn(s.clock()):
		res.Route, res.Code = RouteCarrier, "carrier_gateway_retired"
		res.Detail = "not sent: " + c.Name + " has shut down its email-to-SMS gateway"
		if !c.RetiredOn.IsZero() {
			res.Detail += " (since " + c.RetiredOn.Format(time.DateOnly) + ")"
		}
		res.Detail += "; set up Twilio for texts to this carrier's phones"
	default:
		res.Route = RouteCarrier
		if res.To, err = c.Address(e164, false); err != nil {
			return nil, Errorf(KindInvalid, "carrier_number_format", "%s", strings.TrimPrefix(err.Error(), "carriers: "))
		}
		if s.tester == nil {
			res.Code, res.Detail = "no_tester", "this gateway has no mail sender for tests"
		} else if reply, err := s.tester.TestSMTP(ctx, t.SMTP, res.To, "", text); err != nil {
			res.refused(err)
		} else {
			res.OK, res.Detail = true, "accepted: "+reply
		}
	}
	res.Summary = res.plainWords()
	typ, name := "carrier_tested", slug
	if c == nil {
		typ = "twilio_tested"
	}
	ev := Event{TenantID: t.ID, Type: typ, Channel: string(ChannelSMS), ProviderID: res.SID,
		Code: res.code(), Detail: truncate(name+" to "+maskAddress(res.To)+": "+res.Detail, 300)}
	if err := s.adminEvent(ctx, s.store, a, ev); err != nil {
		return nil, err
	}
	return res, nil
}

// TestEmail mails the "test" email to `to` through the tenant's SMTP
// profile (or the default one) and says what the server answered.
func (s *Service) TestEmail(ctx context.Context, a Actor, tenant, to string) (*ProviderTestResult, error) {
	t, err := s.scope(ctx, a, tenant)
	if err != nil {
		return nil, err
	}
	addr, err := NormalizeEmail(to)
	if err != nil {
		return nil, err
	}
	if err := s.testAllowed(ctx, a, t); err != nil {
		return nil, err
	}
	subject, text, _, err := s.renderer.Email("", "test", MessageData{Company: t.Name})
	if err != nil {
		return nil, Internal(err)
	}
	res := &ProviderTestResult{Route: RouteEmail, To: addr}
	ctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	if s.tester == nil {
		res.Code, res.Detail = "no_tester", "this gateway has no mail sender for tests"
	} else if reply, err := s.tester.TestSMTP(ctx, t.SMTP, addr, subject, text); err != nil {
		res.refused(err)
	} else {
		res.OK, res.Detail = true, "accepted: "+reply
	}
	res.Summary = res.plainWords()
	ev := Event{TenantID: t.ID, Type: "email_tested", Channel: string(ChannelEmail), Code: res.code(),
		Detail: truncate(maskAddress(addr)+": "+res.Detail, 300)}
	if err := s.adminEvent(ctx, s.store, a, ev); err != nil {
		return nil, err
	}
	return res, nil
}

func (r *ProviderTestResult) refused(err error) {
	se := AsSendError(err)
	r.Code, r.Class, r.Fix = se.Code, se.Class, se.Fix
	r.Detail = "refused: " + strings.TrimSpace(se.Code+" "+se.Detail)
}

func (r *ProviderTestResult) code() string {
	if r.OK {
		return "accepted"
	}
	return r.Code
}

// Tests are bounded per tenant and per admin: a test sends to any number
// or address the admin types, so without a bound it is an open sender.
const (
	testsPerTenant = 10
	testsPerAdmin  = 10
	testWindow     = time.Hour
)

// maxTestNote bounds the admin's note on a test text.
const maxTestNote = 60

// testAllowed counts a test against the tenant's and the admin's hourly
// bounds, the same over the API, the console and the CLI.
func (s *Service) testAllowed(ctx context.Context, a Actor, t *Tenant) error {
	over, err := s.store.Hit(ctx, s.clock(), []Limit{
		{Scope: "test_tenant", Key: strconv.FormatInt(t.ID, 10), Max: testsPerTenant, Window: testWindow},
		{Scope: "test_admin", Key: a.Kind + ":" + a.ID, Max: testsPerAdmin, Window: testWindow},
	})
	if err != nil {
		return err
	}
	if over != nil {
		return Errorf(KindRateLimited, "tests_rate_limited", "at most %d tests an hour; try again later", over.Max)
	}
	return nil
}

// allowedCountries is where t's texts may go: its list within the
// operator's.
func (s *Service) allowedCountries(t *Tenant) []string {
	var out []string
	for _, c := range t.SMSCountries {
		if slices.Contains(s.countries, c) {
			out = append(out, c)
		}
	}
	return out
}

// linkRE finds what a phone would show as a link, or a reader would
// follow: a scheme, www., an address, or a dotted name like example.com.
var linkRE = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://|\b(sms|smsto|tel|mailto|javascript|data):|www\.|@|[a-z0-9-](\.|\(dot\)|\[dot\])[a-z]{2,})`)

// testText is the "test" template, with the admin's optional note after
// it. The note is short and plain (no links): a test must not be a way to
// send anyone any text, such as a phishing link, from the company's
// number. The whole must fit one GSM-7 segment, as every text does.
func (s *Service) testText(t *Tenant, note string) (string, error) {
	text, err := s.renderer.SMS("", "test", MessageData{Company: t.Name})
	if err != nil {
		return "", Internal(err)
	}
	note = strings.Join(strings.Fields(note), " ")
	if note == "" {
		return text, nil
	}
	if utf8.RuneCountInString(note) > maxTestNote {
		return "", Errorf(KindInvalid, "note_too_long", "the note is at most %d characters", maxTestNote)
	}
	if linkRE.MatchString(note) {
		return "", Errorf(KindInvalid, "note_has_link", "the note may not contain links, addresses or domain names")
	}
	text = strings.TrimSpace(text) + " Note: " + note
	if n := GSM7Len(note); n < 0 {
		return "", Errorf(KindInvalid, "note_invalid", "the note must be plain (GSM-7) characters")
	}
	if n := GSM7Len(text); n < 0 || n > SMSSegment {
		return "", Errorf(KindInvalid, "note_too_long", "with this note the test does not fit one text (%d characters)", SMSSegment)
	}
	return text, nil
}

// maskAddress keeps enough of a number or address to recognise it in the
// log without spelling it out.
func maskAddress(to string) string {
	local, domain, isMail := strings.Cut(to, "@")
	if !isMail {
		local, domain = to, ""
	}
	if n := len(local); n > 4 {
		local = strings.Repeat("*", n-4) + local[n-4:]
	}
	if isMail {
		return local + "@" + domain
	}
	return local
}
