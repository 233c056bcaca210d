package gateway_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/carriers/smtp"
	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
	"github.com/resetgw/resetgw/gateway"
)

// stallingSender is the real SMTP sender whose sends all stop before the
// relay hears of them, until released: the lane's connections are busy,
// and what the worker claims waits in the lane's queue.
type stallingSender struct {
	*smtp.Sender
	mu      sync.Mutex
	started int
	release chan struct{}
}

func (s *stallingSender) Send(ctx context.Context, m *gateway.Message) (string, error) {
	s.mu.Lock()
	s.started++
	s.mu.Unlock()
	<-s.release
	return s.Sender.Send(ctx, m)
}

func (s *stallingSender) n() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// backlogEnv is a mail lane with a backlog: n resets by email on engine
// A, whose four connections stall, so n-4 mails wait in the lane and
// some of them are marked ahead. Engine B, on the same store and relay,
// takes over afterwards.
type backlogEnv struct {
	*env
	relay *smtptest.Server
	a     *stallingSender
	b     *gateway.Worker
	ids   []string
	aDone chan struct{}
}

const backlogMails = 60

func newBacklogEnv(t *testing.T) *backlogEnv {
	var cfg gateway.Config
	e := newEnv(t, false, func(c *gateway.Config) { cfg = *c })
	relay := smtptest.Start(t, smtptest.Options{})
	sender := func() *smtp.Sender {
		s := smtp.New(smtp.Config{Default: gateway.SMTPProfile{URL: relay.URL(), From: "reset@acme.example"},
			Timeout: 5 * time.Second, Clock: e.clock})
		t.Cleanup(func() { s.Close() })
		return s
	}
	be := &backlogEnv{env: e, relay: relay, a: &stallingSender{Sender: sender(), release: make(chan struct{})},
		aDone: make(chan struct{})}
	e.worker = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteEmail: be.a}, BackoffBase: time.Second, RetryFor: 10 * time.Minute})
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	svcB, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	be.b = gateway.NewWorker(gateway.WorkerConfig{Service: svcB, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteEmail: sender()}, BackoffBase: time.Second, RetryFor: 10 * time.Minute})
	t.Cleanup(func() {
		select {
		case <-be.a.release:
		default:
			close(be.a.release)
		}
		<-be.aDone
	})
	for i := range backlogMails {
		email := fmt.Sprintf("crew%d@acme.example", i)
		e.person(email, "", "")
		id, err := e.svc.RequestReset(e.ctx, gateway.ResetInput{Email: email, IP: fmt.Sprintf("192.0.2.%d", 1+i)})
		if err != nil {
			t.Fatal(err)
		}
		be.ids = append(be.ids, id)
	}
	return be
}

// stall runs engine A until its four connections are stalled and the
// marks asked for ahead are written.
func (be *backlogEnv) stall() {
	be.t.Helper()
	go func() {
		defer close(be.aDone)
		be.worker.Pass(be.ctx)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for be.a.n() < smtp.DefaultConnections || be.markedAhead() < gateway.PremarkPerConn*smtp.DefaultConnections {
		if time.Now().After(deadline) {
			be.t.Fatalf("engine A: %d sends stalled, %d mails marked", be.a.n(), be.markedAhead())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// markedAhead is how many of the mails carry a hand-over mark.
func (be *backlogEnv) markedAhead() int {
	be.t.Helper()
	var ids []int64
	for _, id := range be.ids {
		for _, d := range be.request(id).Deliveries {
			ids = append(ids, d.ID)
		}
	}
	got, err := be.store.HandedOver(be.ctx, ids)
	if err != nil {
		be.t.Fatal(err)
	}
	return len(got)
}

// outcome counts the mails at the relay (and their distinct Message-IDs)
// and the deliveries by how they ended.
func (be *backlogEnv) outcome() (mails, msgIDs, sent, lost, other int) {
	be.t.Helper()
	seen := map[string]bool{}
	for _, m := range be.relay.Messages() {
		seen[m.Header.Get("Message-Id")] = true
		mails++
	}
	for _, id := range be.ids {
		r := be.request(id)
		for _, d := range r.Deliveries {
			switch {
			case d.Status == gateway.DeliverySent:
				sent++
			case d.Status == gateway.DeliveryFailed && d.ErrorCode == gateway.CodeAnswerLost:
				lost++
			default:
				other++
			}
		}
	}
	return mails, len(seen), sent, lost, other
}

func (be *backlogEnv) takeOver() {
	be.t.Helper()
	for range 3 {
		for range 50 {
			busy, err := be.b.Pass(be.ctx)
			if err != nil {
				be.t.Fatal(err)
			}
			if !busy {
				break
			}
		}
		// What a void claim left comes due once its lease is out.
		be.advance(3 * time.Minute)
	}
}

// TestMailsMarkedAheadBeforeACrashAreBounded: a lane with a backlog marks
// its next mails before their turn, and the engine dies. The engine that
// takes over never sends a marked one (the relay may have it, as far as
// anyone can know): those end answer_lost, and there are at most
// PremarkPerConn per connection beyond the four in flight. Every other
// mail goes once, and none twice.
func TestMailsMarkedAheadBeforeACrashAreBounded(t *testing.T) {
	be := newBacklogEnv(t)
	be.stall()
	be.advance(3 * time.Minute) // longer than the lease: A is gone
	be.takeOver()
	mails, ids, sent, lost, other := be.outcome()
	bound := (gateway.PremarkPerConn + 1) * smtp.DefaultConnections
	if mails != ids || mails != sent || sent+lost != backlogMails || other != 0 {
		t.Fatalf("%d mails at the relay (%d Message-IDs), %d sent, %d answer_lost, %d otherwise, of %d",
			mails, ids, sent, lost, other, backlogMails)
	}
	if lost == 0 || lost > bound {
		t.Fatalf("%d mails ended answer_lost, want 1 to %d (marked ahead or in flight)", lost, bound)
	}
	t.Logf("%d of %d sent once, %d answer_lost (bound %d)", sent, backlogMails, lost, bound)
}

// TestMailMarkedAheadAndGivenBackIsSentOnce: mails marked ahead are given
// back unsent when the engine stops (as when a lane pauses or its circuit
// opens). Their marks are taken back with the give-back, so the engine
// that takes over sends each of them, once, and none ends answer_lost.
func TestMailMarkedAheadAndGivenBackIsSentOnce(t *testing.T) {
	be := newBacklogEnv(t)
	be.stall()
	if err := be.worker.Shutdown(be.ctx); err != nil {
		t.Fatal(err)
	}
	close(be.a.release) // the four in flight finish
	select {
	case <-be.aDone:
	case <-time.After(30 * time.Second):
		t.Fatal("engine A never finished")
	}
	if n := be.markedAhead(); n != 0 {
		t.Fatalf("%d marks left after the give-back", n)
	}
	be.takeOver()
	mails, ids, sent, lost, other := be.outcome()
	if mails != backlogMails || ids != backlogMails || sent != backlogMails || lost != 0 || other != 0 {
		t.Fatalf("%d mails at the relay (%d Message-IDs), %d sent, %d answer_lost, %d otherwise, want all %d sent once",
			mails, ids, sent, lost, other, backlogMails)
	}
	for _, id := range be.ids {
		if evs := be.events(id); hasEvent(evs, gateway.EventDeliveryMaybeSent) || hasEvent(evs, "delivery_resend") {
			t.Fatalf("request %s: events %v", id, eventTypes(evs))
		}
	}
}

func (be *backlogEnv) events(id string) []*gateway.Event {
	be.t.Helper()
	evs, err := be.store.ListEvents(be.ctx, gateway.EventFilter{RequestID: id})
	if err != nil {
		be.t.Fatal(err)
	}
	return evs
}
