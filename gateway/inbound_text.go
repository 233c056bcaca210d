package gateway

import (
	"context"
	"maps"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// InboundTextInput is a text a phone sent to the gateway: by SMS to a
// Twilio number (the webhook), or to the gateway's mail address through
// the phone's carrier (the SMTP listener).
type InboundTextInput struct {
	// Source is SourceSMS (Twilio) or SourceEmailText (carrier mail).
	Source Source
	// From is the sender: its number for SourceSMS, its address
	// (number@carrier-domain) for SourceEmailText.
	From string
	// Tenant is the slug of the tenant whose own number received the
	// text. "" for a shared number or address: the default tenant's words
	// and name answer, and a reset finds its tenant from the sender's
	// number.
	Tenant string
	Body   string
	// IP is who handed the text over (Twilio, a carrier's mail server),
	// for the log only: limits go by the sender's number, since everyone's
	// texts arrive from the same few provider addresses.
	IP string
	// MessageID is the provider's id of the text (Twilio's MessageSid):
	// the same text handed over again (a retry, a replayed request) is
	// acted on once in a rolling messageIDKeep.
	MessageID string
	// EnvelopeFrom is the SMTP envelope sender of a text by mail: it must
	// be the same carrier address as From, or the mail is no text.
	EnvelopeFrom string
}

// messageIDKeep is how long a provider's message id is remembered, so
// that a replayed webhook is acted on once: longer than any retry.
const messageIDKeep = 48 * time.Hour

// textRepliesPerWindow bounds the answers sent to one number per rate
// window. A text by mail can be forged, so without it anyone could make the
// gateway text a stranger over and over by mailing HELP in their name.
const textRepliesPerWindow = 10

// securityEventsPerWindow bounds the security events one address writes
// per rate window: the log is append-only, and whoever sends garbage must
// not be able to fill it.
const securityEventsPerWindow = 60

// InboundText acts on an inbound text and returns the answer to text back
// ("" for none). RESET starts a reset for the sender's number (the text
// and the mail go to the phone and mailbox on record, never to whoever
// sent this), HELP answers with the help text, STOP opts the number out of
// the company's texts on the channel it came in by, START opts it back in.
// The answer to RESET is the same neutral sentence whether or not the
// number is on file, and nothing else in the answer depends on it either:
// its words, language and company name come from the tenant that owns the
// receiving number, not from the sender's record.
//
// Mail is spoofable: a STOP or START by mail is recorded as a request the
// admin sees (opt_out_requested, opt_in_requested) and not applied, unless
// the tenant trusts mailed keywords. Twilio's signed webhook is trusted.
//
// A SourceSMS answer is for the caller to send (as TwiML); a
// SourceEmailText answer is queued here, as a text to the sender's number
// through its carrier's gateway. Every inbound text is an event.
//
// Errors: not_carrier_sender (KindInvalid) when a mailed text does not
// come from a known carrier gateway with the same envelope sender; store
// failures.
func (s *Service) InboundText(ctx context.Context, in InboundTextInput) (string, error) {
	if in.Source != SourceSMS && in.Source != SourceEmailText {
		return "", Errorf(KindInvalid, "source_invalid", "an inbound text comes by SMS or by email")
	}
	t, err := s.tenant(ctx, s.store, in.Tenant)
	if err != nil {
		return "", err
	}
	if in.MessageID != "" {
		seen, err := s.store.SeenMessage(ctx, "inbound_message", Clip(in.MessageID, 64), s.clock(), messageIDKeep)
		if err != nil {
			return "", err
		}
		if seen {
			s.log.Info("inbound text seen before; ignored", "message_id", Clip(in.MessageID, 64))
			return "", nil
		}
	}
	kw := t.InboundKeywords().Parse(in.Body)
	ev := Event{TenantID: t.ID, Type: "inbound_text", Actor: ActorCrew, IP: in.IP, Channel: string(ChannelSMS),
		Code: keywordCode(kw), Detail: string(in.Source)}

	var phone, replyTo, channel string
	switch in.Source {
	case SourceSMS:
		if phone, _, err = ParsePhone(in.From, s.region); err != nil {
			// A short code or an alphanumeric sender: nobody to reset or
			// to answer.
			ev.ActorID, ev.Code = Clip(cleanProviderText(in.From), 32), "bad_sender"
			return "", s.event(ctx, s.store, ev)
		}
		channel = s.twilioChannel(nil) // the shared number
		if in.Tenant != "" {
			channel = s.twilioChannel(t)
		}
	case SourceEmailText:
		var c *Carrier
		if phone, c, err = s.mailSender(ctx, in.From, in.EnvelopeFrom); err != nil {
			return "", err
		}
		// The answer goes to the number's SMS gateway even when the text
		// came by MMS: a plain text is what every phone takes.
		if c.UsableOn(s.clock()) {
			replyTo, _ = c.Address(phone, false)
		}
		channel = ChannelCarrier
	}
	ev.ActorID = phone
	// The opt-out is the company's: the receiving number's, or for a
	// shared number or address the one that has the sender on record.
	owner, err := s.optOutTenant(ctx, t, in.Tenant, phone)
	if err != nil {
		return "", err
	}

	if kw == KeywordReset {
		// The IP is left out: it is the provider's, shared by every crew.
		id, err := s.RequestReset(ctx, ResetInput{Phone: phone, Tenant: in.Tenant, Source: in.Source})
		if err != nil {
			return "", err
		}
		ev.RequestID = id
	}

	var reply string
	queued := false
	err = s.store.WithTx(ctx, func(st Store) error {
		reply, queued = "", false
		applied, err := s.applyKeyword(ctx, st, owner, in.Source, kw, channel, phone, ev)
		if err != nil {
			return err
		}
		name, why := "", "not_applied"
		if applied {
			if name, why, err = s.replyFor(ctx, st, kw, in.Source, owner.ID, channel, phone); err != nil {
				return err
			}
		}
		if name != "" && in.Source == SourceEmailText && replyTo == "" {
			name, why = "", "carrier_gateway_retired"
		}
		if name != "" {
			if reply, err = s.renderer.SMS(textLocale(in.Body), name, MessageData{Company: t.Name}); err != nil {
				return Internal(err)
			}
			ev.Detail += "; answered " + name
		} else if why != "" {
			ev.Detail += "; not answered: " + why
		}
		if err := s.event(ctx, st, ev); err != nil {
			return err
		}
		if reply == "" || in.Source != SourceEmailText {
			return nil
		}
		queued = true
		return s.enqueue(ctx, st, t.ID, 0, &Delivery{Channel: ChannelSMS, Route: RouteCarrier, To: replyTo,
			Locale: textLocale(in.Body), Body: textBody(reply)})
	})
	if err != nil {
		return "", err
	}
	if queued {
		s.kick()
	}
	return reply, nil
}

// replyFor picks the message that answers a text, or says why none does.
func (s *Service) replyFor(ctx context.Context, st Store, kw Keyword, src Source, tenantID int64, channel, phone string) (name, why string, err error) {
	switch kw {
	case KeywordReset:
		name = "reply"
	case KeywordHelp:
		name = "help"
	case KeywordStop:
		name = "opted_out"
	case KeywordStart:
		name = "opted_in"
	default:
		// By SMS an unknown word gets the help text; by mail it gets
		// nothing, as it may well be a robot's, and answering robots
		// makes mail loops.
		if src != SourceSMS {
			return "", "no_keyword", nil
		}
		name = "help"
	}
	// A number that said STOP gets nothing but the confirmation.
	if kw != KeywordStop {
		out, err := st.OptedOut(ctx, tenantID, channel, phone)
		if err != nil {
			return "", "", err
		}
		if out {
			return "", "opted_out", nil
		}
	}
	over, err := st.Hit(ctx, s.clock(), []Limit{{Scope: "text_reply", Key: phone, Max: textRepliesPerWindow, Window: s.limits.Window}})
	if err != nil {
		return "", "", err
	}
	if over != nil {
		return "", "rate_limited", nil
	}
	return name, "", nil
}

func keywordCode(kw Keyword) string {
	if kw == KeywordNone {
		return "none"
	}
	return string(kw)
}

// textLocale answers in Spanish a text written with a Spanish keyword, and
// in English anything else. The language follows the text, never the
// sender's record, which would tell whether the number is on file.
func textLocale(body string) string {
	es := Keywords{}
	for _, w := range []string{"AYUDA", "CLAVE", "CONTRASEÑA", "CONTRASENA", "RESTABLECER", "ALTO", "PARAR", "COMENZAR"} {
		es[w] = KeywordHelp // any keyword: only "is it one" counts
	}
	if es.Parse(body) != KeywordNone {
		return "es"
	}
	return "en"
}

// mandatoryKeywords are the words carriers and Twilio act on by themselves
// (CTIA): a tenant cannot drop or repurpose them, or the gateway would
// disagree with the carrier about whether a number takes texts.
func mandatoryKeywords() Keywords {
	return Keywords{
		"STOP": KeywordStop, "STOPALL": KeywordStop, "UNSUBSCRIBE": KeywordStop, "CANCEL": KeywordStop,
		"END": KeywordStop, "QUIT": KeywordStop,
		"START": KeywordStart, "UNSTOP": KeywordStart,
		"HELP": KeywordHelp,
	}
}

// InboundKeywords are the words the tenant's inbound texts are read with:
// DefaultKeywords, changed by the tenant's own (a word mapped to
// KeywordNone drops a default one), and always the mandatory opt-out, opt-in
// and help words. A nil tenant gets the defaults.
func (t *Tenant) InboundKeywords() Keywords {
	k := DefaultKeywords()
	if t != nil {
		for w, kw := range t.Keywords {
			if kw == KeywordNone {
				delete(k, w)
			} else {
				k[w] = kw
			}
		}
	}
	maps.Copy(k, mandatoryKeywords())
	return k
}

// maxTenantKeywords bounds a tenant's own words: a handful per keyword
// and language is all a crew uses.
const maxTenantKeywords = 100

// maxKeywordWord bounds one word, in bytes.
const maxKeywordWord = 32

// NormalizeKeywords checks a tenant's own keywords and puts the words in
// the form Parse looks them up in (upper case). Values are "reset", "help",
// "stop", "start", or "" to drop a default word; the mandatory words (STOP,
// STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, START, UNSTOP, HELP) cannot be
// changed. An empty result means the defaults.
func NormalizeKeywords(in Keywords) (Keywords, error) {
	if len(in) > maxTenantKeywords {
		return nil, Errorf(KindInvalid, "keywords_invalid", "at most %d keywords", maxTenantKeywords)
	}
	mandatory := mandatoryKeywords()
	out := Keywords{}
	for w, kw := range in {
		word := strings.ToUpper(strings.TrimSpace(w))
		if word == "" || len(word) > maxKeywordWord || strings.IndexFunc(word, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}) >= 0 {
			return nil, Errorf(KindInvalid, "keywords_invalid", "a keyword is one word of at most %d letters or digits", maxKeywordWord)
		}
		switch kw {
		case KeywordNone, KeywordReset, KeywordHelp, KeywordStop, KeywordStart:
		default:
			return nil, Errorf(KindInvalid, "keywords_invalid", "a keyword means reset, help, stop, start or nothing")
		}
		if m, ok := mandatory[word]; ok && m != kw {
			return nil, Errorf(KindInvalid, "keyword_reserved", "%s is a carrier keyword and cannot be changed", word)
		}
		if prev, dup := out[word]; dup && prev != kw {
			return nil, Errorf(KindInvalid, "keywords_invalid", "%s is given twice with different meanings", word)
		}
		out[word] = kw
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// carrierNumberRE is the local part a national10 carrier gateway uses:
// ten digits, or eleven with the country code some gateways keep.
var carrierNumberRE = regexp.MustCompile(`^1?([2-9][0-9]{2}[2-9][0-9]{6})$`)

// carrierSender reads a mailed text's sender: number@domain where domain
// is a known carrier's SMS or MMS gateway. Mail from anywhere else is no
// text.
func (s *Service) carrierSender(ctx context.Context, addr string) (string, *Carrier, error) {
	notCarrier := Errorf(KindInvalid, "not_carrier_sender", "only texts from a carrier's SMS or MMS gateway are taken")
	addr = strings.ToLower(strings.Trim(strings.TrimSpace(addr), "<>"))
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || len(addr) > 254 {
		return "", nil, notCarrier
	}
	local, domain := addr[:at], addr[at+1:]
	cs, err := s.store.ListCarriers(ctx)
	if err != nil {
		return "", nil, err
	}
	// Several brands share a network's gateway (vtext.com is Verizon's,
	// Straight Talk's and Xfinity's): the carrier whose status is known
	// speaks for the domain, so that a retired gateway is not answered
	// through because a reseller's entry is unverified.
	var c *Carrier
	for _, cand := range cs {
		if !strings.EqualFold(domain, cand.SMSDomain) && !(cand.MMSDomain != "" && strings.EqualFold(domain, cand.MMSDomain)) {
			continue
		}
		if c == nil || (c.Status == CarrierUnverified && cand.Status != CarrierUnverified) {
			c = cand
		}
	}
	if c == nil || (c.NumberFormat != "national10" && c.NumberFormat != "") {
		return "", nil, notCarrier
	}
	m := carrierNumberRE.FindStringSubmatch(local)
	if m == nil {
		return "", nil, notCarrier
	}
	e164, _, err := ParsePhone("+1"+m[1], s.region)
	if err != nil {
		return "", nil, notCarrier
	}
	return e164, c, nil
}

// SecurityEventInput is something suspicious an adapter saw: a webhook
// with a bad signature, a callback about an unknown message. Nothing in it
// may be a secret.
type SecurityEventInput struct {
	TenantID int64
	IP       string
	Code     string // twilio_signature_invalid, twilio_unknown_number, ...
	Detail   string
}

// SecurityEvent logs a security event, at most securityEventsPerWindow per
// IP and window; past that it only goes to the process log.
func (s *Service) SecurityEvent(ctx context.Context, in SecurityEventInput) error {
	key := IPKey(in.IP)
	if key == "" {
		key = "unknown"
	}
	over, err := s.store.Hit(ctx, s.clock(), []Limit{{Scope: "security_event", Key: key, Max: securityEventsPerWindow, Window: s.limits.Window}})
	if err != nil {
		return err
	}
	s.log.Warn("security event", "code", in.Code, "ip", in.IP, "detail", Clip(cleanProviderText(in.Detail), 200), "logged", over == nil)
	if over != nil {
		return nil
	}
	return s.event(ctx, s.store, Event{TenantID: in.TenantID, Type: "security", IP: in.IP, Code: in.Code,
		Detail: Clip(cleanProviderText(in.Detail), 300)})
}
