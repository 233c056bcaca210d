package httpapi_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway/httpapi"
	"github.com/resetgw/resetgw/gateway/metrics"
)

// After a reset goes out, a scrape shows the series with their labels;
// without the admin token the main listener answers 401 and no figure.
func TestMetricsAfterAReset(t *testing.T) {
	var m *metrics.Metrics
	var h *harness
	h = newHarnessWith(t, token, func(c *httpapi.Config) {
		m = metrics.New(metrics.Config{})
		c.Metrics, c.ObserveRequest = m.Handler(), m.ObserveRequest
	})
	h.svc.SetObserver(m)
	if code, _, _ := h.do("POST", "/admin/api/personnel", `{"name":"Ana","email":"ana@acme.example","status":"active",
		"mobile_access":true,"allow_mobile_reset":true,"password":"original-crew-password-7",
		"phones":[{"number":"+12015550123","type":"sms"}]}`, true); code != 201 {
		t.Fatalf("create person: %d", code)
	}
	if code, _, _ := h.do("POST", "/v1/password-resets", `{"email":"ana@acme.example","phone":"+12015550123"}`, false); code != 202 {
		t.Fatalf("reset: %d", code)
	}
	if code, _, _ := h.do("POST", "/v1/password-resets", `{"email":"not-an-email"}`, false); code != 400 {
		t.Fatalf("bad reset: %d", code)
	}
	h.drain()

	if code, body := scrape(t, h, ""); code != 401 || strings.Contains(body, "resetgw_") {
		t.Fatalf("no token: %d %s", code, body)
	}
	if code, body := scrape(t, h, "wrong-token"); code != 401 || strings.Contains(body, "resetgw_") {
		t.Fatalf("wrong token: %d %s", code, body)
	}
	code, body := scrape(t, h, token)
	if code != 200 {
		t.Fatalf("scrape: %d %s", code, body)
	}
	for _, want := range []string{
		`resetgw_reset_requests_total{outcome="accepted"} 1`,
		`resetgw_reset_requests_total{outcome="email_invalid"} 1`,
		`resetgw_resets_finished_total{reason="",state="delivered"} 1`,
		`resetgw_delivery_attempts_total{result="sent",route="twilio"} 1`,
		`resetgw_delivery_attempts_total{result="sent",route="email"} 1`,
		`resetgw_send_duration_seconds_count{route="twilio"} 1`,
		`resetgw_http_requests_total{method="POST",route="/v1/password-resets",status="202"} 1`,
		`resetgw_http_requests_total{method="GET",route="/metrics",status="401"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if strings.Contains(body, "ana@acme.example") || strings.Contains(body, "12015550123") {
		t.Errorf("scrape names the person")
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", body)
	}
}

func scrape(t *testing.T, h *harness, bearer string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := h.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
