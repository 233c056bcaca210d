package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/metrics"
)

func TestLaneSeries(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	lanes := []gateway.LaneStatus{
		{Lane: "twilio:AC1:+12015550150", Kind: "twilio", State: gateway.LaneNeedsAttention, Queued: 3, InFlight: 1,
			OldestQueued: now.Add(-90 * time.Second)},
		{Lane: "smtp:relay", Kind: "smtp", State: gateway.LaneOK},
	}
	m := metrics.New(metrics.Config{Lanes: func() []gateway.LaneStatus { return lanes }, Clock: func() time.Time { return now }})
	m.HashWait(20 * time.Millisecond)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	body := string(b)
	for _, want := range []string{
		`resetgw_outbox_depth{kind="twilio",lane="twilio:AC1:+12015550150"} 4`,
		`resetgw_outbox_in_flight{kind="twilio",lane="twilio:AC1:+12015550150"} 1`,
		`resetgw_outbox_oldest_age_seconds{kind="twilio",lane="twilio:AC1:+12015550150"} 90`,
		`resetgw_outbox_oldest_age_seconds{kind="smtp",lane="smtp:relay"} 0`,
		`resetgw_lane_state{kind="twilio",lane="twilio:AC1:+12015550150",state="needs_attention"} 1`,
		`resetgw_lane_state{kind="twilio",lane="twilio:AC1:+12015550150",state="ok"} 0`,
		`resetgw_lane_state{kind="smtp",lane="smtp:relay",state="ok"} 1`,
		`resetgw_hash_queue_wait_seconds_count 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("lacks %s", want)
		}
	}
	if strings.Contains(body, "go_goroutines") {
		t.Error("process series without Process")
	}
	if t.Failed() {
		t.Log(body)
	}
}

// Two gateways in one process each have their own registry: building a
// second does not panic on duplicate registration.
func TestTwoRegistries(t *testing.T) {
	a, b := metrics.New(metrics.Config{Process: true}), metrics.New(metrics.Config{Process: true})
	a.ResetRequested("accepted")
	if a.Registry() == b.Registry() {
		t.Fatal("shared registry")
	}
}
