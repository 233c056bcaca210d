package devinbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

func TestSendAndList(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tick := 0
	in := New(Config{Max: 3, Clock: func() time.Time { tick++; return now.Add(time.Duration(tick) * time.Second) }})
	tenant := &gateway.Tenant{Slug: "acme"}

	routes := []gateway.Route{gateway.RouteTwilio, gateway.RouteCarrier, gateway.RouteEmail, gateway.RouteEmail, gateway.RouteTwilio}
	for i, r := range routes {
		id, err := in.Send(context.Background(), &gateway.Message{
			DeliveryID: int64(i + 1), Route: r, Channel: gateway.ChannelSMS, To: fmt.Sprintf("to-%d", i+1),
			Subject: "s", Text: "t", HTML: "h", Tenant: tenant,
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("dev-%d", i+1); id != want {
			t.Fatalf("id = %q, want %q", id, want)
		}
	}

	list := in.List()
	tests := []struct {
		id    string
		to    string
		route gateway.Route
		at    time.Time
	}{
		{"dev-5", "to-5", gateway.RouteTwilio, now.Add(5 * time.Second)},
		{"dev-4", "to-4", gateway.RouteEmail, now.Add(4 * time.Second)},
		{"dev-3", "to-3", gateway.RouteEmail, now.Add(3 * time.Second)},
	}
	if len(list) != len(tests) {
		t.Fatalf("List has %d entries, want the newest %d", len(list), len(tests))
	}
	for i, tt := range tests {
		e := list[i]
		if e.ID != tt.id || e.To != tt.to || e.Route != tt.route || !e.At.Equal(tt.at) || e.TenantSlug != "acme" || e.Text != "t" || e.HTML != "h" {
			t.Errorf("entry %d = %+v, want %+v", i, e, tt)
		}
	}

	list[0].Text = "changed by the caller"
	if in.List()[0].Text != "t" {
		t.Error("List shares memory with the inbox")
	}
	if _, ok := in.Get("dev-1"); ok {
		t.Error("dev-1 should have been dropped")
	}
	if e, ok := in.Get("dev-4"); !ok || e.To != "to-4" {
		t.Errorf("Get(dev-4) = %+v, %v", e, ok)
	}
}

func TestDefaults(t *testing.T) {
	in := New(Config{})
	for range DefaultMax + 10 {
		if _, err := in.Send(context.Background(), &gateway.Message{Route: gateway.RouteEmail}); err != nil {
			t.Fatal(err)
		}
	}
	list := in.List()
	if len(list) != DefaultMax || list[0].ID != fmt.Sprintf("dev-%d", DefaultMax+10) || list[0].At.IsZero() {
		t.Fatalf("len %d, newest %+v", len(list), list[0])
	}
}

func TestSendFailures(t *testing.T) {
	in := New(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name      string
		ctx       context.Context
		m         *gateway.Message
		temporary bool
	}{
		{"nil message", context.Background(), nil, false},
		{"canceled", ctx, &gateway.Message{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := in.Send(tt.ctx, tt.m)
			if err == nil || gateway.AsSendError(err).Temporary() != tt.temporary {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if len(in.List()) != 0 {
		t.Error("a failed send was recorded")
	}
}

func TestConcurrent(t *testing.T) {
	in := New(Config{Max: 50})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				if _, err := in.Send(context.Background(), &gateway.Message{Route: gateway.RouteTwilio}); err != nil {
					t.Error(err)
				}
				_ = in.List()
			}
		}()
	}
	wg.Wait()
	list := in.List()
	if len(list) != 50 || list[0].ID != "dev-200" {
		t.Fatalf("len %d newest %q", len(list), list[0].ID)
	}
	seen := map[string]bool{}
	for _, e := range list {
		if seen[e.ID] {
			t.Fatalf("duplicate id %s", e.ID)
		}
		seen[e.ID] = true
	}
}

func TestRefusesInvalidDomain(t *testing.T) {
	in := New(Config{})
	_, err := in.Send(context.Background(), &gateway.Message{Route: gateway.RouteEmail, To: "dana@demo.INVALID"})
	var se *gateway.SendError
	if !errors.As(err, &se) || se.Temporary() || se.Code != "550 5.1.2" || len(in.List()) != 0 {
		t.Fatalf("got %v, kept %d", err, len(in.List()))
	}
}
