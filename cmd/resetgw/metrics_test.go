package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway/metrics"
)

// The metrics listener answers /metrics without a token, and nothing else.
func TestMetricsListener(t *testing.T) {
	m := metrics.New(metrics.Config{})
	m.ResetRequested("accepted")
	srv, err := startMetrics("127.0.0.1:0", m.Handler(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.close()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + srv.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, `resetgw_reset_requests_total{outcome="accepted"} 1`) {
		t.Fatalf("/metrics: %d %.300s", code, body)
	}
	if code, _ := get("/admin/api/personnel"); code != 404 {
		t.Fatalf("other path: %d", code)
	}
}
