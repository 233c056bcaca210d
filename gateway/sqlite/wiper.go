package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the wiper's batching.
const (
	defaultCheckpointEvery = time.Second
	// A checkpoint holds the writer while it copies and syncs, and one
	// every 64 wipes cost the delivery benchmark more writer time than
	// recording the outcomes did: past the per-second pace only a burst
	// this large (a WAL of tens of megabytes) goes sooner.
	defaultCheckpointAfter = 4096
	// checkpointTimeout bounds one checkpoint: a reader holding an old
	// snapshot makes TRUNCATE wait, and the next batch tries again.
	checkpointTimeout = 5 * time.Second
)

// wiper checkpoints the WAL after outbox bodies were wiped. secure_delete
// zeroes a wiped body in its page, but every earlier version of that page
// (the insert, each lease update) is still a frame in the -wal file until
// a checkpoint copies the newest versions home and TRUNCATE empties the
// file. That costs a moment of the writer, so it is done per batch, off
// the request path: at most once per `every`, sooner once `after` wipes
// are waiting. A passive checkpoint on a reader connection first copies
// most frames while writes go on, so the part that holds the writer is
// short.
type wiper struct {
	db      *sql.DB // the writer: TRUNCATE then never waits on our own writes
	rdb     *sql.DB // a reader: the passive copy waits on nobody
	every   time.Duration
	after   int64
	pending atomic.Int64
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once

	checkpoints atomic.Int64
	mu          sync.Mutex
	lastErr     error
}

func newWiper(db, rdb *sql.DB, every time.Duration, after int) *wiper {
	if every <= 0 {
		every = defaultCheckpointEvery
	}
	if after <= 0 {
		after = defaultCheckpointAfter
	}
	w := &wiper{db: db, rdb: rdb, every: every, after: int64(after),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

// wiped counts one wipe and wakes the loop; it never blocks.
func (w *wiper) wiped() {
	w.pending.Add(1)
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *wiper) run() {
	defer close(w.done)
	for {
		select {
		case <-w.stop:
			return
		case <-w.kick:
		}
		timer := time.NewTimer(w.every)
	batch:
		for w.pending.Load() < w.after {
			select {
			case <-w.stop:
				timer.Stop()
				return
			case <-timer.C:
				break batch
			case <-w.kick:
			}
		}
		timer.Stop()
		w.pending.Store(0)
		ctx, cancel := context.WithTimeout(context.Background(), checkpointTimeout)
		// Best effort: whatever it leaves, TRUNCATE does.
		var busy, logFrames, moved int
		_ = w.rdb.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &moved)
		w.record(checkpoint(ctx, w.db))
		cancel()
	}
}

func (w *wiper) record(err error) {
	w.mu.Lock()
	w.lastErr = err
	w.mu.Unlock()
	if err == nil {
		w.checkpoints.Add(1)
	}
}

// close stops the loop and, when wipes are still waiting, checkpoints
// them before the database closes.
func (w *wiper) close() {
	w.once.Do(func() {
		close(w.stop)
		<-w.done
		if w.pending.Swap(0) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), checkpointTimeout)
			w.record(checkpoint(ctx, w.db))
			cancel()
		}
	})
}

// checkpoint copies the WAL into the database and truncates it to zero
// bytes. SQLite answers busy (a reader still on an old snapshot) in the
// result row, not as an error.
func checkpoint(ctx context.Context, db *sql.DB) error {
	var busy, logFrames, moved int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &moved); err != nil {
		return fmt.Errorf("sqlite: checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("sqlite: checkpoint: busy, %d of %d frames moved", moved, logFrames)
	}
	return nil
}

// Checkpoint moves the WAL into the database file and truncates it now,
// for a backup or a test that reads the files; the wiper does the same
// on its own after wipes.
func (s *Store) Checkpoint(ctx context.Context) error {
	err := checkpoint(ctx, s.db)
	s.wipe.record(err)
	return err
}

// Checkpoints is how many checkpoints succeeded since Open, and the error
// of the latest one, if it failed.
func (s *Store) Checkpoints() (int64, error) {
	s.wipe.mu.Lock()
	defer s.wipe.mu.Unlock()
	return s.wipe.checkpoints.Load(), s.wipe.lastErr
}

func (s *Store) wiped() { s.wipe.wiped() }
