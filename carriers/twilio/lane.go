package twilio

import (
	"strings"

	"github.com/resetgw/resetgw/gateway"
)

// Sender throughput by type, in messages per second, from Twilio's
// documented limits: a US or Canadian long code takes 1 segment a second,
// a toll-free number 3 (more on request), a short code 100. Twilio queues
// what goes faster, and a queued password is a late password, so the
// lane paces sends to the sender instead.
const (
	LongCodeRate  = 1
	TollFreeRate  = 3
	ShortCodeRate = 100
	// DefaultServiceRate is a Messaging Service's pace when
	// Config.ServiceRate is not set: one sender's worth. A service
	// spreads its texts over its senders, so the operator who knows the
	// pool sets senders × each sender's rate.
	DefaultServiceRate = 1
)

// tollFree are the North American toll-free area codes.
var tollFree = []string{"800", "833", "844", "855", "866", "877", "888"}

var _ gateway.Laner = (*Sender)(nil)

// Lane says which lane m goes through: one per Twilio account and sender
// (the From number, else the Messaging Service), paced to the sender's
// throughput unless the tenant's sms_rate_per_second says otherwise.
func (s *Sender) Lane(m *gateway.Message) gateway.LaneSpec {
	var t *gateway.Tenant
	if m != nil {
		t = m.Tenant
	}
	settings := s.settingsFor(t)
	spec := gateway.LaneSpec{Kind: "twilio", Key: "twilio:unconfigured"}
	if settings.Configured() {
		sender := settings.From
		if sender == "" {
			sender = settings.MessagingServiceSID
		}
		spec.Key = "twilio:" + settings.AccountSID + ":" + sender
		spec.RatePerSecond = s.senderRate(settings)
	}
	if t != nil && t.SMSRatePerSecond > 0 {
		spec.RatePerSecond = t.SMSRatePerSecond
	}
	return spec
}

// senderRate is the documented pace of the sender settings send from.
func (s *Sender) senderRate(settings *gateway.TwilioSettings) float64 {
	if settings.From == "" {
		if s.cfg.ServiceRate > 0 {
			return s.cfg.ServiceRate
		}
		return DefaultServiceRate
	}
	return SenderRate(settings.From)
}

// SenderRate is the documented throughput of a From: a short code (5 or 6
// digits) 100/s, a North American toll-free number 3/s, any other number
// (a long code) 1/s.
func SenderRate(from string) float64 {
	if n := len(from); (n == 5 || n == 6) && allDigits(from) {
		return ShortCodeRate
	}
	if rest, ok := strings.CutPrefix(from, "+1"); ok && len(rest) == 10 && allDigits(rest) {
		for _, npa := range tollFree {
			if strings.HasPrefix(rest, npa) {
				return TollFreeRate
			}
		}
	}
	return LongCodeRate
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
