package secret

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func ringForTest(t *testing.T, inst string, c *fakeClock) *KeyRing {
	t.Helper()
	r, err := NewKeyRing(RingConfig{Instance: inst, Rotate: time.Minute, MaxAge: 10 * time.Minute, Clock: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRingSealOpenAndTheMasterKeyCannot(t *testing.T) {
	c := &fakeClock{time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	r := ringForTest(t, "inst-a", c)
	plain, aad := []byte("Your new password: Ab3xk7Qm9#"), []byte("req\x00sms\x00+12015550123")
	wk, sealed, epoch, err := r.Seal(plain, aad)
	if err != nil || epoch != 1 {
		t.Fatalf("seal: epoch %d, %v", epoch, err)
	}
	if inst, e, _, ok := ParseRingKey(wk); !ok || inst != "inst-a" || e != 1 {
		t.Fatalf("key names %q epoch %d (%v)", inst, e, ok)
	}
	if bytes.Contains(sealed, plain) || bytes.Contains(wk, plain) {
		t.Fatal("plain text in the sealed output")
	}
	got, err := r.Open(wk, sealed, aad)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open = %q, %v", got, err)
	}
	// The master key has no part in it: neither its envelope nor its
	// data-key wrapping opens the row.
	k := keysForTest(t)
	if _, err := k.OpenEnvelope(wk, sealed, aad); err == nil {
		t.Fatal("the master key opened a ring-sealed body")
	}
	if k.UnwrapsDataKey(wk, aad) || k.UnwrapsDataKey(wk[len(wk)-WrappedKeyLen:], aad) {
		t.Fatal("the master key unwraps a ring-wrapped data key")
	}
	// Bound to its aad and its header.
	if _, err := r.Open(wk, sealed, []byte("other")); !errors.Is(err, ErrSealedInvalid) {
		t.Fatalf("other aad: %v", err)
	}
	bad := bytes.Clone(wk)
	bad[len(bad)-1] ^= 1
	if _, err := r.Open(bad, sealed, aad); !errors.Is(err, ErrSealedInvalid) {
		t.Fatalf("flipped bit: %v", err)
	}
	// Another instance's ring, even one with the same name made later,
	// cannot open it.
	for _, o := range []*KeyRing{ringForTest(t, "inst-b", c), ringForTest(t, "inst-a", c)} {
		if _, err := o.Open(wk, sealed, aad); !errors.Is(err, ErrKeyGone) {
			t.Fatalf("another ring: %v", err)
		}
	}
	if _, err := r.Open([]byte("short"), sealed, aad); !errors.Is(err, ErrSealedInvalid) {
		t.Fatalf("garbage key: %v", err)
	}
}

func TestRingRotatesAndDropsKeys(t *testing.T) {
	c := &fakeClock{time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	r := ringForTest(t, "inst-a", c)
	aad := []byte("a")
	tests := []struct {
		name    string
		advance time.Duration
		inUse   map[uint64]bool
		open1   bool // the first epoch's body still opens
		keys    int
	}{
		{"current epoch kept though unused", 0, nil, true, 1},
		{"ended epoch kept while a body needs it", 2 * time.Minute, map[uint64]bool{1: true}, true, 2},
		{"ended epoch dropped once nothing needs it", 0, map[uint64]bool{}, false, 1},
	}
	wk1, s1, _, err := r.Seal([]byte("one"), aad)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		c.t = c.t.Add(tc.advance)
		if _, _, _, err := r.Seal([]byte("later"), aad); err != nil {
			t.Fatal(err)
		}
		n := r.Sweep(func(e uint64) bool { return tc.inUse[e] })
		_, err := r.Open(wk1, s1, aad)
		if (err == nil) != tc.open1 || n != tc.keys || r.Has(wk1) != tc.open1 {
			t.Fatalf("%s: open %v, %d keys", tc.name, err, n)
		}
	}
	// A key some body still "needs" goes anyway once MaxAge past its epoch:
	// no delivery stays pending that long.
	wk2, s2, e2, _ := r.Seal([]byte("two"), aad)
	c.t = c.t.Add(time.Minute + 10*time.Minute)
	r.Sweep(func(uint64) bool { return true })
	if _, err := r.Open(wk2, s2, aad); !errors.Is(err, ErrKeyGone) {
		t.Fatalf("epoch %d past MaxAge: %v", e2, err)
	}
	// Close drops everything and seals nothing more.
	wk3, s3, _, _ := r.Seal([]byte("three"), aad)
	r.Close()
	if _, err := r.Open(wk3, s3, aad); !errors.Is(err, ErrKeyGone) {
		t.Fatalf("after Close: %v", err)
	}
	if _, _, _, err := r.Seal([]byte("four"), aad); err == nil {
		t.Fatal("a closed ring sealed")
	}
}
