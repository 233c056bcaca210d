package gateway

import "strings"

// A provider test's answer in an office's words: what happened, whose
// side it is on, and what to do. Built from the route and the failure's
// class and Fix, which the senders already give; the provider's own code
// and text stay beside it for whoever needs them.

// provider names the route's far side as an office knows it.
func (r *ProviderTestResult) provider() string {
	switch r.Route {
	case RouteTwilio:
		return "Twilio"
	case RouteCarrier:
		return "The carrier's email-to-SMS gateway"
	}
	return "The mail server"
}

// plainWords says the result in a sentence or two.
func (r *ProviderTestResult) plainWords() string {
	who := r.provider()
	if r.OK {
		switch r.Route {
		case RouteTwilio:
			return "Twilio accepted the test text. It should reach the phone within a minute; if it does not, the number may be a landline or switched off."
		case RouteCarrier:
			return "The mail server accepted the test for the carrier's gateway. Carrier gateways are slow and drop texts without saying so: it may take minutes, or not arrive."
		}
		return "The mail server accepted the test email. Look for it in " + orThat(r.To, "the inbox") + ", and in the spam folder."
	}
	switch r.Code {
	case "twilio_not_configured":
		return "Twilio is not set up for this company: add the account SID, auth token and a sender in Settings."
	case "opted_out":
		return "Not sent: this number texted STOP, so it gets no texts until it texts START."
	case "carrier_gateway_retired":
		return "Not sent: this carrier has shut down its email-to-SMS gateway. Set up Twilio in Settings to text this carrier's phones."
	case "no_tester":
		return "Not sent: this gateway has no sender for tests. The operator has to configure one."
	}
	switch r.Class {
	case FailConfig:
		what := "Twilio is not set up right for this company"
		if r.Route != RouteTwilio {
			what = "Email is not set up right for this company"
		}
		return what + ": " + sentence(orThat(r.Fix, "check the settings, then test again."))
	case FailRecipient:
		if r.Route == RouteEmail {
			return "The mail server refused this address: check that it is typed right and still in use."
		}
		return who + " cannot text this number: check that it is a mobile number, typed right, and that the carrier is right."
	case FailOptedOut:
		return "Not sent: this number texted STOP, so it gets no texts until it texts START."
	case FailRate:
		return who + " is limiting how fast this company can send: wait a few minutes and test again."
	case FailTransient:
		return who + " could not be reached just now: test again in a minute. If it keeps failing, check the address in Settings, or the provider may be down."
	}
	return who + " refused this test message. What it said is below."
}

func orThat(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// sentence starts s with a lower-case letter after a colon and ends it
// with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	if len(s) > 1 && s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z') {
		s = strings.ToLower(s[:1]) + s[1:]
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
