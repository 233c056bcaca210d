package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	carrierwebhook "github.com/resetgw/resetgw/carriers/webhook"
	"github.com/resetgw/resetgw/carriers/webhook/webhooktest"
	"github.com/resetgw/resetgw/gateway"
)

// hookTester is Test Provider with the real webhook sender for routes.
type hookTester struct {
	tester
	hook gateway.Sender
}

func (h *hookTester) TestRoute(ctx context.Context, m *gateway.Message) (string, error) {
	return h.hook.Send(ctx, m)
}

const (
	secretA = "whsec-first-provider-0123456789ab"
	secretB = "whsec-second-provider-0123456789"
)

// twoHooks is a harness whose tenant's chain is [webhook A, webhook B,
// carrier], each webhook with its own secret.
func twoHooks(t *testing.T) (*harness, *webhooktest.Server, *webhooktest.Server) {
	h := newHarness(t, token)
	a, b := webhooktest.New(t, secretA), webhooktest.New(t, secretB)
	h.svc.SetTester(&hookTester{hook: carrierwebhook.New(carrierwebhook.Config{TLS: a.TLS(), Timeout: 5 * time.Second})})
	chain := fmt.Sprintf(`{"sms_routes":[{"kind":"webhook","url":%q,"secret":%q},{"kind":"webhook","url":%q,"secret":%q},{"kind":"carrier"}]}`,
		a.URL+"/send", secretA, b.URL+"/send", secretB)
	if code, m, _ := h.do("PATCH", "/admin/api/settings", chain, true); code != 200 {
		t.Fatalf("chain: %d %v", code, m)
	}
	return h, a, b
}

// TestAPITestsEachWebhook: the carriers/webhook/test contract stays (no
// link: the first webhook) and "link" picks another webhook of the chain,
// which is then the one texted, signed with its own secret.
func TestAPITestsEachWebhook(t *testing.T) {
	h, a, b := twoHooks(t)
	code, m, _ := h.do("POST", "/admin/api/carriers/webhook/test", `{"phone":"+12015550123","link":2}`, true)
	if code != 200 || m["ok"] != true || m["link"] != 2.0 || len(b.Texts()) != 1 || len(a.Texts()) != 0 {
		t.Fatalf("link 2: %d %v; A took %d, B %d", code, m, len(a.Texts()), len(b.Texts()))
	}
	if code, m, _ = h.do("POST", "/admin/api/carriers/webhook/test", `{"phone":"+12015550123"}`, true); code != 200 ||
		m["ok"] != true || len(a.Texts()) != 1 {
		t.Fatalf("no link: %d %v", code, m)
	}
	if code, m, _ = h.do("POST", "/admin/api/carriers/webhook/test", `{"phone":"+12015550123","link":3}`, true); code != 400 || errCode(m) != "link_invalid" {
		t.Fatalf("link 3 is the carrier: %d %v", code, m)
	}
}

// TestAPITestsTheWholeChain: settings/sms-routes/test answers each link's
// result in the chain's order, a failing webhook with its class and
// words, and never a route's secret.
func TestAPITestsTheWholeChain(t *testing.T) {
	h, a, b := twoHooks(t)
	b.SetStatus(503)
	code, m, _ := h.do("POST", "/admin/api/settings/sms-routes/test", `{"phone":"+12015550123","links":[2,1]}`, true)
	raw, _ := json.Marshal(m)
	if code != 200 || strings.Contains(string(raw), secretA) || strings.Contains(string(raw), secretB) {
		t.Fatalf("%d %s", code, raw)
	}
	rs, _ := m["results"].([]any)
	if len(rs) != 2 {
		t.Fatalf("results %s", raw)
	}
	first, second := rs[0].(map[string]any), rs[1].(map[string]any)
	if first["link"] != 1.0 || first["ok"] != true || !strings.HasPrefix(first["target"].(string), a.URL) {
		t.Errorf("link 1: %v", first)
	}
	if second["link"] != 2.0 || second["ok"] != false || second["class"] != "transient" || second["summary"] == "" ||
		!strings.HasPrefix(second["target"].(string), b.URL) {
		t.Errorf("link 2: %v", second)
	}
	if posts, _ := b.Posts(); posts != 1 || len(a.Texts()) != 1 {
		t.Errorf("B was posted %d times, A took %d", posts, len(a.Texts()))
	}
	// Every link: the carrier link has no carrier for a number on nobody's record.
	code, m, _ = h.do("POST", "/admin/api/settings/sms-routes/test", `{"phone":"+12015550123"}`, true)
	rs, _ = m["results"].([]any)
	if code != 200 || len(rs) != 3 || rs[2].(map[string]any)["code"] != "carrier_unknown" {
		t.Fatalf("every link: %d %v", code, m)
	}
	for _, tc := range []struct{ body, code string }{
		{`{"phone":"+12015550123","links":[4]}`, "link_invalid"},
		{`{"phone":"12"}`, "phone_invalid"},
		{`{"phone":"+12015550123","link":1}`, "unknown_field"},
	} {
		if code, m, _ := h.do("POST", "/admin/api/settings/sms-routes/test", tc.body, true); code != 400 || errCode(m) != tc.code {
			t.Errorf("%s: %d %v, want 400 %s", tc.body, code, m, tc.code)
		}
	}
}
