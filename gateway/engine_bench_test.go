package gateway_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/gateway/sqlite"
)

// The engine without HTTP or carriers: requests go in through the
// service (its group commit), the worker resolves, claims, sends through
// lanes to senders that answer at once, and records on a real SQLite file
// with full durability. What it measures is the store and the engine's
// own waiting, which is what bounds the end-to-end figure:
//
//	go test ./gateway -run '^$' -bench EngineThroughput -benchtime 3000x
//
// resets/s is requests whose two deliveries (SMS and email) were both
// recorded sent, per second; accept_p50/p99 is RequestReset's latency;
// recorded_p50/p99 the time from a request to both of its outcomes
// being committed; stmts/reset, commits/reset, cpu_ms/reset and allocs/op
// are per reset and, unlike the times, hardly move with other load.
func BenchmarkEngineThroughput(b *testing.B) {
	for _, clients := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchEngine(b, clients) })
	}
}

// benchSender answers every send at once and says when the last of the
// expected sends arrived.
type benchSender struct {
	n    atomic.Int64
	want int64
	done chan struct{}
}

func (s *benchSender) Send(_ context.Context, m *gateway.Message) (string, error) {
	if s.n.Add(1) == s.want {
		close(s.done)
	}
	return fmt.Sprintf("%s-%d", m.Route, m.DeliveryID), nil
}

func benchEngine(b *testing.B, clients int) {
	ctx := context.Background()
	keys := gatewaytest.Keys(b)
	var counts sqlite.Counts
	store, path := gatewaytest.CountedStore(b, keys, &counts)
	// The benchmark's own reads go through a handle of their own, so the
	// counts are the engine's.
	look, err := sqlite.Open(ctx, sqlite.Config{Path: path, Sealer: keys})
	if err != nil {
		b.Fatal(err)
	}
	defer look.Close()
	limits := gateway.DefaultLimits()
	limits.PerIP, limits.PerTenant = 0, 0
	svc, err := gateway.New(gateway.Config{Store: store, Renderer: gatewaytest.Renderer{}, Keys: keys,
		Hasher: gatewaytest.Hasher(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Limits: limits, DefaultTwilio: true})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.EnsureTenant(ctx, gateway.DefaultSlug, "Acme Movers"); err != nil {
		b.Fatal(err)
	}
	emails, phones := make([]string, b.N), make([]string, b.N)
	for i := range b.N {
		emails[i], phones[i] = fmt.Sprintf("crew%d@acme.example", i), benchPhone(i)
		if _, err := svc.CreatePerson(ctx, operator, gateway.PersonInput{Name: fmt.Sprintf("Crew %d", i), Email: emails[i],
			Password: original, Phones: []gateway.PhoneInput{{Number: phones[i], Type: "sms"}}}); err != nil {
			b.Fatal(err)
		}
	}
	sms := &benchSender{want: int64(b.N), done: make(chan struct{})}
	mail := &benchSender{want: int64(b.N), done: make(chan struct{})}
	worker := gateway.NewWorker(gateway.WorkerConfig{Service: svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteTwilio: sms, gateway.RouteEmail: mail}})
	runDone := make(chan error, 1)
	go func() { runDone <- worker.Run(ctx) }()
	defer func() {
		worker.Shutdown(ctx)
		<-runDone
	}()

	accept := make([]time.Duration, b.N)
	ids := make([]string, b.N)
	sent := make([]time.Time, b.N)
	next := make(chan int, b.N)
	for i := range b.N {
		next <- i
	}
	close(next)
	// b.N is the number of resets: allocs/op is allocations per reset
	// (the engine's, the benchmark's own few included).
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	stmts0, commits0 := counts.Statements.Load(), counts.Commits.Load()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				id, err := svc.RequestReset(ctx, gateway.ResetInput{Email: emails[i], Phone: phones[i], IP: "192.0.2.1"})
				if err != nil {
					b.Errorf("reset %d: %v", i, err)
					return
				}
				sent[i], accept[i], ids[i] = t0, time.Since(t0), id
			}
		}()
	}
	wg.Wait()
	for _, s := range []*benchSender{sms, mail} {
		select {
		case <-s.done:
		case <-time.After(3 * time.Minute):
			b.Fatalf("only %d of %d sends", s.n.Load(), b.N)
		}
	}
	// Sent is not recorded: wait for the commits. Requests finish about
	// in order, so each look starts where the last one stopped.
	var last time.Time
	for i, deadline := 0, time.Now().Add(3*time.Minute); i < len(ids); {
		r, err := look.ResetOnly(ctx, ids[i])
		if err != nil {
			b.Fatal(err)
		}
		if r.State == gateway.StateDelivered {
			if r.UpdatedAt.After(last) {
				last = r.UpdatedAt
			}
			i++
			continue
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d requests not recorded delivered", len(ids)-i)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cpu := cpuTime() - cpu0
	stmts, commits := counts.Statements.Load()-stmts0, counts.Commits.Load()-commits0
	b.StopTimer()
	recorded := make([]time.Duration, 0, b.N)
	for i, id := range ids {
		r, err := look.ResetOnly(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		recorded = append(recorded, r.UpdatedAt.Sub(sent[i]))
	}
	b.ReportMetric(float64(b.N)/last.Sub(start).Seconds(), "resets/s")
	b.ReportMetric(ms(accept, 0.50), "accept_p50_ms")
	b.ReportMetric(ms(accept, 0.99), "accept_p99_ms")
	b.ReportMetric(ms(recorded, 0.50), "recorded_p50_ms")
	b.ReportMetric(ms(recorded, 0.99), "recorded_p99_ms")
	// CPU per reset does not move with the other load on a shared
	// machine the way wall time does: 2 cores divided by it is the
	// ceiling of resets/s.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/1000, "cpu_ms/reset")
	// Statements and commits (each an fsync) per reset, counted by the
	// store's driver.
	b.ReportMetric(float64(stmts)/float64(b.N), "stmts/reset")
	b.ReportMetric(float64(commits)/float64(b.N), "commits/reset")
}

// cpuTime is the CPU (user and system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d []time.Duration, p float64) float64 {
	slices.Sort(d)
	return float64(d[int(float64(len(d)-1)*p)].Microseconds()) / 1000
}

// benchAreaCodes give each crew member a valid number of the fictional
// NPA-555-0100..0199 range: 100 numbers per area code.
var benchAreaCodes = []string{"201", "202", "203", "205", "206", "207", "208", "209", "210", "212", "213",
	"214", "215", "216", "217", "218", "219", "224", "225", "228", "229", "231", "234", "239", "240", "248",
	"251", "252", "253", "254", "256", "260", "262", "267", "269", "270", "301", "302", "303", "304"}

func benchPhone(i int) string {
	return fmt.Sprintf("+1%s5550%03d", benchAreaCodes[i/100%len(benchAreaCodes)], 100+i%100)
}
