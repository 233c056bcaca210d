package gateway_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	carrieraws "github.com/resetgw/resetgw/carriers/aws"
	"github.com/resetgw/resetgw/carriers/aws/awstest"
	"github.com/resetgw/resetgw/carriers/webhook"
	"github.com/resetgw/resetgw/carriers/webhook/webhooktest"
	"github.com/resetgw/resetgw/gateway"
)

// chainTester tests every kind of route with the real aws and webhook
// senders, and keeps the carrier gateway's and Twilio's tests.
type chainTester struct {
	routes map[gateway.Route]gateway.Sender
	mu     sync.Mutex
	smtp   []string // the carrier gateway addresses mailed
	twilio int
}

func (c *chainTester) TestSMTP(_ context.Context, _ *gateway.SMTPProfile, to, _, _ string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.smtp = append(c.smtp, to)
	return "250 2.0.0 Ok: queued", nil
}

func (c *chainTester) TestTwilio(context.Context, *gateway.TwilioSettings, string, string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.twilio++
	return "SM0123456789abcdef0123456789abcdef", nil
}

func (c *chainTester) TestRoute(ctx context.Context, m *gateway.Message) (string, error) {
	return c.routes[m.Route].Send(ctx, m)
}

// testChainEnv is a tenant whose chain is [webhook A, webhook B, aws,
// twilio, carrier], each webhook with its own secret.
func testChainEnv(t *testing.T) (*env, *chainTester, *webhooktest.Server, *webhooktest.Server, *awstest.Server) {
	const secretB = "whsec-second-provider-0123456789"
	a, b := webhooktest.New(t, hookSecret), webhooktest.New(t, secretB)
	aws := awstest.New(t, awsKeyID)
	ct := &chainTester{routes: map[gateway.Route]gateway.Sender{
		// httptest's servers share one certificate: one pool trusts both.
		gateway.RouteWebhook: webhook.New(webhook.Config{TLS: a.TLS(), Timeout: 5 * time.Second}),
		gateway.RouteAWS:     carrieraws.New(carrieraws.Config{Timeout: 5 * time.Second}),
	}}
	e := newEnv(t, true, func(c *gateway.Config) { c.Tester = ct })
	hb := hook(b.URL + "/send")
	hb.Secret = secretB
	e.patchTenant(gateway.SettingsPatch{SMSRoutes: &[]gateway.SMSRoute{hook(a.URL + "/send"), hb,
		awsRoute(func(r *gateway.SMSRoute) { r.Endpoint = aws.URL }), twilioLink, carrierLink}})
	e.person("ana@acme.example", phoneA, "verizon")
	return e, ct, a, b, aws
}

// TestProviderTestsTheWebhookAsked: Test Provider "webhook" with link 2
// texts through the second webhook of the chain, with its own secret, and
// not the first; a link of another kind, or past the chain, is refused.
func TestProviderTestsTheWebhookAsked(t *testing.T) {
	e, _, a, b, _ := testChainEnv(t)
	res, err := e.svc.TestProvider(e.ctx, operator, "webhook", gateway.ProviderTestInput{Phone: phoneA, Link: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Link != 2 || !strings.HasPrefix(res.Target, b.URL) || len(b.Texts()) != 1 || len(a.Texts()) != 0 {
		t.Fatalf("link 2: %+v; first webhook took %d, second %d", res, len(a.Texts()), len(b.Texts()))
	}
	if _, bad := b.Posts(); bad != 0 {
		t.Fatalf("the second webhook saw %d bad signatures: signed with another route's secret", bad)
	}
	// Without a link: the first webhook, as before.
	if res, err := e.svc.TestProvider(e.ctx, operator, "webhook", gateway.ProviderTestInput{Phone: phoneA}); err != nil ||
		!res.OK || res.Link != 1 || len(a.Texts()) != 1 {
		t.Fatalf("no link: %+v %v", res, err)
	}
	for _, tc := range []struct {
		slug string
		link int
	}{{"webhook", 3}, {"aws", 1}, {"webhook", 6}, {"webhook", -1}, {"twilio", 5}, {"verizon", 4}} {
		if _, err := e.svc.TestProvider(e.ctx, operator, tc.slug, gateway.ProviderTestInput{Phone: phoneA, Link: tc.link}); gateway.ErrorCode(err) != "link_invalid" {
			t.Errorf("%s link %d: %v, want link_invalid", tc.slug, tc.link, err)
		}
	}
}

// TestChainTestReportsEachLink: a test of the whole chain tries every
// link in order, each through its own provider, and says for each how it
// went in words, a failure with its class (and fix for a setup failure).
func TestChainTestReportsEachLink(t *testing.T) {
	e, ct, a, b, aws := testChainEnv(t)
	b.SetStatus(503)
	aws.Script(awstest.Answer{Status: 400, Type: "ValidationException", Reason: "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY"})
	res, err := e.svc.TestChain(e.ctx, operator, gateway.ChainTestInput{ProviderTestInput: gateway.ProviderTestInput{Phone: phoneA}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind  gateway.Route
		ok    bool
		class gateway.FailureClass
	}{{gateway.RouteWebhook, true, ""}, {gateway.RouteWebhook, false, gateway.FailTransient},
		{gateway.RouteAWS, false, gateway.FailConfig}, {gateway.RouteTwilio, true, ""}, {gateway.RouteCarrier, true, ""}}
	if len(res) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(res), len(want), res)
	}
	for i, w := range want {
		r := res[i]
		if r.Link != i+1 || r.Route != w.kind || r.OK != w.ok || r.Class != w.class || r.Summary == "" {
			t.Errorf("link %d: %+v, want %s ok=%v class=%q", i+1, r, w.kind, w.ok, w.class)
		}
	}
	if res[2].Fix == "" || !strings.Contains(res[2].Summary, res[2].Fix[:20]) {
		t.Errorf("aws refusal without its fix in words: %+v", res[2])
	}
	if len(a.Texts()) != 1 || len(ct.smtp) != 1 || !strings.HasSuffix(ct.smtp[0], "@vtext.com") || ct.twilio != 1 {
		t.Errorf("texts: webhook A %d, carrier %v, twilio %d", len(a.Texts()), ct.smtp, ct.twilio)
	}
	// Only the links asked for, in the chain's order whatever the order asked.
	res, err = e.svc.TestChain(e.ctx, operator, gateway.ChainTestInput{ProviderTestInput: gateway.ProviderTestInput{Phone: phoneA},
		Links: []int{2, 1}})
	if err != nil || len(res) != 2 || res[0].Link != 1 || res[1].Link != 2 {
		t.Fatalf("links 2 and 1: %+v %v", res, err)
	}
	// The hourly bound of tests is reached part way: the links past it
	// say so in words instead of failing the whole test.
	res, err = e.svc.TestChain(e.ctx, operator, gateway.ChainTestInput{ProviderTestInput: gateway.ProviderTestInput{Phone: phoneA}})
	if err != nil || len(res) != 5 {
		t.Fatalf("past the bound: %+v %v", res, err)
	}
	if last := res[4]; last.OK || last.Code != "tests_rate_limited" || !strings.HasPrefix(last.Summary, "Not tested") {
		t.Errorf("past the bound: %+v", last)
	}
	for _, bad := range [][]int{{0}, {6}, {1, 1}} {
		if _, err := e.svc.TestChain(e.ctx, operator, gateway.ChainTestInput{ProviderTestInput: gateway.ProviderTestInput{Phone: phoneA},
			Links: bad}); gateway.ErrorCode(err) != "link_invalid" {
			t.Errorf("links %v: %v", bad, err)
		}
	}
	if _, err := e.svc.TestChain(e.ctx, operator, gateway.ChainTestInput{ProviderTestInput: gateway.ProviderTestInput{Phone: "12"}}); gateway.ErrorCode(err) != "phone_invalid" {
		t.Errorf("bad phone: %v", err)
	}
}

// TestChainTestCarrierLink: the carrier link goes through the carrier the
// admin names, else the one on record for the number; a number on nobody's
// record without a carrier named is not tested, in words.
func TestChainTestCarrierLink(t *testing.T) {
	e, ct, _, _, _ := testChainEnv(t)
	in := gateway.ChainTestInput{ProviderTestInput: gateway.ProviderTestInput{Phone: phoneB}, Links: []int{5}}
	res, err := e.svc.TestChain(e.ctx, operator, in)
	if err != nil || len(res) != 1 || res[0].OK || res[0].Code != "carrier_unknown" || len(ct.smtp) != 0 {
		t.Fatalf("unknown carrier: %+v %v", res, err)
	}
	in.Carrier = "verizon"
	if res, err = e.svc.TestChain(e.ctx, operator, in); err != nil || !res[0].OK || len(ct.smtp) != 1 {
		t.Fatalf("named carrier: %+v %v", res, err)
	}
	in.Carrier = "no-such-carrier"
	if res, err = e.svc.TestChain(e.ctx, operator, in); err != nil || res[0].OK || !strings.HasPrefix(res[0].Summary, "Not tested") {
		t.Fatalf("unknown slug: %+v %v", res, err)
	}
}
