package secret

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// hashTestHasher keeps tests quick: 64 KiB, one pass.
func hashTestHasher() *Hasher {
	return NewHasher(HasherConfig{Memory: 64, Time: 1, Threads: 1, MaxConcurrent: 2})
}

var hashTestPHCShape = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashVerify(t *testing.T) {
	h := hashTestHasher()
	ctx := context.Background()
	tests := []struct {
		name string
		pw   string
	}{
		{"ascii", "correct horse battery"},
		{"empty", ""},
		{"unicode", "contraseña segura ñandú"},
		{"long", strings.Repeat("x", 1000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			phc, err := h.Hash(ctx, tt.pw)
			if err != nil {
				t.Fatal(err)
			}
			m := hashTestPHCShape.FindStringSubmatch(phc)
			if m == nil {
				t.Fatalf("hash %q does not have the PHC shape", phc)
			}
			if m[1] != "64" || m[2] != "1" || m[3] != "1" {
				t.Fatalf("params m=%s t=%s p=%s, want 64/1/1", m[1], m[2], m[3])
			}
			ok, err := h.Verify(ctx, tt.pw, phc)
			if err != nil || !ok {
				t.Fatalf("Verify(right) = %v, %v", ok, err)
			}
			ok, err = h.Verify(ctx, tt.pw+"x", phc)
			if err != nil || ok {
				t.Fatalf("Verify(wrong) = %v, %v", ok, err)
			}
			again, err := h.Hash(ctx, tt.pw)
			if err != nil {
				t.Fatal(err)
			}
			if again == phc {
				t.Fatal("two hashes of the same password are equal: salt not random")
			}
		})
	}
}

// A hash keeps verifying after the configuration changes, because Verify
// reads the parameters from the stored string.
func TestHashVerifyOldParams(t *testing.T) {
	ctx := context.Background()
	old := NewHasher(HasherConfig{Memory: 32, Time: 1, Threads: 1})
	phc, err := old.Hash(ctx, "old password here")
	if err != nil {
		t.Fatal(err)
	}
	cur := NewHasher(HasherConfig{Memory: 128, Time: 2, Threads: 2})
	ok, err := cur.Verify(ctx, "old password here", phc)
	if err != nil || !ok {
		t.Fatalf("Verify with new config = %v, %v", ok, err)
	}
	if !cur.NeedsRehash(phc) {
		t.Fatal("weaker hash should need a rehash")
	}
	fresh, err := cur.Hash(ctx, "old password here")
	if err != nil {
		t.Fatal(err)
	}
	if cur.NeedsRehash(fresh) {
		t.Fatal("fresh hash should not need a rehash")
	}
}

// A known-answer vector pins the encoding (base64 without padding, the
// parameter order) so that stored hashes stay readable across versions.
// The string is the output of the argon2 reference CLI (Debian's argon2
// package): echo -n password | argon2 somesaltsomesalt -id -m 6 -t 1 -p 1 -l 32
func TestHashKnownAnswer(t *testing.T) {
	h := hashTestHasher()
	const phc = "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM"
	ok, err := h.Verify(context.Background(), "password", phc)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatal("known-answer hash does not verify")
	}
}

func TestHashNeedsRehash(t *testing.T) {
	h := NewHasher(HasherConfig{Memory: 64, Time: 2, Threads: 1})
	const salt16 = "c29tZXNhbHRzb21lc2FsdA"                     // 16 bytes
	const key32 = "55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM" // 32 bytes
	const key16 = "c29tZXNhbHRzb21lc2FsdA"
	tests := []struct {
		name string
		phc  string
		want bool
	}{
		{"same", "$argon2id$v=19$m=64,t=2,p=1$" + salt16 + "$" + key32, false},
		{"stronger", "$argon2id$v=19$m=128,t=3,p=1$" + salt16 + "$" + key32, false},
		{"more lanes", "$argon2id$v=19$m=64,t=2,p=4$" + salt16 + "$" + key32, false},
		{"less memory", "$argon2id$v=19$m=32,t=2,p=1$" + salt16 + "$" + key32, true},
		{"fewer passes", "$argon2id$v=19$m=64,t=1,p=1$" + salt16 + "$" + key32, true},
		{"short key", "$argon2id$v=19$m=64,t=2,p=1$" + salt16 + "$" + key16, true},
		{"malformed", "$argon2i$v=19$m=64,t=2,p=1$" + salt16 + "$" + key32, true},
		{"empty", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.NeedsRehash(tt.phc); got != tt.want {
				t.Fatalf("NeedsRehash = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHashVerifyMalformed(t *testing.T) {
	h := hashTestHasher()
	const salt = "c29tZXNhbHRzb21lc2FsdA"
	const key = "55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM"
	tests := []struct {
		name string
		phc  string
	}{
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"old version", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"params out of order", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key},
		{"extra param", "$argon2id$v=19$m=64,t=1,p=1,k=2$" + salt + "$" + key},
		{"t=0", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"p=0", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key},
		{"p=256", "$argon2id$v=19$m=4096,t=1,p=256$" + salt + "$" + key},
		{"m below 8p", "$argon2id$v=19$m=7,t=1,p=1$" + salt + "$" + key},
		{"m huge", "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key},
		{"m overflow", "$argon2id$v=19$m=4294967296,t=1,p=1$" + salt + "$" + key},
		{"t huge", "$argon2id$v=19$m=64,t=100000,p=1$" + salt + "$" + key},
		{"negative", "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key},
		{"plus sign", "$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key},
		{"leading zero", "$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key},
		{"empty value", "$argon2id$v=19$m=,t=1,p=1$" + salt + "$" + key},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{"bad salt chars", "$argon2id$v=19$m=64,t=1,p=1$" + salt[:20] + "-_$" + key},
		{"newline in salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt[:10] + "\n" + salt[10:] + "$" + key},
		{"carriage return in hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:10] + "\r" + key[10:]},
		{"short salt", "$argon2id$v=19$m=64,t=1,p=1$c29tZQ$" + key},
		{"short key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$c29tZQ"},
		{"missing key", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"trailing field", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$"},
		{"no leading dollar", "argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$x"},
		{"too long", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("A", 600)},
		{"garbage", "not a hash at all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(context.Background(), "password", tt.phc)
			if err == nil || ok {
				t.Fatalf("Verify = %v, %v; want an error", ok, err)
			}
			if !errors.Is(err, ErrHashInvalid) {
				t.Fatalf("error %v, want code password_hash_invalid", err)
			}
			if strings.Contains(err.Error(), salt) || strings.Contains(err.Error(), key) {
				t.Fatal("error quotes the stored hash")
			}
		})
	}
}

// An account without a password verifies as "no", not as an error.
func TestHashVerifyEmpty(t *testing.T) {
	ok, err := hashTestHasher().Verify(context.Background(), "anything", "")
	if err != nil || ok {
		t.Fatalf("Verify(empty hash) = %v, %v", ok, err)
	}
}

func TestHashVerifyDummy(t *testing.T) {
	h := hashTestHasher()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.VerifyDummy(context.Background(), "whatever")
		}()
	}
	wg.Wait()
	if h.dummy == "" {
		t.Fatal("dummy hash not computed")
	}
	if h.NeedsRehash(h.dummy) {
		t.Fatal("dummy hash should have the configured params")
	}
	// A canceled ctx returns at once instead of waiting for a slot.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.VerifyDummy(ctx, "whatever")
}

func TestHashContext(t *testing.T) {
	h := NewHasher(HasherConfig{Memory: 64, Time: 1, MaxConcurrent: 1})
	// Hold the only slot, as a long hash in flight would.
	h.sem <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hash with busy slots = %v, want deadline exceeded", err)
	}
	if _, err := h.Verify(ctx, "pw", "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Verify with busy slots = %v, want deadline exceeded", err)
	}
	h.release()
	if _, err := h.Hash(context.Background(), "pw"); err != nil {
		t.Fatal(err)
	}
}

// At most MaxConcurrent argon2 calls run at once: with every slot taken a
// Hash waits, and it goes on as soon as one is freed. Slots never leak.
func TestHashConcurrencyCap(t *testing.T) {
	const limit = 2
	h := NewHasher(HasherConfig{Memory: 64, Time: 1, MaxConcurrent: limit})
	for i := 0; i < limit; i++ {
		h.sem <- struct{}{} // calls in flight elsewhere
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "pw")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Hash ran with all %d slots taken (err %v)", limit, err)
	case <-time.After(50 * time.Millisecond):
	}
	h.release()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Hash still waiting after a slot was freed")
	}
	h.release()

	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			phc, err := h.Hash(context.Background(), "pw")
			if err != nil {
				t.Error(err)
				return
			}
			if ok, err := h.Verify(context.Background(), "pw", phc); err != nil || !ok {
				t.Errorf("Verify = %v, %v", ok, err)
			}
		}()
	}
	wg.Wait()
	if len(h.sem) != 0 {
		t.Fatalf("%d slots leaked", len(h.sem))
	}
}

func TestHashRandError(t *testing.T) {
	h := NewHasher(HasherConfig{Memory: 64, Time: 1, Rand: &pwFailingReader{}})
	if _, err := h.Hash(context.Background(), "pw"); !errors.Is(err, ErrRandom) {
		t.Fatalf("failing salt source: got %v, want ErrRandom", err)
	}
	if len(h.sem) != 0 {
		t.Fatal("slot leaked")
	}
}

func TestHasherDefaults(t *testing.T) {
	h := NewHasher(HasherConfig{})
	if h.cfg.Memory != 19*1024 || h.cfg.Time != 2 || h.cfg.Threads != 1 || h.cfg.MaxConcurrent < 1 || h.cfg.Rand == nil {
		t.Fatalf("defaults not applied: %+v", h.cfg)
	}
	if cap(h.sem) != h.cfg.MaxConcurrent {
		t.Fatalf("semaphore size %d, want %d", cap(h.sem), h.cfg.MaxConcurrent)
	}
}

// One round trip at the production parameters (about 35 ms).
func TestHashDefaultParams(t *testing.T) {
	if testing.Short() {
		t.Skip("argon2id at 19 MiB")
	}
	h := NewHasher(HasherConfig{})
	ctx := context.Background()
	phc, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q lacks the default params", phc)
	}
	if m := hashTestPHCShape.FindStringSubmatch(phc); m == nil {
		t.Fatalf("hash %q does not have the PHC shape", phc)
	}
	ok, err := h.Verify(ctx, "correct horse battery", phc)
	if err != nil || !ok {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
	if h.NeedsRehash(phc) {
		t.Fatal("default hash needs rehash under the default config")
	}
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(HasherConfig{})
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzHashParsePHC(f *testing.F) {
	for _, s := range []string{
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM",
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM",
		"$argon2i$v=19$m=64,t=1,p=1$c29tZQ$c29tZQ",
		"$argon2id$v=19$m=4294967295,t=4294967295,p=255$$",
		"$$$$$", "", "$argon2id$v=19$m=064,t=1,p=1$a$b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePHC(s)
		if err != nil {
			if !errors.Is(err, ErrHashInvalid) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		// What parses is within the bounds a login can afford, and has
		// exactly one spelling.
		if p.time < 1 || p.time > maxArgonTime || p.threads < 1 ||
			p.memory < 8*uint32(p.threads) || p.memory > maxArgonMemory {
			t.Fatalf("out-of-range params accepted: m=%d t=%d p=%d", p.memory, p.time, p.threads)
		}
		if len(p.salt) < minArgonSaltLen || len(p.key) < minArgonKeyLen {
			t.Fatal("short salt or key accepted")
		}
		if got := encodePHC(p); got != s {
			t.Fatalf("round trip: %q -> %q", s, got)
		}
	})
}
