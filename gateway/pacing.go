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
//
// A fast lane takes a block of slots (about 100 ms of them) in one
// reservation and sends at each slot's time, so a sender at hundreds a
// second costs the store a few statements a second, not one per message.
// A slot already past is dropped, never used late: a send at a time that
// is not its slot's could come closer than the pace to another instance's.
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
	b := &l.slots // only the lane's run goroutine calls this
	if b.every != every {
		*b = slotBlock{every: every}
	}
	for b.left > 0 && b.next.Before(now) {
		b.next, b.left = b.next.Add(every), b.left-1
	}
	if b.left == 0 {
		n := min(max(int(r/10), 1), maxSlotBlock)
		ctx, cancel := context.WithTimeout(w.stopCtx, 5*time.Second)
		at, err := p.ReserveLaneSlot(ctx, paceKey(l.key), now, time.Duration(n)*every)
		cancel()
		if err != nil {
			if w.stopCtx.Err() == nil {
				w.s.log.Warn("reserving a lane slot in the store failed: pacing this instance alone", "lane", l.key, "err", err)
			}
			return 0, false
		}
		b.next, b.left = at, n
	}
	at := b.next
	b.next, b.left = b.next.Add(every), b.left-1
	return max(at.Sub(now), 0), true
}

// maxSlotBlock bounds the slots one reservation takes.
const maxSlotBlock = 64

// slotBlock is the lane's reserved slots not yet used: left of them, one
// every `every` from next.
type slotBlock struct {
	next  time.Time
	left  int
	every time.Duration
}

// ResetLocker takes a received request for resolving inside a
// transaction: it reports false when the request is no longer received or
// another instance holds it, and the hold lasts until the transaction ends.
// Both stores implement it.
type ResetLocker interface {
	LockReceived(ctx context.Context, id string) (bool, error)
	// LockReset holds request id against other writers until the
	// transaction ends, waiting for one that holds it: outcomes of one
	// request's deliveries recorded at once (by two instances) then see
	// each other, and the last one settles the request. A missing request
	// is no error.
	LockReset(ctx context.Context, id string) error
}

// ManyWriters is what a store says about its writers. SQLite has one: the
// engine's transactions take turns at it and each stops at a time budget,
// so that a request being accepted waits behind one short transaction.
// PostgreSQL's transactions write side by side, each waiting only for the
// rows it touches: taking turns there only puts the step and the committer
// (and every round trip of theirs) in one line. Both stores implement it.
type ManyWriters interface {
	ManyWriters() bool
}

func manyWriters(st Store) bool {
	m, ok := st.(ManyWriters)
	return ok && m.ManyWriters()
}

// lockTurn and unlockTurn take and give back the engine's turn at a store
// with one writer; with many they do nothing.
func (w *Worker) lockTurn() {
	if !w.many {
		w.turn.Lock()
		w.s.waitAccepts(acceptFirstWait)
	}
}

func (w *Worker) unlockTurn() {
	if !w.many {
		w.turn.Unlock()
	}
}

// budget is how long one engine transaction may work: txBudget at a store
// with one writer, no bound (0) with many.
func (w *Worker) budget() time.Duration {
	if w.many {
		return 0
	}
	return txBudget
}
