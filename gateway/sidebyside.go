package gateway

import (
	"cmp"
	"context"
	"errors"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
)

// On a store with many writers (PostgreSQL) the engine's transactions run
// side by side: each waits for the server, not for the others, and the
// server works on several at once. With one writer (SQLite) they would
// only queue for it, so there the engine keeps one transaction at a time.

// sideBySide is how many resolve transactions, and how many outcome
// transactions, run at once on a store with many writers.
const sideBySide = 4

// takeSlot waits for a free outcome writer on a store with many writers.
func (c *committer) takeSlot() {
	if c.w.many {
		c.slots <- struct{}{}
	}
}

func (c *committer) giveSlot() {
	if c.w.many {
		<-c.slots
	}
}

// writeBeside records a group in a transaction of its own beside the
// others, and gives its slot back when done. The group's requests are
// locked in id order, as every other group's are, so two groups never
// wait for each other in a circle. (With many writers there is no budget:
// write leaves nothing over.)
func (c *committer) writeBeside(group []*outcome, events []Event) {
	slices.SortStableFunc(group, func(a, b *outcome) int { return strings.Compare(a.c.d.RequestID, b.c.d.RequestID) })
	c.side.Add(1)
	go func() {
		defer c.side.Done()
		defer c.giveSlot()
		c.write(group, events)
		for _, o := range group {
			c.w.release(o.c)
		}
	}()
}

// resolveBeside resolves received requests in up to sideBySide
// transactions at once. Requests naming the same email or number go in
// one transaction, one after another, as in a single transaction.
func (w *Worker) resolveBeside(ctx context.Context, received []*ResetRequest) error {
	var parts [sideBySide][]string
	for _, r := range received {
		i := sidePart(r)
		parts[i] = append(parts[i], r.ID)
	}
	var wg sync.WaitGroup
	var errs [sideBySide]error
	for i, ids := range parts {
		if len(ids) > 0 {
			wg.Go(func() { errs[i] = w.resolvePart(ctx, ids) })
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// sidePart is the transaction a received request is resolved in. FNV-1a's
// sum is mixed before it is cut down: its low bits depend only on the low
// bits of each byte, and its last bytes barely reach its high bits, so
// requests whose address and number share digits ("crew12@…", "…0112"), or
// whose numbers differ only at the end, all landed in one transaction.
// (The mix is the 64-bit finaliser of MurmurHash3.)
func sidePart(r *ResetRequest) int {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(r.Email) + "\x00" + r.Phone))
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return int(x % sideBySide)
}

// ReceivedTaker splits received requests between instances that share a
// store. Listing them is not taking them: with a plain list, every
// instance read the same oldest requests, one took each and the others
// skipped it, so a second instance resolved no more than the first alone.
// Both stores implement it.
type ReceivedTaker interface {
	// FreeReceived lists up to limit received requests, oldest first,
	// leaving out those another transaction holds (another instance is
	// resolving them).
	FreeReceived(ctx context.Context, limit int) ([]*ResetRequest, error)
	// LockReceivedAll takes, for the transaction, those of ids that are
	// still received and that no other transaction holds, and returns
	// them in the order given. Each is then held as LockReceived holds
	// one (LockReceived answers true for it at no cost).
	LockReceivedAll(ctx context.Context, ids []string) ([]string, error)
}

// receivedToResolve is the step's list of received requests: on a store
// with many writers, those no other instance is resolving now.
func (w *Worker) receivedToResolve(ctx context.Context) ([]*ResetRequest, error) {
	if rt, ok := w.s.store.(ReceivedTaker); ok && w.many {
		return rt.FreeReceived(ctx, w.cfg.Batch)
	}
	return w.s.store.ResetsInState(ctx, StateReceived, w.cfg.Batch)
}

// resolvePart resolves one side-by-side part in one transaction that
// first takes all of its requests at once (one statement instead of one
// per request); if the transaction fails, each request alone.
func (w *Worker) resolvePart(ctx context.Context, ids []string) error {
	if _, ok := w.s.store.(ReceivedTaker); !ok {
		return w.s.resolveAll(ctx, ids)
	}
	err := w.s.store.WithTx(ctx, func(st Store) error {
		rt, ok := st.(ReceivedTaker)
		if !ok {
			return Internal(errors.New("gateway: a transaction of a ReceivedTaker store is not one"))
		}
		mine, err := rt.LockReceivedAll(ctx, ids)
		if err != nil {
			return err
		}
		for _, id := range mine {
			if err := w.s.resolveIn(ctx, st, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(ids) == 1 {
		return err
	}
	var first error
	for _, id := range ids {
		if err := w.s.resolve(ctx, id); err != nil {
			w.s.log.Error("resolving reset failed", "request_id", id, "err", err)
			first = cmp.Or(first, err)
		}
	}
	return first
}
