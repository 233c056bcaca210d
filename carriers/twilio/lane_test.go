package twilio_test

import (
	"testing"

	"github.com/resetgw/resetgw/carriers/twilio"
	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
	"github.com/resetgw/resetgw/gateway"
)

func TestTwilioLaneRates(t *testing.T) {
	own := &gateway.TwilioSettings{AccountSID: otherSID, AuthToken: otherToken, From: "+12015550188"}
	tests := []struct {
		name        string
		def         *gateway.TwilioSettings
		serviceRate float64
		tenant      *gateway.Tenant
		key         string
		rate        float64
	}{
		{name: "US long code", def: &gateway.TwilioSettings{AccountSID: accountSID, AuthToken: authToken, From: "+12015550123"},
			key: "twilio:" + accountSID + ":+12015550123", rate: 1},
		{name: "Canadian long code", def: &gateway.TwilioSettings{AccountSID: accountSID, AuthToken: authToken, From: "+14165550123"},
			key: "twilio:" + accountSID + ":+14165550123", rate: 1},
		{name: "toll-free 800", def: &gateway.TwilioSettings{AccountSID: accountSID, AuthToken: authToken, From: "+18005550100"},
			key: "twilio:" + accountSID + ":+18005550100", rate: 3},
		{name: "toll-free 833", def: &gateway.TwilioSettings{AccountSID: accountSID, AuthToken: authToken, From: "+18335550100"}, rate: 3},
		{name: "toll-free 888", def: &gateway.TwilioSettings{AccountSID: accountSID, AuthToken: authToken, From: "+18885550100"}, rate: 3},
		{name: "not toll-free 880", def: &gateway.TwilioSettings{AccountSID: accountSID, AuthToken: authToken, From: "+18805550100"}, rate: 1},
		{name: "short code 5 digits", def: &gateway.TwilioSettings{AccountSID: accountSID, AuthToken: authToken, From: "12345"},
			key: "twilio:" + accountSID + ":12345", rate: 100},
		{name: "short code 6 digits", def: &gateway.TwilioSettings{AccountSID: accountSID, AuthToken: authToken, From: "123456"}, rate: 100},
		{name: "7 digits is no short code", def: &gateway.TwilioSettings{AccountSID: accountSID, AuthToken: authToken, From: "1234567"}, rate: 1},
		{name: "messaging service, default pace", def: &gateway.TwilioSettings{AccountSID: accountSID, AuthToken: authToken, MessagingServiceSID: serviceSID},
			key: "twilio:" + accountSID + ":" + serviceSID, rate: twilio.DefaultServiceRate},
		{name: "messaging service, configured pace", def: &gateway.TwilioSettings{AccountSID: accountSID, AuthToken: authToken, MessagingServiceSID: serviceSID},
			serviceRate: 4, rate: 4},
		{name: "service narrowed to a From", def: &gateway.TwilioSettings{AccountSID: accountSID, AuthToken: authToken, MessagingServiceSID: serviceSID, From: "+18445550100"},
			key: "twilio:" + accountSID + ":+18445550100", rate: 3},
		{name: "tenant's own account", def: settings(), tenant: &gateway.Tenant{Twilio: own},
			key: "twilio:" + otherSID + ":+12015550188", rate: 1},
		{name: "tenant's sms_rate_per_second wins", def: settings(), tenant: &gateway.Tenant{SMSRatePerSecond: 7.5},
			key: "twilio:" + accountSID + ":" + from, rate: 7.5},
		{name: "nothing configured", def: nil, key: "twilio:unconfigured", rate: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := twilio.New(twilio.Config{Default: tt.def, ServiceRate: tt.serviceRate})
			m := message()
			m.Tenant = tt.tenant
			got := s.Lane(m)
			if got.Kind != "twilio" || got.RatePerSecond != tt.rate || (tt.key != "" && got.Key != tt.key) {
				t.Errorf("lane %+v, want key %q rate %v", got, tt.key, tt.rate)
			}
		})
	}
}

// Reset texts carry the tenant's validity period (600 s by default), so a
// password Twilio could not deliver in time is dropped (30036), not
// delivered stale; other texts and Test Provider carry none.
func TestTwilioValidityPeriod(t *testing.T) {
	tests := []struct {
		name      string
		requestID string
		tenant    *gateway.Tenant
		want      int
	}{
		{"reset, default", "r1", &gateway.Tenant{}, 600},
		{"reset, no tenant read", "r1", nil, 600},
		{"reset, tenant's setting", "r1", &gateway.Tenant{SMSValiditySeconds: 120}, 120},
		{"reset, beyond Twilio's maximum", "r1", &gateway.Tenant{SMSValiditySeconds: 99999}, 36000},
		{"reply to a text", "", &gateway.Tenant{SMSValiditySeconds: 120}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := twiliotest.Start(t, accountSID, authToken)
			m := message()
			m.RequestID, m.Tenant = tt.requestID, tt.tenant
			if _, err := newSender(srv).Send(testCtx(t), m); err != nil {
				t.Fatal(err)
			}
			if got := srv.Messages()[0].ValidityPeriod; got != tt.want {
				t.Errorf("ValidityPeriod = %d, want %d", got, tt.want)
			}
		})
	}
	srv := twiliotest.Start(t, accountSID, authToken)
	if _, err := newSender(srv).Test(testCtx(t), nil, to, "test"); err != nil {
		t.Fatal(err)
	}
	if got := srv.Messages()[0].ValidityPeriod; got != 0 {
		t.Errorf("Test Provider ValidityPeriod = %d", got)
	}
}
