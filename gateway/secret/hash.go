package secret

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's minimum (m=19 MiB, t=2, p=1) is the
// default, about 35 ms a hash on the machines measured.
const (
	defaultArgonMemory  = 19 * 1024 // KiB
	defaultArgonTime    = 2
	defaultArgonThreads = 1

	argonSaltLen = 16
	argonKeyLen  = 32
)

// Bounds on what a stored hash may ask for. The store is ours, but a
// corrupted or hostile row must not make one login allocate gigabytes
// (argon2 allocates m KiB up front) or spin for minutes.
const (
	maxArgonMemory  = 1 << 21 // KiB: 2 GiB
	maxArgonTime    = 64
	minArgonSaltLen = 8
	maxArgonSaltLen = 64
	minArgonKeyLen  = 16
	maxArgonKeyLen  = 64
	// maxPHCLen bounds the string before any work on it.
	maxPHCLen = 512
)

// HasherConfig sets the argon2id parameters for new hashes. Zero fields
// take the defaults.
type HasherConfig struct {
	Memory  uint32 // KiB; default 19*1024
	Time    uint32 // passes; default 2
	Threads uint8  // lanes; default 1
	// MaxConcurrent caps argon2 calls in flight, each holding Memory KiB;
	// default runtime.NumCPU().
	MaxConcurrent int
	// Reclaim collects garbage after each hash, before its slot goes to
	// the next one: the hash's memory is then free for the next to reuse,
	// so MaxConcurrent×Memory bounds what hashing holds, rather than that
	// plus whatever the collector has not got to yet. Hashing memory holds
	// no pointers, so such a collection is short next to the hash.
	Reclaim bool
	// Rand makes salts; default crypto/rand.Reader.
	Rand io.Reader
	// OnWait, when set, is told how long each hash waited for its slot
	// (the metrics' hash queue wait).
	OnWait func(time.Duration)
}

// Hasher hashes and verifies the passwords people keep, with argon2id.
// It is safe for concurrent use.
type Hasher struct {
	cfg HasherConfig
	// sem holds one token per argon2 call in flight: the memory cost is
	// per call, so unbounded concurrency is an out-of-memory waiting to
	// happen under a login flood.
	sem chan struct{}

	// dummyLock (one token) guards dummy, made at first use; waiting
	// for it honours the caller's context, as the slots do.
	dummyLock chan struct{}
	dummy     string
}

// NewHasher returns a Hasher for cfg with defaults filled in.
func NewHasher(cfg HasherConfig) *Hasher {
	if cfg.Memory == 0 {
		cfg.Memory = defaultArgonMemory
	}
	if cfg.Time == 0 {
		cfg.Time = defaultArgonTime
	}
	if cfg.Threads == 0 {
		cfg.Threads = defaultArgonThreads
	}
	// Argon2 needs 8 KiB per lane; x/crypto would quietly raise a smaller
	// value, and our parser refuses hashes that claim one.
	if cfg.Memory < 8*uint32(cfg.Threads) {
		cfg.Memory = 8 * uint32(cfg.Threads)
	}
	if cfg.Memory > maxArgonMemory {
		cfg.Memory = maxArgonMemory
	}
	if cfg.Time > maxArgonTime {
		cfg.Time = maxArgonTime
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = runtime.NumCPU()
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Hasher{cfg: cfg, sem: make(chan struct{}, cfg.MaxConcurrent), dummyLock: make(chan struct{}, 1)}
}

// argonParams is a decoded PHC string.
type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// errBadHash is what a malformed stored hash gives. It says nothing about
// the hash itself: no hash goes into an error.
func errBadHash(why string) error {
	return withDetail(ErrHashInvalid, "argon2id PHC string: "+why)
}

// parsePHC decodes "$argon2id$v=19$m=..,t=..,p=..$salt$hash". It is strict
// (fixed order, no padding, no extra fields) since only this code writes
// these strings, and leniency would only let corruption through.
func parsePHC(s string) (*argonParams, error) {
	if len(s) > maxPHCLen {
		return nil, errBadHash("too long")
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return nil, errBadHash("wrong number of fields")
	}
	if parts[1] != "argon2id" {
		return nil, errBadHash("not argon2id")
	}
	if parts[2] != "v=19" {
		return nil, errBadHash("unsupported version")
	}
	var p argonParams
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return nil, errBadHash("wrong parameter list")
	}
	for i, name := range []string{"m", "t", "p"} {
		val, ok := strings.CutPrefix(kv[i], name+"=")
		if !ok {
			return nil, errBadHash("wrong parameter list")
		}
		// ParseUint accepts only digits (no sign, no spaces); leading
		// zeros are refused so that each value has one spelling.
		if val == "" || (len(val) > 1 && val[0] == '0') {
			return nil, errBadHash("bad parameter value")
		}
		n, err := strconv.ParseUint(val, 10, 32)
		if err != nil {
			return nil, errBadHash("bad parameter value")
		}
		switch name {
		case "m":
			p.memory = uint32(n)
		case "t":
			p.time = uint32(n)
		case "p":
			if n > 255 {
				return nil, errBadHash("bad parameter value")
			}
			p.threads = uint8(n)
		}
	}
	if p.threads < 1 || p.time < 1 || p.time > maxArgonTime ||
		p.memory < 8*uint32(p.threads) || p.memory > maxArgonMemory {
		return nil, errBadHash("parameter out of range")
	}
	var err error
	if !isBase64Std(parts[4]) {
		return nil, errBadHash("bad salt encoding")
	}
	if p.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil {
		return nil, errBadHash("bad salt encoding")
	}
	if len(p.salt) < minArgonSaltLen || len(p.salt) > maxArgonSaltLen {
		return nil, errBadHash("bad salt length")
	}
	if !isBase64Std(parts[5]) {
		return nil, errBadHash("bad hash encoding")
	}
	if p.key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil {
		return nil, errBadHash("bad hash encoding")
	}
	if len(p.key) < minArgonKeyLen || len(p.key) > maxArgonKeyLen {
		return nil, errBadHash("bad hash length")
	}
	return &p, nil
}

// isBase64Std reports whether s has only characters of the standard
// base64 alphabet. The decoder alone is not enough: it skips CR and LF.
func isBase64Std(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// encodePHC is the inverse of parsePHC.
func encodePHC(p *argonParams) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		base64.RawStdEncoding.EncodeToString(p.salt), base64.RawStdEncoding.EncodeToString(p.key))
}

// acquire takes a hashing slot, or gives up when ctx ends first.
func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	began := time.Now()
	select {
	case h.sem <- struct{}{}:
		if h.cfg.OnWait != nil {
			h.cfg.OnWait(time.Since(began))
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }

// derive runs argon2id with p's parameters under the concurrency cap.
func (h *Hasher) derive(ctx context.Context, pw string, p *argonParams, keyLen int) ([]byte, error) {
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	defer h.release()
	key := argon2.IDKey([]byte(pw), p.salt, p.time, p.memory, p.threads, uint32(keyLen))
	if h.cfg.Reclaim {
		runtime.GC()
	}
	return key, nil
}

// Hash returns the argon2id PHC string of pw with a fresh 16-byte salt and
// the configured parameters. It waits for a free slot (MaxConcurrent) and
// returns ctx's error if ctx ends first.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := io.ReadFull(h.cfg.Rand, salt); err != nil {
		return "", fmt.Errorf("hash password: read salt: %w: %w", ErrRandom, err)
	}
	p := &argonParams{memory: h.cfg.Memory, time: h.cfg.Time, threads: h.cfg.Threads, salt: salt}
	key, err := h.derive(ctx, pw, p, argonKeyLen)
	if err != nil {
		return "", err
	}
	p.key = key
	return encodePHC(p), nil
}

// Verify reports whether pw matches the stored PHC string, using the
// parameters stored in it, so hashes made under an older configuration
// keep working (see NeedsRehash). A malformed phc is ErrHashInvalid,
// never a panic. An empty phc (no password set)
// is simply no match, after the same work as a real check, so that it
// cannot be told apart by timing.
func (h *Hasher) Verify(ctx context.Context, pw, phc string) (bool, error) {
	if phc == "" {
		if err := h.verifyDummy(ctx, pw); err != nil {
			return false, err
		}
		return false, nil
	}
	p, err := parsePHC(phc)
	if err != nil {
		return false, err
	}
	key, err := h.derive(ctx, pw, p, len(p.key))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

// NeedsRehash reports whether phc was made with less memory, fewer passes,
// a shorter salt or a shorter key than the configuration asks for now (or
// does not parse), so that a login that just verified the password should
// store a fresh hash. The lane count is not compared: it changes how the
// work is split, not how much an attacker must do.
func (h *Hasher) NeedsRehash(phc string) bool {
	p, err := parsePHC(phc)
	if err != nil {
		return true
	}
	return p.memory < h.cfg.Memory || p.time < h.cfg.Time ||
		len(p.salt) < argonSaltLen || len(p.key) < argonKeyLen
}

// dummyHash is the fixed hash VerifyDummy checks against, made once, in
// a slot like any other hash. Every wait (for the first caller making it,
// for a slot) ends with ctx: with all slots busy, a login for an unknown
// account must give up at its deadline like any other.
func (h *Hasher) dummyHash(ctx context.Context) (string, error) {
	select {
	case h.dummyLock <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-h.dummyLock }()
	if h.dummy != "" {
		return h.dummy, nil
	}
	// The salt is fixed, not random: the hash only has to cost the same
	// as a real one, and a fixed salt leaves no error to handle.
	p := &argonParams{memory: h.cfg.Memory, time: h.cfg.Time, threads: h.cfg.Threads,
		salt: []byte("resetgw-dummy-sa")}
	key, err := h.derive(ctx, "resetgw dummy password", p, argonKeyLen)
	if err != nil {
		return "", err // nothing kept: the next caller makes it
	}
	p.key = key
	h.dummy = encodePHC(p)
	return h.dummy, nil
}

// VerifyDummy spends the work of a real Verify against a fixed hash and
// throws the answer away. Login calls it for unknown accounts so that the
// time to answer does not tell whether the account exists.
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) {
	_ = h.verifyDummy(ctx, pw)
}

func (h *Hasher) verifyDummy(ctx context.Context, pw string) error {
	dummy, err := h.dummyHash(ctx)
	if err != nil {
		return err
	}
	p, err := parsePHC(dummy)
	if err != nil {
		return err // cannot happen: encodePHC made it from a valid config
	}
	key, err := h.derive(ctx, pw, p, len(p.key))
	if err != nil {
		return err
	}
	subtle.ConstantTimeCompare(key, p.key)
	return nil
}
