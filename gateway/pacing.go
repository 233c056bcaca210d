package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// LanePacer keeps the pace of lanes in the store, for instances that share
// one: each send takes the lane's next slot in a single atomic statement,
// so several instances together still send at most a lane's rate. Both
// stores implement it; the worker uses it when WorkerConfig.SharedPacing
// says the store is shared.
type LanePacer interface {
	// ReserveLaneSlot takes lane's next send slot when sends may go at most
	// one every `every`: the slot starts at the later of now and the end of
	// the lane's previous slot, and the one after it `every` later. The
	// caller sends no earlier than the start it returns.
	ReserveLaneSlot(ctx context.Context, lane string, now time.Time, every time.Duration) (time.Time, error)
}

// paceKey is the lane's name in the store: a digest, because a lane key
// may be a webhook URL, and URLs carry tokens.
func paceKey(lane string) string {
	sum := sha256.Sum256([]byte("resetgw lane\x00" + lane))
	return hex.EncodeToString(sum[:16])
}

// sharedDelay is how long the lane waits for its next slot in the shared
// store at rate r per second. ok is false when the store has no pacer or
// did not answer: the lane then paces in memory.
func (l *lane) sharedDelay(now time.Time, r float64) (time.Duration, bool) {
	w := l.w
	if !w.cfg.SharedPacing || r <= 0 {
		return 0, false
	}
	p, isPacer := w.s.store.(LanePacer)
	if !isPacer {
		return 0, false
	}
	every := time.Duration(float64(time.Second) / r)
	ctx, cancel := context.WithTimeout(w.stopCtx, 5*time.Second)
	defer cancel()
	at, err := p.ReserveLaneSlot(ctx, paceKey(l.key), now, every)
	if err != nil {
		if w.stopCtx.Err() == nil {
			w.s.log.Warn("reserving a lane slot in the store failed: pacing this instance alone", "lane", l.key, "err", err)
		}
		return 0, false
	}
	return max(at.Sub(now), 0), true
}

// ResetLocker takes a received request for resolving inside a
// transaction: it reports false when the request is no longer received or
// another instance holds it, and the hold lasts until the transaction ends.
// Both stores implement it.
type ResetLocker interface {
	LockReceived(ctx context.Context, id string) (bool, error)
}
