// Package storetest is the one test suite every gateway.Store adapter
// passes: the SQLite and the PostgreSQL stores run it from their own
// tests, so that both keep the same semantics (claims, leases, rate
// windows, opt-outs, the append-only log, and every other method).
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// Opened is a fresh, empty store for one test.
type Opened struct {
	Store gateway.Store
	// Exec runs one SQL statement on the store's database past the
	// store, as an intruder with a database login would.
	Exec func(ctx context.Context, query string) error
	// Reopen opens the same database again (as a restart does), closed
	// when the test ends; nil when the adapter cannot.
	Reopen func(t *testing.T) gateway.Store
	// As opens the same database as the store of gateway instance inst
	// (its claims' point of view), closed when the test ends.
	As func(t *testing.T, inst string) gateway.Store
}

// Opener opens a fresh, empty store, closed when t ends.
type Opener func(t *testing.T) Opened

// Run runs the whole suite against stores from open.
func Run(t *testing.T, open Opener) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Opened)
	}{
		{"Tenants", testTenants},
		{"TenantSenderUnique", testTenantSenderUnique},
		{"ConflictsAndNotFound", testConflictsAndNotFound},
		{"Personnel", testPersonnel},
		{"ListPersonnel", testListPersonnel},
		{"SearchFolded", testSearchFolded},
		{"CountEvents", testCountEvents},
		{"ResetsByPerson", testResetsByPerson},
		{"OptOuts", testOptOuts},
		{"SeenMessage", testSeenMessage},
		{"Carriers", testCarriers},
		{"Resets", testResets},
		{"Deliveries", testDeliveries},
		{"MoveDelivery", testMoveDelivery},
		{"KeptBodies", testKeptBodies},
		{"CreateDeliveries", testCreateDeliveries},
		{"CreateResets", testCreateResets},
		{"ResetOnly", testResetOnly},
		{"ClaimOrderAndLease", testClaimOrderAndLease},
		{"ClaimDeferRenew", testClaimDeferRenew},
		{"ConcurrentClaims", testConcurrentClaims},
		{"InstanceKeys", testInstanceKeys},
		{"PendingDeliveries", testPendingDeliveries},
		{"FollowUps", testFollowUps},
		{"Events", testEvents},
		{"EventsAppendOnly", testEventsAppendOnly},
		{"EventsInTx", testEventsInTx},
		{"HitCountsPerWindow", testHitCountsPerWindow},
		{"ReserveRefusesWithoutCounting", testReserveRefusesWithoutCounting},
		{"ConcurrentReserve", testConcurrentReserve},
		{"PruneHits", testPruneHits},
		{"Rejects", testRejects},
		{"Admins", testAdmins},
		{"AdminSessions", testAdminSessions},
		{"Overview", testOverview},
		{"ResetBuckets", testResetBuckets},
		{"ConsoleAdminFields", testConsoleAdminFields},
		{"WithTx", testWithTx},
		{"TxWritesInOrder", testTxWritesInOrder},
		{"LaneSlots", testLaneSlots},
		{"LockReceived", testLockReceived},
		{"ReceivedTaking", testReceivedTaking},
		{"EmailVerification", testEmailVerification},
		{"UnverifiedPeople", testUnverifiedPeople},
		{"PasswordReminders", testPasswordReminders},
		{"TagsAndLastLogin", testTagsAndLastLogin},
		{"TagCounts", testTagCounts},
		{"BulkJobs", testBulkJobs},
		{"HandOverMarks", testHandOverMarks},
		{"HandOverUnmark", testHandOverUnmark},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// t0 is the suite's clock: every test passes times explicitly.
var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func tenant(t *testing.T, st gateway.Store, slug string) *gateway.Tenant {
	t.Helper()
	tn := gateway.NewTenant(slug, "Tenant "+slug)
	tn.CreatedAt = t0
	must(t, st.CreateTenant(context.Background(), tn))
	return tn
}

func person(t *testing.T, st gateway.Store, tenantID int64, email string, phones ...string) *gateway.Person {
	t.Helper()
	p := &gateway.Person{TenantID: tenantID, Name: "Person " + email, Email: email, Status: gateway.StatusActive,
		MobileAccess: true, AllowMobileReset: true, Locale: "en", CreatedAt: t0, UpdatedAt: t0}
	for _, n := range phones {
		p.Phones = append(p.Phones, gateway.Phone{Number: n, Type: gateway.PhoneSMS})
	}
	must(t, st.CreatePerson(context.Background(), p))
	return p
}

func delivery(t *testing.T, st gateway.Store, tenantID int64, prio gateway.Priority, due time.Time) *gateway.Delivery {
	t.Helper()
	return deliveryVia(t, st, tenantID, gateway.RouteEmail, prio, due)
}

func deliveryVia(t *testing.T, st gateway.Store, tenantID int64, route gateway.Route, prio gateway.Priority, due time.Time) *gateway.Delivery {
	t.Helper()
	d := &gateway.Delivery{TenantID: tenantID, Channel: gateway.ChannelEmail, Route: route,
		To: "crew@acme.example", Body: []byte("sealed body"), BodyKey: []byte("wrapped key"), Locale: "en",
		Status: gateway.DeliveryPending, NextAttemptAt: due, Priority: prio, CreatedAt: t0, UpdatedAt: t0}
	must(t, st.CreateDelivery(context.Background(), d))
	return d
}

func ids(ds []*gateway.Delivery) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

func wantKind(t *testing.T, what string, err error, kind gateway.Kind) {
	t.Helper()
	if gateway.ErrorKind(err) != kind {
		t.Fatalf("%s: got %v (kind %v), want kind %v", what, err, gateway.ErrorKind(err), kind)
	}
}
