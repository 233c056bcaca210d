package postgres

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Instances sharing a database tell each other about work with NOTIFY, so
// a worker wakes at once for what another instance left (a request it
// accepted, a retry it scheduled, a lease that runs out if it dies)
// instead of at its next poll. A write that makes work notes when the
// work is due; the transaction sends one notification with those times
// at its commit (PostgreSQL delivers it only if the transaction commits),
// and an instance's listener kicks its worker at each of them. The
// worker's poll stays as the fallback: a notification lost while a
// listener reconnects only costs a poll's wait.

// wakeGrid rounds due times up, so that a burst of work due at nearly the
// same moment is one wake, and a notification carries few times.
const wakeGrid = 250 * time.Millisecond

// maxWakeTimes bounds the times one notification carries, and maxWakes
// the future wakes a listener keeps (past them the poll finds the work).
const (
	maxWakeTimes = 8
	maxWakes     = 4096
)

// workChannel is the notification channel of the store's schema: test
// schemas on one database (and operators who keep several gateways in
// one database) do not wake each other.
func workChannel(schema string) string {
	sum := sha256.Sum256([]byte(schema))
	return "resetgw_work_" + hex.EncodeToString(sum[:8])
}

// noteWork says work becomes due at due: in a transaction it goes with the
// commit's notification; outside one it is sent now.
func (s *Store) noteWork(ctx context.Context, due time.Time) error {
	if s.channel == "" {
		return nil
	}
	at := roundWake(due)
	if s.tx != nil {
		s.tx.wakes = addWake(s.tx.wakes, at)
		return nil
	}
	_, err := s.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, s.channel, s.wakePayload([]int64{at}))
	return wrap(err)
}

// queueWakes queues the transaction's notification, if it made work.
func (s *Store) queueWakes() {
	t := s.tx
	if t == nil || len(t.wakes) == 0 || s.channel == "" {
		return
	}
	t.pending = append(t.pending, queued{query: `SELECT pg_notify($1, $2)`,
		args: []any{s.channel, s.wakePayload(t.wakes)}, done: execDone(false)})
	t.wakes = nil
}

func roundWake(due time.Time) int64 {
	n := due.UnixNano()
	g := int64(wakeGrid)
	return (n + g - 1) / g * g
}

// addWake keeps the distinct times, at most maxWakeTimes of the earliest.
func addWake(ws []int64, at int64) []int64 {
	for i, w := range ws {
		if w == at {
			return ws
		}
		if at < w {
			ws = slices.Insert(ws, i, at)
			return ws[:min(len(ws), maxWakeTimes)]
		}
	}
	if len(ws) < maxWakeTimes {
		ws = append(ws, at)
	}
	return ws
}

// wakePayload is "instance t1 t2 …" (Unix nanoseconds).
func (s *Store) wakePayload(ws []int64) string {
	var b strings.Builder
	b.WriteString(s.instance)
	for _, w := range ws {
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(w, 10))
	}
	return b.String()
}

// Listen wakes the worker through kick when another instance notes work:
// at once for work due now, at its time for work due later. It holds one
// connection of its own, reconnects with backoff when that breaks (and
// kicks once after, for what it may have missed), and returns when ctx
// ends. log gets the reconnections.
func (s *Store) Listen(ctx context.Context, kick func(), log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wq := newWakeQueue(kick)
	defer wq.stop()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, wq, func() { backoff = 100 * time.Millisecond })
		if ctx.Err() != nil {
			return
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		log.Warn("listening for other instances' work failed; the poll covers until it is back",
			"err", safeErr(err), "retry_in", wait.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// listenOnce connects, listens and hands notifications to wq until the
// connection fails or ctx ends; connected is called once it listens.
func (s *Store) listenOnce(ctx context.Context, wq *wakeQueue, connected func()) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.Connect(cctx, s.url)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+s.channel); err != nil {
		return err
	}
	connected()
	// Work noted while no one listened: look now.
	wq.kick()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		inst, times, _ := strings.Cut(n.Payload, " ")
		if inst == s.instance {
			continue // our own worker knows
		}
		now := time.Now().UnixNano()
		for _, f := range strings.Fields(times) {
			at, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				continue
			}
			if at <= now {
				wq.kick()
			} else {
				wq.at(at)
			}
		}
	}
}

// wakeQueue kicks at each future time it was given, earliest first.
type wakeQueue struct {
	mu      sync.Mutex
	kick    func()
	times   int64Heap
	seen    map[int64]bool
	timer   *time.Timer
	armedAt int64
	stopped bool
}

func newWakeQueue(kick func()) *wakeQueue {
	return &wakeQueue{kick: kick, seen: map[int64]bool{}}
}

func (q *wakeQueue) at(at int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped || q.seen[at] || len(q.times) >= maxWakes {
		return
	}
	q.seen[at] = true
	heap.Push(&q.times, at)
	q.arm()
}

// arm sets the timer for the earliest time (q.mu held).
func (q *wakeQueue) arm() {
	if len(q.times) == 0 {
		return
	}
	next := q.times[0]
	if q.timer != nil && q.armedAt == next {
		return
	}
	if q.timer != nil {
		q.timer.Stop()
	}
	q.armedAt = next
	q.timer = time.AfterFunc(time.Until(time.Unix(0, next)), q.fire)
}

func (q *wakeQueue) fire() {
	q.mu.Lock()
	now := time.Now().UnixNano()
	due := false
	for len(q.times) > 0 && q.times[0] <= now {
		delete(q.seen, heap.Pop(&q.times).(int64))
		due = true
	}
	q.timer, q.armedAt = nil, 0
	stopped := q.stopped
	if !stopped {
		q.arm()
	}
	q.mu.Unlock()
	if due && !stopped {
		q.kick()
	}
}

func (q *wakeQueue) stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = true
	if q.timer != nil {
		q.timer.Stop()
	}
}

type int64Heap []int64

func (h int64Heap) Len() int           { return len(h) }
func (h int64Heap) Less(i, j int) bool { return h[i] < h[j] }
func (h int64Heap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *int64Heap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *int64Heap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
