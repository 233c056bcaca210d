package gateway

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// bulkChunk is how many people of a job go to the worker at a time: the
// next chunk only once the last is resolved, so that a request someone is
// waiting for never queues behind thousands of bulk ones.
const bulkChunk = 256

// bulkFeed is the service's view of running jobs. gen counts jobs
// started here; idleAt is gen+1 when the store last had none (0: not
// known, as after a restart), so an idle gateway does not look for jobs
// at every pass; it still looks every few seconds, for jobs another
// process started (the command line, another instance).
type bulkFeed struct {
	gen, idleAt atomic.Int64
	mu          sync.Mutex
	lastLook    time.Time
	// counted is when each job's progress was last read to see whether
	// it is done.
	counted map[string]time.Time
}

// feedBulk moves running jobs on: the next chunk of a reset job becomes
// reset requests (the worker resolves them next), and a job another
// action interrupted (a restart) is applied to the end. The worker calls
// it at each pass, so a job goes on after a restart by itself.
func (s *Service) feedBulk(ctx context.Context) error {
	g, now := s.bulk.gen.Load(), s.clock()
	s.bulk.mu.Lock()
	defer s.bulk.mu.Unlock()
	if s.bulk.idleAt.Load() == g+1 && now.Sub(s.bulk.lastLook) < 5*time.Second {
		return nil
	}
	s.bulk.lastLook = now
	jobs, err := s.store.ListBulkJobs(ctx, 0, BulkRunning, 100)
	if err != nil {
		return err
	}
	if len(jobs) == 0 {
		s.bulk.idleAt.Store(g + 1)
		return nil
	}
	// Oldest first: jobs go in the order they were started.
	for i := len(jobs) - 1; i >= 0; i-- {
		j := jobs[i]
		if j.Action != BulkReset {
			if err := s.applyBulk(ctx, j); err != nil {
				return err
			}
			continue
		}
		n, err := s.store.ReceivedBulkResets(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return nil // the last chunk is still being resolved
		}
		items, err := s.store.BulkItems(ctx, j.ID, ItemWaiting, bulkChunk)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			if err := s.finishBulk(ctx, j, now); err != nil {
				return err
			}
			continue
		}
		if err := s.queueBulk(ctx, j, items); err != nil {
			return err
		}
		return nil // one chunk a pass
	}
	return nil
}

// finishBulk marks a job whose people were all reached done once its last
// messages have left, reading its progress every few seconds at most.
func (s *Service) finishBulk(ctx context.Context, j *BulkJob, now time.Time) error {
	if s.bulk.counted == nil {
		s.bulk.counted = map[string]time.Time{}
	}
	if now.Sub(s.bulk.counted[j.ID]) < 2*time.Second {
		return nil
	}
	s.bulk.counted[j.ID] = now
	c, err := s.store.BulkCounts(ctx, j.ID)
	if err != nil || !bulkFinished(c) {
		return err
	}
	delete(s.bulk.counted, j.ID)
	_, err = s.store.SetBulkJobState(ctx, j.ID, BulkRunning, BulkDone, now)
	return err
}

func jobActor(j *BulkJob) Actor { return Actor{Kind: ActorAdmin, ID: j.ActorID} }

// queueBulk makes a reset request for each item, in one transaction: an
// item moves to queued with its request or not at all, so a restart (or
// another instance) never starts the same person twice.
func (s *Service) queueBulk(ctx context.Context, j *BulkJob, items []BulkItem) error {
	err := s.store.WithTx(ctx, func(st Store) error {
		t, err := st.TenantByID(ctx, j.TenantID)
		if err != nil {
			return err
		}
		now := s.clock()
		for _, it := range items {
			p, err := st.Person(ctx, j.TenantID, it.PersonID)
			if IsNotFound(err) {
				it.State = ItemSkipped
				if _, err := st.MoveBulkItem(ctx, it, ItemWaiting); err != nil {
					return err
				}
				continue
			} else if err != nil {
				return err
			}
			id, err := s.newID("rr_")
			if err != nil {
				return err
			}
			it.State, it.RequestID = ItemQueued, id
			if moved, err := st.MoveBulkItem(ctx, it, ItemWaiting); err != nil {
				return err
			} else if !moved {
				continue // someone else started (or cancelled) this person
			}
			r := &ResetRequest{ID: id, TenantSlug: t.Slug, Email: p.Email, Source: SourceBulk,
				State: StateReceived, CreatedAt: now, UpdatedAt: now}
			for _, ph := range p.Phones {
				if ph.Type == PhoneSMS {
					r.Phone = ph.Number
					break
				}
			}
			if err := st.CreateReset(ctx, r); err != nil {
				return err
			}
			if err := s.adminEvent(ctx, st, jobActor(j), Event{TenantID: j.TenantID, Type: EventBulkPerson,
				PersonID: p.ID, RequestID: id, Code: string(j.Action), Detail: "job " + j.ID}); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.kick()
	}
	return err
}

// applyBulk makes an action other than reset on every waiting item, a
// chunk per transaction, then marks the job done. Interrupted, it goes on
// where it stopped: an item is done or waiting, never half.
func (s *Service) applyBulk(ctx context.Context, j *BulkJob) error {
	for range MaxBulkJob/bulkChunk + 2 {
		items, err := s.store.BulkItems(ctx, j.ID, ItemWaiting, bulkChunk)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			_, err := s.store.SetBulkJobState(ctx, j.ID, BulkRunning, BulkDone, s.clock())
			return err
		}
		err = s.store.WithTx(ctx, func(st Store) error {
			for _, it := range items {
				if err := s.applyItem(ctx, st, j, it); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) applyItem(ctx context.Context, st Store, j *BulkJob, it BulkItem) error {
	p, err := st.Person(ctx, j.TenantID, it.PersonID)
	if err != nil && !IsNotFound(err) {
		return err
	}
	it.State = ItemSkipped
	if err == nil && j.Action.changes(BulkTarget{Status: p.Status, MobileAccess: p.MobileAccess}) {
		it.State = ItemDone
	}
	if moved, err := st.MoveBulkItem(ctx, it, ItemWaiting); err != nil || !moved || it.State != ItemDone {
		return err
	}
	before := *p
	switch j.Action {
	case BulkActivate:
		p.Status = StatusActive
	case BulkDeactivate:
		p.Status = StatusInactive
	case BulkMobileOn:
		p.MobileAccess = true
	case BulkMobileOff:
		p.MobileAccess = false
	}
	// Deactivation and mobile access off end a reset in flight at once,
	// as a change to one record does.
	if reason := endReason(p, &before); reason != "" {
		if err := s.endPending(ctx, st, p, reason); err != nil {
			return err
		}
	}
	p.UpdatedAt = s.clock()
	if err := st.UpdatePerson(ctx, p); err != nil {
		return err
	}
	return s.adminEvent(ctx, st, jobActor(j), Event{TenantID: j.TenantID, Type: EventBulkPerson, PersonID: p.ID,
		Code: string(j.Action), Detail: "job " + j.ID})
}

// CancelBulk stops a running job: people not reached yet are not, and
// resets whose messages are all still in the outbox end with their
// messages cancelled (the password or link never works). A person a
// message already went to keeps it. Cancelling a finished job changes
// nothing.
func (s *Service) CancelBulk(ctx context.Context, a Actor, id string) (*BulkStatus, error) {
	j, err := s.scopedJob(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if j.State == BulkRunning {
		s.bulk.mu.Lock()
		err = s.store.WithTx(ctx, func(st Store) error { return s.cancelIn(ctx, st, a, j) })
		s.bulk.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	return s.BulkJob(ctx, a, id)
}

func (s *Service) cancelIn(ctx context.Context, st Store, a Actor, j *BulkJob) error {
	now := s.clock()
	if ok, err := st.SetBulkJobState(ctx, j.ID, BulkRunning, BulkCancelled, now); err != nil || !ok {
		return err
	}
	stopped := 0
	for range MaxBulkJob/bulkChunk + 2 {
		items, err := st.BulkItems(ctx, j.ID, ItemWaiting, 1000)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			break
		}
		for _, it := range items {
			it.State = ItemCancelled
			if _, err := st.MoveBulkItem(ctx, it, ItemWaiting); err != nil {
				return err
			}
			stopped++
		}
	}
	queued, err := st.BulkItems(ctx, j.ID, ItemQueued, MaxBulkJob)
	if err != nil {
		return err
	}
	for _, it := range queued {
		ended, err := s.cancelBulkReset(ctx, st, it.RequestID, now)
		if err != nil {
			return err
		}
		if ended {
			it.State = ItemCancelled
			if _, err := st.MoveBulkItem(ctx, it, ItemQueued); err != nil {
				return err
			}
			stopped++
		}
	}
	return s.adminEvent(ctx, st, a, Event{TenantID: j.TenantID, Type: EventBulkCancelled, Code: string(j.Action),
		Detail: "job " + j.ID + ": " + strconv.Itoa(stopped) + " not yet reached stopped"})
}

// cancelBulkReset ends a job's reset if nothing of it has gone out yet.
func (s *Service) cancelBulkReset(ctx context.Context, st Store, id string, now time.Time) (bool, error) {
	r, err := st.Reset(ctx, id)
	if IsNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	switch r.State {
	case StateReceived:
		r.State, r.Reason, r.UpdatedAt = StateCancelled, ReasonBulkCancelled, now
		if err := st.UpdateReset(ctx, r); err != nil {
			return false, err
		}
		return true, nil
	case StateDelivering:
	default:
		return false, nil
	}
	for _, d := range r.Deliveries {
		if d.Status != DeliveryPending {
			return false, nil // something went, or failed: not "not yet sent"
		}
	}
	p, err := st.Person(ctx, r.TenantID, r.PersonID)
	if err != nil && !IsNotFound(err) {
		return false, err
	}
	if err == nil && p.PendingRequest == r.ID {
		if err := s.endPending(ctx, st, p, ReasonBulkCancelled); err != nil {
			return false, err
		}
		p.UpdatedAt = now
		return true, st.SavePersonAuth(ctx, p)
	}
	for _, d := range r.Deliveries {
		d.Status, d.Body, d.BodyKey, d.UpdatedAt, d.ErrorCode = DeliveryCanceled, nil, nil, now, ReasonBulkCancelled
		if err := st.UpdateDelivery(ctx, d); err != nil {
			return false, err
		}
	}
	r.State, r.Reason, r.TempHash, r.ExpiresAt, r.UpdatedAt = StateCancelled, ReasonBulkCancelled, nil, now, now
	return true, st.UpdateReset(ctx, r)
}
