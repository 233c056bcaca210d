package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// BenchClaimRecord measures the outbox's hot path on st: a delivery
// written, claimed in a batch of 16 and its outcome recorded (body
// wiped), as the engine does for every message. It reports deliveries/s.
func BenchClaimRecord(b *testing.B, st gateway.Store) {
	ctx := context.Background()
	tn := gateway.NewTenant("bench", "Bench")
	if err := st.CreateTenant(ctx, tn); err != nil {
		b.Fatal(err)
	}
	const batch = 16
	now := t0
	b.ResetTimer()
	start := time.Now()
	done := 0
	for done < b.N {
		for range batch {
			d := &gateway.Delivery{TenantID: tn.ID, Channel: gateway.ChannelEmail, Route: gateway.RouteEmail,
				To: "crew@bench.example", Body: make([]byte, 200), BodyKey: make([]byte, 61),
				Status: gateway.DeliveryPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateDelivery(ctx, d); err != nil {
				b.Fatal(err)
			}
		}
		ds, err := st.ClaimDeliveries(ctx, now, now.Add(time.Minute), batch)
		if err != nil || len(ds) != batch {
			b.Fatalf("claimed %d: %v", len(ds), err)
		}
		for _, d := range ds {
			d.Status, d.Body, d.Attempts, d.ProviderID, d.UpdatedAt = gateway.DeliverySent, nil, 1, "id", now
			if err := st.UpdateDelivery(ctx, d); err != nil {
				b.Fatal(err)
			}
		}
		done += batch
	}
	b.ReportMetric(float64(done)/time.Since(start).Seconds(), "deliveries/s")
}
