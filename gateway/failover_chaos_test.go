package gateway_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// chaos plays every route of a chain at once, with faults drawn per call
// from a seeded generator: refusals, timeouts after the request was
// written (taken or not), lost answers of texts it took, set-up
// and recipient errors, and routes down for a whole delivery. It counts
// the texts a person actually gets. The Twilio-like route can be looked up
// (unless broken), webhooks drop a resend of an id they took, the aws-like
// route says a lost answer may have sent, and the carrier gateway answers
// plainly.
type chaos struct {
	seed   uint64
	broken bool // the lookup never finds what the route took

	mu     sync.Mutex
	calls  map[string]int
	texts  map[int64][]string // delivery id → the links that texted the person
	twilio map[int64]string   // the SID of the text Twilio took
	hooks  map[string]bool    // link and delivery id, taken by a webhook
}

func newChaos(seed uint64, broken bool) *chaos {
	return &chaos{seed: seed, broken: broken, calls: map[string]int{}, texts: map[int64][]string{},
		twilio: map[int64]string{}, hooks: map[string]bool{}}
}

// draw is the generator of one call: the same seed gives a delivery the
// same faults whatever order the lanes run in.
func (c *chaos) draw(what string, id int64) *rand.Rand {
	c.mu.Lock()
	key := what + "/" + strconv.FormatInt(id, 10)
	n := c.calls[key]
	c.calls[key]++
	c.mu.Unlock()
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", key, n)
	return rand.New(rand.NewPCG(c.seed, h.Sum64()))
}

// isDown says whether a link is down for the whole of one delivery.
func (c *chaos) isDown(link string, id int64) bool {
	h := fnv.New64a()
	fmt.Fprintf(h, "down/%s/%d", link, id)
	return rand.New(rand.NewPCG(c.seed, h.Sum64())).IntN(100) < 25
}

func (c *chaos) took(id int64, link string) {
	c.mu.Lock()
	c.texts[id] = append(c.texts[id], link)
	c.mu.Unlock()
}

type fault int

const (
	fOK fault = iota
	fRefused
	fTimeoutTaken
	fTimeoutNotTaken
	fLost
	fConfig
	fRecipient
)

func (c *chaos) fault(link string, id int64) fault {
	if c.isDown(link, id) {
		return fRefused
	}
	switch p := c.draw(link, id).IntN(100); {
	case p < 45:
		return fOK
	case p < 60:
		return fRefused
	case p < 66:
		return fTimeoutTaken
	case p < 72:
		return fTimeoutNotTaken
	case p < 80:
		return fLost
	case p < 85:
		// A refusal too: a lane slowed down waits out its pace in real
		// time while this test's clock stands still (rate failover is
		// TestFailover's).
		return fRefused
	case p < 90:
		return fConfig
	case p < 92:
		return fRecipient
	}
	return fOK
}

func faultError(f fault) *gateway.SendError {
	switch f {
	case fRefused:
		return &gateway.SendError{Class: gateway.FailTransient, Code: "connect", Detail: "refused"}
	case fTimeoutTaken, fTimeoutNotTaken:
		return &gateway.SendError{Class: gateway.FailTransient, Code: "timeout", Detail: "no answer", Unsure: true}
	case fLost:
		return &gateway.SendError{Class: gateway.FailTransient, Code: "reset", Detail: "answer lost", Unsure: true}
	case fConfig:
		return &gateway.SendError{Class: gateway.FailConfig, Code: "20003", Fix: "fix it"}
	case fRecipient:
		return &gateway.SendError{Class: gateway.FailRecipient, Code: "21211"}
	}
	return nil
}

// chaosTwilio: a later attempt looks for the text first, as the Twilio
// sender does; Lookup is the engine's look before a move.
type chaosTwilio struct{ c *chaos }

func (s chaosTwilio) find(m *gateway.Message) (string, error) {
	c := s.c
	if c.draw("twilio-list", m.DeliveryID).IntN(100) < 15 {
		return "", &gateway.SendError{Class: gateway.FailTransient, Code: "lookup_failed"}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken {
		return "", nil
	}
	return c.twilio[m.DeliveryID], nil
}

func (s chaosTwilio) Lookup(_ context.Context, m *gateway.Message) (string, error) { return s.find(m) }

func (s chaosTwilio) Send(_ context.Context, m *gateway.Message) (string, error) {
	c := s.c
	if m.Attempt > 0 {
		sid, err := s.find(m)
		if err != nil || sid != "" {
			return sid, err
		}
	}
	f := c.fault("twilio", m.DeliveryID)
	if f == fOK || f == fTimeoutTaken || f == fLost {
		sid := fmt.Sprintf("SM%d-%d", m.DeliveryID, m.Attempt)
		c.mu.Lock()
		c.twilio[m.DeliveryID] = sid
		c.mu.Unlock()
		c.took(m.DeliveryID, "twilio")
		if f == fOK {
			return sid, nil
		}
	}
	return "", faultError(f)
}

// chaosHook drops a resend of an id its link took, and answers it.
type chaosHook struct{ c *chaos }

func (s chaosHook) Send(_ context.Context, m *gateway.Message) (string, error) {
	c := s.c
	link := "webhook" + strconv.Itoa(m.RouteIndex)
	f := c.fault(link, m.DeliveryID)
	if f == fOK || f == fTimeoutTaken || f == fLost {
		key := link + "/" + strconv.FormatInt(m.DeliveryID, 10)
		c.mu.Lock()
		seen := c.hooks[key]
		c.hooks[key] = true
		c.mu.Unlock()
		if !seen {
			c.took(m.DeliveryID, link)
		}
		if f == fOK {
			return "hook-" + key, nil
		}
	}
	return "", faultError(f)
}

// chaosAWS cannot be looked up: a lost answer may have sent.
type chaosAWS struct{ c *chaos }

func (s chaosAWS) Send(_ context.Context, m *gateway.Message) (string, error) {
	c := s.c
	f := c.fault("aws", m.DeliveryID)
	if f == fOK || f == fTimeoutTaken || f == fLost {
		c.took(m.DeliveryID, "aws")
		if f == fOK {
			return fmt.Sprintf("aws-%d", m.DeliveryID), nil
		}
	}
	se := faultError(f)
	if se != nil && se.Unsure {
		se.Unsure, se.MayHaveSent = false, true
	}
	return "", se
}

// chaosCarrier answers every time: taken, refused, or refused for good.
type chaosCarrier struct{ c *chaos }

func (s chaosCarrier) Send(_ context.Context, m *gateway.Message) (string, error) {
	switch p := s.c.draw("carrier", m.DeliveryID).IntN(100); {
	case p < 70:
		s.c.took(m.DeliveryID, "carrier")
		return fmt.Sprintf("mail-%d", m.DeliveryID), nil
	case p < 90:
		return "", &gateway.SendError{Class: gateway.FailTransient, Code: "421"}
	}
	return "", &gateway.SendError{Class: gateway.FailConfig, Code: "535", Fix: "fix the relay"}
}

var chaosChains = [][]gateway.SMSRoute{
	{twilioLink, hook("https://a.example.com/send"), carrierLink},
	{twilioLink, {Kind: gateway.RouteAWS, Region: "us-east-1", OriginationIdentity: "+12015550100",
		AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"}, hook("https://a.example.com/send"), carrierLink},
	{hook("https://a.example.com/send"), twilioLink, hook("https://b.example.com/send"), carrierLink},
}

// chaosBatch runs n resets of one chain under c's faults to their end and
// returns what broke the rules: two texts for one reset, a delivery
// recorded sent that did not text by its route, or an unfinished reset.
func chaosBatch(t *testing.T, c *chaos, chain []gateway.SMSRoute, n int) (bad []string, delivered, rolledBack int) {
	e := newEnv(t, true, func(cfg *gateway.Config) {
		cfg.Limits.PerIP, cfg.Limits.PerPersonIP = 1000, 1000
	})
	e.worker = gateway.NewWorker(gateway.WorkerConfig{Service: e.svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteTwilio: chaosTwilio{c}, gateway.RouteWebhook: chaosHook{c}, gateway.RouteAWS: chaosAWS{c},
		gateway.RouteCarrier: chaosCarrier{c}, gateway.RouteEmail: e.email,
	}, BackoffBase: time.Second, RetryFor: 10 * time.Minute, BreakerOpen: time.Millisecond})
	e.patchTenant(gateway.SettingsPatch{SMSRoutes: &chain})
	ids := make([]string, n)
	for i := range n {
		email, phone := fmt.Sprintf("crew%d@acme.example", i), fmt.Sprintf("+1201555%04d", 100+i)
		e.person(email, phone, "verizon")
		id, err := e.svc.RequestReset(e.ctx, gateway.ResetInput{Email: email, Phone: phone, IP: fmt.Sprintf("198.51.100.%d", i%250)})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	// Until every delivery has ended: a reset is delivered as soon as its
	// email is, while its text may still be trying.
	open := append([]string(nil), ids...)
	for i := 0; len(open) > 0; i++ {
		if i == 3000 {
			t.Fatalf("seed %d: %d resets still have messages in the outbox", c.seed, len(open))
		}
		done := make(chan struct{})
		go func() { defer close(done); e.drain() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			for _, l := range e.worker.Lanes() {
				t.Logf("lane %+v", l)
			}
			t.Fatalf("seed %d: a pass did not end", c.seed)
		}
		if i%10 == 9 {
			left := open[:0]
			for _, id := range open {
				r, err := e.store.Reset(e.ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range r.Deliveries {
					if d.Status == gateway.DeliveryPending {
						left = append(left, id)
						break
					}
				}
			}
			open = left
		}
		e.advance(3 * time.Second)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		r := e.request(id)
		switch r.State {
		case gateway.StateDelivered:
			delivered++
		case gateway.StateRolledBack:
			rolledBack++
		default:
			bad = append(bad, fmt.Sprintf("%s: still %s", id, r.State))
		}
		emails := 0
		for _, d := range r.Deliveries {
			if d.Channel == gateway.ChannelEmail {
				if d.Status == gateway.DeliverySent {
					emails++
				}
				continue
			}
			got := c.texts[d.ID]
			link := string(d.Route)
			if d.Route == gateway.RouteWebhook {
				link += strconv.Itoa(d.RouteIndex)
			}
			switch {
			case len(got) > 1:
				bad = append(bad, fmt.Sprintf("%s: %d texts (%s); attempts %s", id, len(got), strings.Join(got, ", "), statuses(d.Tries)))
			case d.Status == gateway.DeliverySent && (len(got) != 1 || got[0] != link):
				bad = append(bad, fmt.Sprintf("%s: recorded sent by %s, texted by %v; attempts %s", id, link, got, statuses(d.Tries)))
			}
		}
		if emails != 1 {
			bad = append(bad, fmt.Sprintf("%s: %d emails", id, emails))
		}
	}
	return bad, delivered, rolledBack
}

// chaosSeed is RESETGW_CHAOS_SEED when set (to replay a failure), else
// the time.
func chaosSeed(t *testing.T) uint64 {
	if s := os.Getenv("RESETGW_CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	return uint64(time.Now().UnixNano())
}

func runChaos(t *testing.T, seed uint64, broken bool, runs int) (bad []string) {
	const batch = 100
	delivered, rolledBack := 0, 0
	for i := 0; i*batch < runs; i++ {
		// Each batch has a store of its own, whose delivery ids start at 1.
		c := newChaos(seed+uint64(i), broken)
		b, d, r := chaosBatch(t, c, chaosChains[i%len(chaosChains)], min(batch, runs-i*batch))
		bad = append(bad, b...)
		delivered, rolledBack = delivered+d, rolledBack+r
	}
	t.Logf("seed %d: %d runs, %d delivered, %d rolled back, %d broke the rules", seed, runs, delivered, rolledBack, len(bad))
	return bad
}

// TestChaosOneTextPerReset: 1,000 resets through chains of Twilio, aws,
// webhooks and the carrier gateway, under random faults on every route:
// each is delivered (one text at most, recorded on the route that sent
// it, and its email once) or rolled back, and never texts twice.
func TestChaosOneTextPerReset(t *testing.T) {
	seed := chaosSeed(t)
	if bad := runChaos(t, seed, false, 1000); len(bad) > 0 {
		t.Fatalf("seed %d (replay with RESETGW_CHAOS_SEED=%d): %d resets broke the rules, e.g.\n%s", seed, seed, len(bad),
			strings.Join(bad[:min(len(bad), 10)], "\n"))
	}
}

// TestChaosCatchesBrokenLookup: with a lookup that never finds what the
// route took, the same faults text people twice, and the check says so.
func TestChaosCatchesBrokenLookup(t *testing.T) {
	seed := chaosSeed(t)
	bad := runChaos(t, seed, true, 300)
	if len(bad) == 0 {
		t.Fatalf("seed %d: a broken lookup went unnoticed", seed)
	}
	t.Logf("caught, e.g. %s", bad[0])
}
