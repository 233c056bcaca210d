package gateway_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/resetgw/resetgw/carriers/smtp"
	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
	"github.com/resetgw/resetgw/gateway"
)

// crashingSender is the real SMTP sender with a process that stops dead
// around one send: before it (the relay never hears of the mail) or
// after the relay took it (its answer is never recorded). A stopped send
// holds its claim until released, as a dead process holds its lease.
type crashingSender struct {
	*smtp.Sender
	before  bool
	crashed chan struct{}
	release chan struct{}
	once    sync.Once
}

func (c *crashingSender) Send(ctx context.Context, m *gateway.Message) (string, error) {
	if c.before {
		c.once.Do(func() { close(c.crashed) })
		<-c.release
	}
	id, err := c.Sender.Send(ctx, m)
	if !c.before {
		c.once.Do(func() { close(c.crashed) })
		<-c.release
	}
	return id, err
}

// crashEnv runs a reset's first send on engine A, which stops at the
// crash point; then the lease runs out and engine B, a new service and
// worker on the same store with the same relay, takes over.
type crashEnv struct {
	*env
	relay *smtptest.Server
	a     *crashingSender
	b     *gateway.Worker
	aDone chan struct{}
}

func newCrashEnv(t *testing.T, before, sms bool) *crashEnv {
	var cfg gateway.Config
	e := newEnv(t, sms, func(c *gateway.Config) { cfg = *c })
	relay := smtptest.Start(t, smtptest.Options{})
	sender := func() *smtp.Sender {
		s := smtp.New(smtp.Config{Default: gateway.SMTPProfile{URL: relay.URL(), From: "reset@acme.example"},
			Timeout: 5 * time.Second, Clock: e.clock})
		t.Cleanup(func() { s.Close() })
		return s
	}
	ce := &crashEnv{env: e, relay: relay, a: &crashingSender{Sender: sender(), before: before,
		crashed: make(chan struct{}), release: make(chan struct{})}, aDone: make(chan struct{})}
	e.worker = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteEmail: ce.a, gateway.RouteTwilio: e.twilio}, BackoffBase: time.Second, RetryFor: 10 * time.Minute})
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	svcB, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ce.b = gateway.NewWorker(gateway.WorkerConfig{Service: svcB, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteEmail: sender(), gateway.RouteTwilio: e.twilio}, BackoffBase: time.Second, RetryFor: 10 * time.Minute})
	// Runs before the store closes: the stopped send is let go, and
	// whatever it then does is done.
	t.Cleanup(func() {
		ce.a.once.Do(func() { close(ce.a.crashed) })
		select {
		case <-ce.a.release:
		default:
			close(ce.a.release)
		}
		<-ce.aDone
	})
	return ce
}

// crash runs engine A until its send stops, then lets the lease run out.
func (ce *crashEnv) crash() {
	ce.t.Helper()
	go func() {
		defer close(ce.aDone)
		ce.worker.Pass(ce.ctx)
	}()
	select {
	case <-ce.a.crashed:
	case <-time.After(30 * time.Second):
		ce.t.Fatal("engine A never reached its send")
	}
	if !ce.a.before {
		ctx, cancel := context.WithTimeout(ce.ctx, 30*time.Second)
		defer cancel()
		if _, err := ce.relay.Wait(ctx, 1); err != nil {
			ce.t.Fatalf("the relay never got engine A's mail: %v", err)
		}
	}
	// A dies in its mail send alone: what else it sent (a text) is
	// recorded first, as it would be in a process that had got that far.
	// Otherwise, on a loaded machine, the lease would run out on a text
	// whose outcome A had yet to commit, and B would send it again
	// (this test's Twilio stand-in has no lookup before a resend).
	deadline := time.Now().Add(30 * time.Second)
	for ce.textsUnrecorded() {
		if time.Now().After(deadline) {
			ce.t.Fatal("engine A never recorded its text")
		}
		time.Sleep(5 * time.Millisecond)
	}
	ce.advance(3 * time.Minute) // longer than the lease: A is gone
}

// textsUnrecorded says some text is still pending: sent or about to be,
// its outcome not yet committed.
func (ce *crashEnv) textsUnrecorded() bool {
	ce.t.Helper()
	rs, err := ce.store.ListResets(ce.ctx, gateway.ResetFilter{})
	if err != nil {
		ce.t.Fatal(err)
	}
	for _, r := range rs {
		for _, d := range r.Deliveries {
			if d.Channel == gateway.ChannelSMS && d.Status == gateway.DeliveryPending {
				return true
			}
		}
	}
	return false
}

// takeOver lets engine B do all it finds.
func (ce *crashEnv) takeOver() {
	ce.t.Helper()
	for range 50 {
		busy, err := ce.b.Pass(ce.ctx)
		if err != nil {
			ce.t.Fatal(err)
		}
		if !busy {
			return
		}
	}
	ce.t.Fatal("engine B still busy after 50 passes")
}

// mails is how many mails the relay holds, and how many distinct
// Message-IDs among them.
func (ce *crashEnv) mails() (n, ids int) {
	seen := map[string]bool{}
	msgs := ce.relay.Messages()
	for _, m := range msgs {
		seen[m.Header.Get("Message-Id")] = true
	}
	return len(msgs), len(seen)
}

func (ce *crashEnv) events(id string) []*gateway.Event {
	ce.t.Helper()
	evs, err := ce.store.ListEvents(ce.ctx, gateway.EventFilter{RequestID: id})
	if err != nil {
		ce.t.Fatal(err)
	}
	return evs
}

func hasEvent(evs []*gateway.Event, typ string) bool {
	return slices.ContainsFunc(evs, func(e *gateway.Event) bool { return e.Type == typ })
}

// mailPassword reads the password out of a mail at the relay.
func mailPassword(t *testing.T, data []byte) string {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no password in the mail: %v", err)
		}
		b, _ := io.ReadAll(p.Body)
		if _, pw, ok := bytes.Cut(b, []byte("PW=")); ok {
			if f := bytes.Fields(pw); len(f) > 0 {
				return string(f[0])
			}
		}
	}
}

// TestMailHandedOverBeforeACrashIsNeverSentAgain: the relay took the
// mail, and the engine that sent it died before it could record that.
// The engine that takes over must not send it again (SMTP cannot be asked
// whether the relay has it): the delivery ends answer_lost, the log says
// why in words, and the request ends as its other channels say: rolled
// back with the original password in force when the mail was its only
// channel, delivered when its text went.
func TestMailHandedOverBeforeACrashIsNeverSentAgain(t *testing.T) {
	t.Run("email only: rolled back", func(t *testing.T) {
		ce := newCrashEnv(t, false, false)
		ce.person("ana@acme.example", "", "")
		id := ce.reset("ana@acme.example", "")
		ce.crash()
		ce.takeOver()
		if n, ids := ce.mails(); n != 1 || ids != 1 {
			t.Fatalf("the relay holds %d mails (%d Message-IDs), want 1", n, ids)
		}
		r := ce.request(id)
		if r.State != gateway.StateRolledBack || len(r.Deliveries) != 1 {
			t.Fatalf("request %s with %d deliveries, want rolled back", r.State, len(r.Deliveries))
		}
		if d := r.Deliveries[0]; d.Status != gateway.DeliveryFailed || d.ErrorCode != "answer_lost" {
			t.Fatalf("delivery %s %q, want failed answer_lost", d.Status, d.ErrorCode)
		}
		evs := ce.events(id)
		if !hasEvent(evs, "delivery_maybe_sent") || hasEvent(evs, "delivery_resend") {
			t.Fatalf("events %v: want delivery_maybe_sent and no resend", eventTypes(evs))
		}
		if w := gateway.EventWords("delivery_maybe_sent"); w == "Delivery maybe sent" {
			t.Fatalf("no words for the event: %q", w)
		}
		// Nobody is left on a password nobody may have received: the one
		// in the mail does not log in, the original does.
		ce.mustFail("ana@acme.example", mailPassword(t, ce.relay.Messages()[0].Data))
		ce.mustLogin("ana@acme.example", original)
	})
	t.Run("with a text: delivered", func(t *testing.T) {
		ce := newCrashEnv(t, false, true)
		ce.person("bo@acme.example", "+12015550123", "")
		id := ce.reset("bo@acme.example", "+12015550123")
		ce.crash()
		ce.takeOver()
		if n, ids := ce.mails(); n != 1 || ids != 1 {
			t.Fatalf("the relay holds %d mails (%d Message-IDs), want 1", n, ids)
		}
		if texts := len(ce.twilio.all()); texts != 1 {
			t.Fatalf("%d texts, want 1", texts)
		}
		r := ce.request(id)
		if r.State != gateway.StateDelivered {
			t.Fatalf("request %s, want delivered (the text went)", r.State)
		}
		for _, d := range r.Deliveries {
			if d.Channel == gateway.ChannelEmail && (d.Status != gateway.DeliveryFailed || d.ErrorCode != "answer_lost") {
				t.Fatalf("email %s %q, want failed answer_lost", d.Status, d.ErrorCode)
			}
		}
		ce.mustLogin("bo@acme.example", ce.twilio.password(t))
	})
}

// TestMailNotYetHandedOverIsSentOnce: the engine died before the relay
// heard of the mail. The engine that takes over sends it, once, as a
// first send (no resend in the log); and when the first engine comes
// back to life and tries its stale claim, it sends nothing.
func TestMailNotYetHandedOverIsSentOnce(t *testing.T) {
	ce := newCrashEnv(t, true, false)
	ce.person("cy@acme.example", "", "")
	id := ce.reset("cy@acme.example", "")
	ce.crash()
	ce.takeOver()
	if n, ids := ce.mails(); n != 1 || ids != 1 {
		t.Fatalf("the relay holds %d mails (%d Message-IDs), want 1", n, ids)
	}
	r := ce.request(id)
	if r.State != gateway.StateDelivered || r.Deliveries[0].Status != gateway.DeliverySent {
		t.Fatalf("request %s, delivery %s: want delivered and sent", r.State, r.Deliveries[0].Status)
	}
	evs := ce.events(id)
	if hasEvent(evs, "delivery_resend") || !hasEvent(evs, "delivery_resumed") {
		t.Fatalf("events %v: want delivery_resumed and no resend", eventTypes(evs))
	}
	ce.mustLogin("cy@acme.example", mailPassword(t, ce.relay.Messages()[0].Data))
	// The first engine wakes up and goes on with its claim.
	close(ce.a.release)
	select {
	case <-ce.aDone:
	case <-time.After(30 * time.Second):
		t.Fatal("engine A never finished")
	}
	if n, _ := ce.mails(); n != 1 {
		t.Fatalf("the stale claim sent again: %d mails at the relay", n)
	}
}

func eventTypes(evs []*gateway.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}
