package main

import (
	"context"
	"strings"

	"github.com/resetgw/resetgw/carriers/devinbox"
	carriersmtp "github.com/resetgw/resetgw/carriers/smtp"
	carriertwilio "github.com/resetgw/resetgw/carriers/twilio"
	"github.com/resetgw/resetgw/gateway"
)

// providerTester is gateway.ProviderTester on the real senders: Test
// Provider and "send test email" go through the same SMTP and Twilio code
// as the resets do, and show what the server answered. In demo mode
// without an SMTP server the dev inbox answers for the default profile.
type providerTester struct {
	smtp   *carriersmtp.Sender
	twilio *carriertwilio.Sender
	inbox  *devinbox.Inbox // nil unless demo mode without SMTP
	// routes are the aws and webhook senders, set by serve; a tester
	// without them answers route tests with no_tester.
	routes map[gateway.Route]gateway.Sender
}

var (
	_ gateway.ProviderTester = (*providerTester)(nil)
	_ gateway.RouteTester    = (*providerTester)(nil)
)

func newProviderTester(cfg *config, inbox *devinbox.Inbox) *providerTester {
	def := &gateway.TwilioSettings{AccountSID: cfg.TwilioSID, AuthToken: cfg.TwilioToken}
	if strings.HasPrefix(cfg.TwilioFrom, "MG") {
		def.MessagingServiceSID = cfg.TwilioFrom
	} else {
		def.From = cfg.TwilioFrom
	}
	return &providerTester{
		smtp: carriersmtp.New(carriersmtp.Config{Default: gateway.SMTPProfile{URL: cfg.SMTPURL, From: cfg.MailFrom},
			Timeout: cfg.SendTimeout, AllowHosts: cfg.SMTPAllowHosts}),
		twilio: carriertwilio.New(carriertwilio.Config{Default: def, APIURL: cfg.TwilioAPIURL, Timeout: cfg.SendTimeout}),
		inbox:  inbox,
	}
}

// TestSMTP implements gateway.ProviderTester.
func (p *providerTester) TestSMTP(ctx context.Context, profile *gateway.SMTPProfile, to, subject, text string) (string, error) {
	if (profile == nil || profile.URL == "") && p.inbox != nil {
		// A carrier test has no subject: the gateway turns the mail into a text.
		m := &gateway.Message{Channel: gateway.ChannelSMS, Route: gateway.RouteCarrier, To: to, Text: text}
		if subject != "" {
			m.Channel, m.Route, m.Subject = gateway.ChannelEmail, gateway.RouteEmail, subject
		}
		id, err := p.inbox.Send(ctx, m)
		if err != nil {
			return "", err
		}
		return "250 dev inbox: queued as " + id + " (demo mode: nothing left this machine)", nil
	}
	return p.smtp.Test(ctx, profile, to, subject, text)
}

// TestTwilio implements gateway.ProviderTester.
func (p *providerTester) TestTwilio(ctx context.Context, settings *gateway.TwilioSettings, to, body string) (string, error) {
	return p.twilio.Test(ctx, settings, to, body)
}

// TestRoute implements gateway.RouteTester with the route's own sender,
// the one resets go through.
func (p *providerTester) TestRoute(ctx context.Context, m *gateway.Message) (string, error) {
	sender := p.routes[m.Route]
	if sender == nil {
		return "", &gateway.SendError{Class: gateway.FailConfig, Code: "no_sender", Detail: "this gateway has no sender for " + string(m.Route) + " routes",
			Fix: "test from the running gateway (resetgw serve)"}
	}
	return sender.Send(ctx, m)
}
