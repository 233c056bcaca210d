package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// ErrKeyGone: the body was sealed under a ring key that no longer exists
// (its instance dropped it or is gone). Nothing opens it any more.
var ErrKeyGone = errors.New("the outbox key that sealed this body is gone")

// ringVersion starts a data key wrapped by a ring key; master-wrapped data
// keys start with sealVersion.
const ringVersion = 0x52

// RingConfig builds a KeyRing.
type RingConfig struct {
	// Instance names this process's ring: random at each start, 1 to 64
	// bytes. It goes into every wrapped key and into the store, so that
	// the other instances know whose key a body needs.
	Instance string
	// Rotate is how long one epoch key seals new bodies (5 minutes).
	Rotate time.Duration
	// MaxAge is the longest a body can stay pending: an epoch key is
	// dropped this long after its epoch ended whatever Sweep is told.
	MaxAge time.Duration
	Clock  func() time.Time
}

// KeyRing seals outbox bodies under wrapping keys that live in this
// process's memory only: the store holds the data key wrapped by one of
// them and the name of the instance and epoch. Once an epoch key is
// dropped (or the process is gone), no copy of the row (heap, WAL,
// replica, backup), with or without the master key, opens the body. It is
// safe for concurrent use.
type KeyRing struct {
	inst          string
	rotate, limit time.Duration
	now           func() time.Time

	mu     sync.Mutex
	keys   map[uint64]*epochKey
	cur    uint64
	closed bool
}

type epochKey struct {
	aead cipher.AEAD
	end  time.Time // when it stops sealing new bodies
}

// NewKeyRing makes an empty ring; its first key is made at the first Seal.
func NewKeyRing(cfg RingConfig) (*KeyRing, error) {
	if n := len(cfg.Instance); n == 0 || n > 64 {
		return nil, errors.New("secret: a ring needs an instance name of 1 to 64 bytes")
	}
	if cfg.Rotate <= 0 {
		cfg.Rotate = 5 * time.Minute
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = time.Hour
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &KeyRing{inst: cfg.Instance, rotate: cfg.Rotate, limit: cfg.MaxAge, now: cfg.Clock,
		keys: map[uint64]*epochKey{}}, nil
}

// Instance is the ring's instance name.
func (r *KeyRing) Instance() string { return r.inst }

// Seal encrypts plain under a fresh data key and wraps that key under the
// current epoch key. epoch is the key's number, for the store.
func (r *KeyRing) Seal(plain, aad []byte) (wrappedKey, sealed []byte, epoch uint64, err error) {
	r.mu.Lock()
	k, epoch, err := r.currentLocked()
	r.mu.Unlock()
	if err != nil {
		return nil, nil, 0, err
	}
	head := r.header(epoch)
	wrapped, sealed, err := sealWithDataKey(k.aead, append(append([]byte{}, head...), aad...), plain, aad)
	if err != nil {
		return nil, nil, 0, err
	}
	return append(head, wrapped...), sealed, epoch, nil
}

// Open reverses Seal. A key wrapped by another instance, or by an epoch
// key this ring no longer has, is ErrKeyGone; damage is ErrSealedInvalid.
func (r *KeyRing) Open(wrappedKey, sealed, aad []byte) ([]byte, error) {
	inst, epoch, rest, ok := ParseRingKey(wrappedKey)
	if !ok {
		return nil, errSealed("not a ring key")
	}
	if inst != r.inst {
		return nil, ErrKeyGone
	}
	r.mu.Lock()
	k := r.keys[epoch]
	r.mu.Unlock()
	if k == nil {
		return nil, ErrKeyGone
	}
	head := wrappedKey[:len(wrappedKey)-len(rest)]
	return openWithDataKey(k.aead, append(append([]byte{}, head...), aad...), rest, sealed, aad)
}

// Has says whether the ring can open a body whose key Seal wrapped.
func (r *KeyRing) Has(wrappedKey []byte) bool {
	inst, epoch, _, ok := ParseRingKey(wrappedKey)
	if !ok || inst != r.inst {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys[epoch] != nil
}

// Sweep drops every epoch key whose epoch is over and that inUse says no
// pending body needs, and every key older than MaxAge past its epoch
// whatever inUse says. inUse nil means none is in use. It returns how
// many keys the ring still holds.
func (r *KeyRing) Sweep(inUse func(epoch uint64) bool) int {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for e, k := range r.keys {
		if now.Before(k.end) {
			continue
		}
		if !now.Before(k.end.Add(r.limit)) || inUse == nil || !inUse(e) {
			delete(r.keys, e)
		}
	}
	return len(r.keys)
}

// Close drops every key: nothing this ring sealed opens any more, and it
// seals nothing new.
func (r *KeyRing) Close() {
	r.mu.Lock()
	r.keys, r.closed = map[uint64]*epochKey{}, true
	r.mu.Unlock()
}

// currentLocked is the epoch key that seals now, made when the last one's
// epoch has ended.
func (r *KeyRing) currentLocked() (*epochKey, uint64, error) {
	if r.closed {
		return nil, 0, errors.New("secret: the outbox key ring is closed")
	}
	now := r.now()
	if k := r.keys[r.cur]; k != nil && now.Before(k.end) {
		return k, r.cur, nil
	}
	raw := make([]byte, 32)
	defer clear(raw)
	if _, err := io.ReadFull(rand.Reader, raw); err != nil {
		return nil, 0, fmt.Errorf("ring: read key: %w: %w", ErrRandom, err)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, 0, err
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		return nil, 0, err
	}
	r.cur++
	k := &epochKey{aead: g, end: now.Add(r.rotate)}
	r.keys[r.cur] = k
	return k, r.cur, nil
}

func (r *KeyRing) header(epoch uint64) []byte {
	h := make([]byte, 0, 2+len(r.inst)+8+WrappedKeyLen)
	h = append(h, ringVersion, byte(len(r.inst)))
	h = append(h, r.inst...)
	return binary.BigEndian.AppendUint64(h, epoch)
}

// ParseRingKey reads the instance and epoch a ring-wrapped key names; ok
// is false for anything else (a master-wrapped key, damage).
func ParseRingKey(b []byte) (instance string, epoch uint64, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != ringVersion {
		return "", 0, nil, false
	}
	n := int(b[1])
	if n == 0 || len(b) != 2+n+8+WrappedKeyLen {
		return "", 0, nil, false
	}
	return string(b[2 : 2+n]), binary.BigEndian.Uint64(b[2+n:]), b[2+n+8:], true
}

// IsRingKey says whether b is a data key wrapped by some instance's ring.
func IsRingKey(b []byte) bool {
	_, _, _, ok := ParseRingKey(b)
	return ok
}
