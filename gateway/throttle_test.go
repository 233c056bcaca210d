package gateway_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
)

// countingHasher counts the argon2id verifications that ran (real and
// dummy ones: both cost the same).
type countingHasher struct {
	gateway.PasswordHasher
	verifies atomic.Int64
}

func (h *countingHasher) Verify(ctx context.Context, pw, phc string) (bool, error) {
	h.verifies.Add(1)
	return h.PasswordHasher.Verify(ctx, pw, phc)
}

func (h *countingHasher) VerifyDummy(ctx context.Context, pw string) {
	h.verifies.Add(1)
	h.PasswordHasher.VerifyDummy(ctx, pw)
}

func withHasher(h gateway.PasswordHasher) func(*gateway.Config) {
	return func(c *gateway.Config) { c.Hasher = h }
}

func (e *env) loginFrom(email, pw, ip string) error {
	_, err := e.svc.Login(e.ctx, gateway.LoginInput{Email: email, Password: pw, IP: ip})
	return err
}

func (e *env) adminLoginFrom(email, pw, ip string) error {
	_, err := e.svc.AdminLogin(e.ctx, gateway.AdminLoginInput{Email: email, Password: pw, IP: ip})
	return err
}

// succeeded is what parallel tallies a nil error under.
const succeeded = gateway.Kind(-1)

// parallel runs n calls of f at once and tallies their error kinds.
func parallel(n int, f func() error) map[gateway.Kind]int {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		kinds = map[gateway.Kind]int{}
		start = make(chan struct{})
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			k := succeeded
			if err := f(); err != nil {
				k = gateway.ErrorKind(err)
			}
			mu.Lock()
			kinds[k]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return kinds
}

// The attacker sends 40 wrong passwords for one account at once. Each
// attempt is reserved before its hash runs, so no more than the pair's
// limit are ever evaluated, now or later in the window.
func TestHardening03_ParallelWrongLoginsAreReservedBeforeHashing(t *testing.T) {
	max := gateway.DefaultLimits().LoginPerAccountIP
	for _, tc := range []struct {
		name  string
		login func(e *env, pw string) error
	}{
		{"crew", func(e *env, pw string) error { return e.loginFrom("ana@acme.example", pw, "203.0.113.7") }},
		{"admin", func(e *env, pw string) error { return e.adminLoginFrom("boss@acme.example", pw, "203.0.113.7") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &countingHasher{PasswordHasher: gatewaytest.Hasher()}
			e := newEnv(t, true, withHasher(h))
			e.person("ana@acme.example", phoneA, "")
			if _, err := e.svc.CreateAdmin(e.ctx, operator, gateway.AdminInput{Email: "boss@acme.example",
				Password: "correct horse battery"}); err != nil {
				t.Fatal(err)
			}
			kinds := parallel(40, func() error { return tc.login(e, "wrong-password-1") })
			verified := int(h.verifies.Load())
			if verified > max || kinds[gateway.KindUnauthorized] != verified ||
				kinds[gateway.KindRateLimited] != 40-verified {
				t.Fatalf("40 parallel wrong logins: %d verifications, outcomes %v (want at most %d, the rest 429)",
					verified, kinds, max)
			}
			// Waiting out each pause lets attempts through up to the
			// limit of the window, never past it.
			for range 40 {
				e.advance(20 * time.Second)
				tc.login(e, "wrong-password-1")
			}
			if got := int(h.verifies.Load()); got > max {
				t.Fatalf("%d verifications in one window, limit %d", got, max)
			}
		})
	}
}

// A stranger's failures never refuse the owner's right password from an
// address that has not failed.
func TestHardening04_AttackerCannotLockOwnerOut(t *testing.T) {
	e := newEnv(t, true)
	p := e.person("bea@acme.example", phoneA, "")
	attacker, owner := "203.0.113.66", "198.51.100.20"
	for range 50 {
		if err := e.loginFrom("bea@acme.example", "wrong-password-1", attacker); err == nil {
			t.Fatal("a wrong password logged in")
		}
	}
	if err := e.loginFrom("bea@acme.example", original, owner); err != nil {
		t.Fatalf("the owner, from another address, right after 50 bad logins: %v", err)
	}
	// The attacker's address is throttled, even with the right password.
	if err := e.loginFrom("bea@acme.example", original, attacker); gateway.ErrorKind(err) != gateway.KindRateLimited {
		t.Fatalf("the failing address: %v", err)
	}
	// The same holds for console admins.
	if _, err := e.svc.CreateAdmin(e.ctx, operator, gateway.AdminInput{Email: "boss@acme.example",
		Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		e.adminLoginFrom("boss@acme.example", "wrong-password-1", attacker)
	}
	if err := e.adminLoginFrom("boss@acme.example", "correct horse battery", owner); err != nil {
		t.Fatalf("the admin, from another address: %v", err)
	}
	lock, err := e.svc.PersonLoginLock(e.ctx, p)
	if err != nil || lock.Locked || lock.Failures == 0 || lock.Failures > gateway.DefaultLimits().LoginPerAccountIP {
		t.Fatalf("after one address's failures: %+v %v", lock, err)
	}
}

// Many addresses together reach the account's ceiling: the admin is told
// and sees it on the person; addresses that failed are refused, the owner
// from a fresh address still gets in, and the admin's unlock clears it.
func TestHardening04_AccountCeilingSeenAndClearedByAdmin(t *testing.T) {
	lim := gateway.DefaultLimits()
	e := newEnv(t, true)
	p := e.person("cal@acme.example", phoneA, "")
	ip := func(i int) string { return fmt.Sprintf("203.0.%d.%d", 113+i/250, 1+i%250) }
	for i := range lim.LoginCeiling {
		e.mustFailFrom(t, "cal@acme.example", ip(i))
	}
	lock, err := e.svc.PersonLoginLock(e.ctx, p)
	if err != nil || !lock.Locked || lock.Failures != lim.LoginCeiling {
		t.Fatalf("at the ceiling: %+v %v", lock, err)
	}
	evs := e.events(gateway.EventLoginCeilingReached)
	if len(evs) != 1 || evs[0].PersonID != p.ID {
		t.Fatalf("ceiling events %+v", evs)
	}
	if err := e.loginFrom("cal@acme.example", original, ip(0)); gateway.ErrorKind(err) != gateway.KindRateLimited {
		t.Fatalf("an address that failed, past the ceiling: %v", err)
	}
	if err := e.loginFrom("cal@acme.example", original, "198.51.100.21"); err != nil {
		t.Fatalf("the owner from an address that has not failed: %v", err)
	}
	if _, err := e.svc.UnlockPerson(e.ctx, operator, "", p.ID); err != nil {
		t.Fatal(err)
	}
	if lock, _ := e.svc.PersonLoginLock(e.ctx, p); lock.Locked || lock.Failures != 0 {
		t.Fatalf("after unlock: %+v", lock)
	}
	if err := e.loginFrom("cal@acme.example", original, ip(0)); err != nil {
		t.Fatalf("after the admin's unlock: %v", err)
	}
	if evs := e.events(gateway.EventLoginUnlocked); len(evs) != 1 || evs[0].PersonID != p.ID || evs[0].ActorID != operator.ID {
		t.Fatalf("unlock events %+v", evs)
	}
	// A tenant admin cannot unlock another tenant's person.
	_, other := e.tenantAdmin("other")
	if _, err := e.svc.UnlockPerson(e.ctx, other, "", p.ID); !gateway.IsNotFound(err) {
		t.Fatalf("another tenant's admin: %v", err)
	}
}

func (e *env) mustFailFrom(t *testing.T, email, ip string) {
	t.Helper()
	if err := e.loginFrom(email, "wrong-password-1", ip); gateway.ErrorKind(err) != gateway.KindUnauthorized {
		t.Fatalf("wrong password from %s: %v", ip, err)
	}
}

// An admin account's ceiling is cleared the same way.
func TestHardening04_AdminCeilingCleared(t *testing.T) {
	lim := gateway.DefaultLimits()
	e := newEnv(t, true)
	ad, err := e.svc.CreateAdmin(e.ctx, operator, gateway.AdminInput{Email: "boss@acme.example", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range lim.LoginCeiling {
		e.adminLoginFrom("boss@acme.example", "wrong-password-1", fmt.Sprintf("203.0.113.%d", 1+i))
	}
	if lock, _ := e.svc.AdminLoginLock(e.ctx, ad); !lock.Locked {
		t.Fatalf("admin at the ceiling: %+v", lock)
	}
	if err := e.adminLoginFrom("boss@acme.example", "correct horse battery", "203.0.113.1"); gateway.ErrorKind(err) != gateway.KindRateLimited {
		t.Fatalf("a failed address past the ceiling: %v", err)
	}
	if _, err := e.svc.UnlockAdmin(e.ctx, operator, "boss@acme.example"); err != nil {
		t.Fatal(err)
	}
	if err := e.adminLoginFrom("boss@acme.example", "correct horse battery", "203.0.113.1"); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
}

// A crew behind one office address logs in at once at the start of a
// shift: their attempts are in flight together and none is refused.
func TestHardening04_OfficeBehindOneAddressLogsInAtOnce(t *testing.T) {
	e := newEnv(t, true)
	const n = 60
	for i := range n {
		e.person(fmt.Sprintf("crew%d@acme.example", i), "", "")
	}
	var next atomic.Int64
	kinds := parallel(n, func() error {
		i := next.Add(1) - 1
		return e.loginFrom(fmt.Sprintf("crew%d@acme.example", i), original, "198.51.100.99")
	})
	if kinds[succeeded] != n {
		t.Fatalf("outcomes %v", kinds)
	}
}
