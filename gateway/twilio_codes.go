package gateway

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// twilioCode is what one of Twilio's error codes means for a delivery.
type twilioCode struct {
	class FailureClass
	// what says in a few words what happened, for when Twilio's own text
	// is missing (a status callback carries only the number).
	what string
	// fix is, for a configuration failure, what the admin should do.
	fix string
}

// twilioCodes is the one table of Twilio's error codes, used both for the
// answer to a create call and for the ErrorCode of a status callback (a
// late failure), so that a code means the same thing wherever it arrives.
// The codes that are not the network's fault are here so that they are
// never retried like a blip.
var twilioCodes = map[int]twilioCode{
	// This person's number: no retry, no other route.
	21211: {FailRecipient, "the number is not a valid phone number", ""},
	21614: {FailRecipient, "the number is not a mobile number", ""},
	30003: {FailRecipient, "the phone is unreachable (off or out of coverage)", ""},
	30004: {FailRecipient, "the message is blocked by the recipient or their carrier", ""},
	30005: {FailRecipient, "the number is unknown to its carrier", ""},
	30006: {FailRecipient, "the number is a landline or its carrier is unreachable", ""},

	21610: {FailOptedOut, "the number texted STOP to this sender", ""},

	// The sender's setup: only an admin can fix these.
	20003: {FailConfig, "Twilio refused the account's credentials",
		"Twilio refused the account SID or auth token: copy both again from the Twilio console into the Twilio settings"},
	21608: {FailConfig, "a trial account may only text verified numbers",
		"This Twilio account is a trial account: upgrade it, or verify the crew's numbers in the Twilio console"},
	30034: {FailConfig, "the sender is not registered for US A2P 10DLC",
		"This Twilio number is not registered for A2P 10DLC: register a campaign or use a toll-free or short code"},
	30032: {FailConfig, "the toll-free number is not verified",
		"This toll-free number is not verified: submit its toll-free verification in the Twilio console, or use a registered number"},
	21408: {FailConfig, "texts to this region are not enabled for the account",
		"Texts to this country are not enabled: turn the country on under Messaging Geo Permissions in the Twilio console"},
	30007: {FailConfig, "carriers filtered the message",
		"Carriers are filtering this sender's texts: check the sender's registration and the message wording with Twilio"},

	// Twilio wants us slower.
	30001: {FailRate, "Twilio's queue for the sender overflowed", ""},
	30450: {FailRate, "Twilio's SMS pumping protection blocked sending for a while", ""},

	// Late only: the text was not delivered within its validity period.
	// It is stale by now, so it is neither retried nor a setup problem.
	30036: {"", "the text expired before it could be delivered", ""},
}

// TwilioFailure classifies a failed Twilio API call by its HTTP status and
// Twilio error code (0 when the answer had none). detail is Twilio's text,
// already free of secrets; when it is empty the code's meaning is used.
// Unknown codes go by the status: 429 is rate, 5xx (and no status at all)
// transient, 401 configuration, any other 4xx a permanent failure of this
// message that no class describes better.
func TwilioFailure(status, code int, detail string) *SendError {
	se := &SendError{Code: strconv.Itoa(code), Detail: detail}
	if code == 0 {
		se.Code = "http_" + strconv.Itoa(status)
	}
	if c, ok := twilioCodes[code]; ok {
		se.Class, se.Fix = c.class, c.fix
		if strings.TrimSpace(se.Detail) == "" {
			se.Detail = c.what
		}
		return se
	}
	switch {
	case status == http.StatusTooManyRequests:
		se.Class = FailRate
	case status >= 500 || status == 0:
		se.Class = FailTransient
	case status == http.StatusUnauthorized:
		se.Class = FailConfig
		se.Fix = twilioCodes[20003].fix
	}
	return se
}

// TwilioLateFailure classifies the ErrorCode of a status callback (or of a
// polled message): "30034" arrives there far more often than in the answer
// to the create. ok is false for a code the table does not know.
func TwilioLateFailure(code string) (class FailureClass, what, fix string, ok bool) {
	n, err := strconv.Atoi(strings.TrimSpace(code))
	if err != nil {
		return "", "", "", false
	}
	c, ok := twilioCodes[n]
	return c.class, c.what, c.fix, ok
}

// TwilioCodes lists the codes the table knows, for tests and docs.
func TwilioCodes() []int {
	return slices.Sorted(maps.Keys(twilioCodes))
}
