package gateway

import (
	"context"
	"time"

	"github.com/resetgw/resetgw/gateway/secret"
)

// Instances sharing a PostgreSQL store seal the outbox bodies that carry a
// secret under keys that live in their own memory (secret.KeyRing), never
// in the database: PostgreSQL keeps old row versions in its files, its WAL,
// replicas and backups, and a body there with a master-wrapped key beside
// it would open for anyone holding the master key. A row names the
// instance and epoch key that sealed it; the instance says it is alive in
// the store, and only it claims its rows while it is. Rows of an instance
// that died or shut down are taken over by the others (rekey.go).

// InstanceKeeper is a store shared by instances with key rings.
type InstanceKeeper interface {
	// BeatInstance says instance is alive until then.
	BeatInstance(ctx context.Context, instance string, until time.Time) error
	// LeaveInstance says instance is gone: its rows are the others' now.
	// at, when its rows become due for the others.
	LeaveInstance(ctx context.Context, instance string, at time.Time) error
	// SealedEpochs are the epochs of instance's ring that pending bodies,
	// and the bodies sent texts keep for a late failover, were sealed
	// under.
	SealedEpochs(ctx context.Context, instance string) ([]uint64, error)
}

// errKeyGone: the body's key was in another instance's memory, or in an
// epoch this one dropped.
var errKeyGone = Errorf(KindInternal, "outbox_key_gone", "the key that sealed this message is gone with its instance")

func (s *Service) ringSeal(d *Delivery) error {
	key, sealed, epoch, err := s.ring.Seal(d.Body, deliveryAAD(d))
	if err != nil {
		return secretError(err)
	}
	d.Body, d.BodyKey, d.SealedBy, d.SealedEpoch = sealed, key, s.ring.Instance(), epoch
	return nil
}

func (s *Service) ringOpen(d *Delivery) ([]byte, error) {
	if s.ring == nil {
		return nil, secret.ErrKeyGone
	}
	return s.ring.Open(d.BodyKey, d.Body, deliveryAAD(d))
}

// keyGone says this instance cannot open d's body, and nobody can: it
// was sealed under a ring key that is not in this process (another
// instance's, which the claim let through because that instance is gone,
// or one of ours already dropped).
func (s *Service) keyGone(d *Delivery) bool {
	if d.Body == nil || !secret.IsRingKey(d.BodyKey) {
		return false
	}
	return s.ring == nil || !s.ring.Has(d.BodyKey)
}

// keepAlive renews this instance's liveness in the store and drops the
// ring keys no pending body needs, at most every quarter lease. Alive
// lasts one lease: an instance killed at any instant lets the others take
// its rows over when its claims' leases run out too.
func (w *Worker) keepAlive(ctx context.Context) {
	ik, ok := w.s.store.(InstanceKeeper)
	if w.s.ring == nil || !ok {
		return
	}
	now := w.s.clock()
	if last := w.lastBeat.Load(); last != 0 && now.Sub(time.Unix(0, last)) < w.cfg.Lease/4 {
		return
	}
	w.lastBeat.Store(now.UnixNano())
	inst := w.s.ring.Instance()
	if err := ik.BeatInstance(ctx, inst, now.Add(w.cfg.Lease)); err != nil {
		w.s.log.Warn("renewing this instance's liveness failed", "err", err)
		return
	}
	epochs, err := ik.SealedEpochs(ctx, inst)
	if err != nil {
		w.s.log.Warn("reading the outbox keys in use failed", "err", err)
		return
	}
	inUse := map[uint64]bool{}
	for _, e := range epochs {
		inUse[e] = true
	}
	w.s.ring.Sweep(func(e uint64) bool { return inUse[e] })
}

// leave tells the store this instance is gone and forgets its keys: what
// it had pending is the other instances' to take over, as after a crash.
func (w *Worker) leave() {
	ik, ok := w.s.store.(InstanceKeeper)
	if w.s.ring == nil || !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ik.LeaveInstance(ctx, w.s.ring.Instance(), w.s.clock()); err != nil {
		w.s.log.Warn("leaving the instances failed", "err", err)
	}
	w.s.ring.Close()
}
