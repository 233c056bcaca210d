package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
)

// The benchmarks drive the whole gateway (HTTP, SQLite with full
// durability, the outbox worker, go-smtp client) against a go-smtp sink and
// a Twilio-shaped server on loopback, and report what a capacity plan
// needs:
//
//	go test ./cmd/resetgw -run '^$' -bench . -benchtime 3000x
//
// resets/s is accepted requests whose text reached the Twilio-shaped
// server and whose email reached the SMTP sink, per second of wall time;
// accept_p50/p99 is the 202's latency; sms_p50/p99 and mail_p50/p99 the
// time from sending the request to the text's or mail's arrival.

// arrivals is an SMTP sink that notes when mail for each recipient lands.
type arrivals struct {
	mu   sync.Mutex
	at   map[string]time.Time
	wake chan struct{}
}

func (a *arrivals) NewSession(*smtp.Conn) (smtp.Session, error) { return &arrivalSession{a: a}, nil }

type arrivalSession struct {
	a  *arrivals
	to []string
}

func (s *arrivalSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *arrivalSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *arrivalSession) Data(r io.Reader) error {
	io.Copy(io.Discard, r)
	now := time.Now()
	s.a.mu.Lock()
	for _, to := range s.to {
		s.a.at[to] = now
	}
	s.a.mu.Unlock()
	select {
	case s.a.wake <- struct{}{}:
	default:
	}
	return nil
}
func (s *arrivalSession) Reset()        { s.to = nil }
func (s *arrivalSession) Logout() error { return nil }

func startSink(b *testing.B) (*arrivals, string) {
	a := &arrivals{at: map[string]time.Time{}, wake: make(chan struct{}, 1)}
	srv := smtp.NewServer(a)
	srv.Domain, srv.ReadTimeout, srv.WriteTimeout = "sink.local", 10*time.Second, 10*time.Second
	srv.MaxMessageBytes, srv.MaxRecipients = 1<<20, 10
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return a, "smtp://" + ln.Addr().String()
}

// textArrivals stands in front of the Twilio-shaped server and notes
// when each text's create call was answered (the server's own dates are
// whole seconds, as Twilio's).
type textArrivals struct {
	mu sync.Mutex
	at map[string]time.Time
}

func startTextArrivals(b *testing.B, tw *twiliotest.Server) (*textArrivals, string) {
	a := &textArrivals{at: map[string]time.Time{}}
	target, _ := url.Parse(tw.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var to string
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Messages.json") {
			body, _ := io.ReadAll(r.Body)
			form, _ := url.ParseQuery(string(body))
			to = form.Get("To")
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		rec := &statusRecorder{ResponseWriter: w}
		proxy.ServeHTTP(rec, r)
		if to != "" && rec.status == http.StatusCreated {
			a.mu.Lock()
			if _, ok := a.at[to]; !ok {
				a.at[to] = time.Now()
			}
			a.mu.Unlock()
		}
	}))
	b.Cleanup(srv.Close)
	return a, srv.URL
}

func (a *textArrivals) n() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.at)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// startBenchGateway runs the gateway in this process; extra are more
// variables, name then value.
func startBenchGateway(b *testing.B, smtpURL string, tw *twiliotest.Server, extra ...string) gw {
	return startBenchGatewayAt(b, smtpURL, tw.URL(), extra...)
}

// startBenchGatewayAt is startBenchGateway with the Twilio API at twilioURL.
func startBenchGatewayAt(b *testing.B, smtpURL, twilioURL string, extra ...string) gw {
	listen := freeAddr(b)
	env := map[string]string{
		"RESETGW_LISTEN": listen, "RESETGW_DB": filepath.Join(b.TempDir(), "gw.db"), "XDG_CONFIG_HOME": b.TempDir(),
		"RESETGW_ADMIN_TOKEN": adminTok, "RESETGW_SMTP_URL": smtpURL, "RESETGW_MAIL_FROM": "reset@acme.example",
		"RESETGW_TWILIO_ACCOUNT_SID": sid, "RESETGW_TWILIO_AUTH_TOKEN": authToken, "RESETGW_TWILIO_FROM": twFrom,
		"RESETGW_TWILIO_API_URL": twilioURL, "RESETGW_RATE_LIMIT_IP": "0", "RESETGW_RATE_LIMIT_TENANT": "0",
		"RESETGW_LOG_LEVEL": "error",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, nil, io.Discard, io.Discard)
	}()
	b.Cleanup(func() { cancel(); <-done })
	g := gw{t: b, base: "http://" + listen}
	for range 200 {
		if resp, err := http.Get(g.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return g
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	b.Fatal("gateway did not start")
	return g
}

func pct(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return float64(d[int(float64(len(d)-1)*p)].Microseconds()) / 1000
}

// benchAreaCodes give each bench crew member a valid number of the
// fictional NPA-555-0100..0199 range: 100 numbers per area code.
var benchAreaCodes = []string{"201", "202", "203", "205", "206", "207", "208", "209", "210", "212", "213",
	"214", "215", "216", "217", "218", "219", "224", "225", "228", "229", "231", "234", "239", "240", "248",
	"251", "252", "253", "254", "256", "260", "262", "267", "269", "270", "301", "302", "303", "304"}

func benchPhone(i int) string {
	return fmt.Sprintf("+1%s5550%03d", benchAreaCodes[i/100%len(benchAreaCodes)], 100+i%100)
}

// cpuTime is the CPU (user and system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssMB is the process's resident set now and at its peak, from /proc
// (0 where there is none). The gateway, the load and both sinks share
// the process, so this bounds the gateway's own.
func rssMB() (now, peak float64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var kb float64
		if _, err := fmt.Sscanf(line, "VmRSS: %f kB", &kb); err == nil {
			now = kb / 1024
		}
		if _, err := fmt.Sscanf(line, "VmHWM: %f kB", &kb); err == nil {
			peak = kb / 1024
		}
	}
	return now, peak
}

// BenchmarkResetEndToEnd is resets per second delivered by SMS (Twilio-
// shaped server) and email (SMTP sink) end to end, through HTTP, SQLite
// with full durability and the delivery engine; b.N requests from each
// count of clients:
//
//	go test ./cmd/resetgw -run '^$' -bench ResetEndToEnd -benchtime 3000x
func BenchmarkResetEndToEnd(b *testing.B) { benchResets(b, nil) }

// benchResets is BenchmarkResetEndToEnd with each run's gateway given the
// variables store returns (name then value), e.g. another database, and,
// when store gives one, the round trips it counted reported per reset.
func benchResets(b *testing.B, store benchStore) { benchResetsOn(b, 1, store) }

// benchStore names a run's store: variables for the gateway (name then
// value) and, for PostgreSQL, the wire counter in front of it.
type benchStore func(b *testing.B) ([]string, *pgWire)

// benchResetsOn is benchResets with that many gateways on one store (the
// clients take turns among them); the admin calls go to the first.
func benchResetsOn(b *testing.B, instances int, store benchStore) {
	for _, clients := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			sink, smtpURL := startSink(b)
			tw := twiliotest.Start(b, sid, authToken)
			texts, twURL := startTextArrivals(b, tw)
			var extra []string
			var wire *pgWire
			if store != nil {
				extra, wire = store(b)
			}
			var gws []gw
			for range instances {
				gws = append(gws, startBenchGatewayAt(b, smtpURL, twURL, extra...))
			}
			g := gws[0]
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			admin := func(method, path, body string) {
				req, _ := http.NewRequest(method, g.base+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+adminTok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode >= 300 {
					b.Fatalf("%s %s: %v %v", method, path, err, resp)
				}
				resp.Body.Close()
			}
			// The bench sender stands for a pool of short codes: the
			// tenant's rate lets the SMS lane go as fast as the mail lane.
			admin("PATCH", "/admin/api/settings", `{"sms_rate_per_second":10000}`)
			emails, phones := make([]string, b.N), make([]string, b.N)
			for i := range b.N {
				emails[i], phones[i] = fmt.Sprintf("crew%d@acme.example", i), benchPhone(i)
				admin("POST", "/admin/api/personnel", fmt.Sprintf(`{"name":"Crew %d","email":%q,"status":"active",
					"mobile_access":true,"allow_mobile_reset":true,"phones":[{"number":%q,"type":"sms"}]}`, i, emails[i], phones[i]))
			}
			sent := make([]time.Time, b.N)
			accept := make([]time.Duration, b.N)
			next := make(chan int, b.N)
			for i := range b.N {
				next <- i
			}
			close(next)
			var trips0 int64
			var execs0 map[string]int64
			if wire != nil {
				trips0, execs0 = wire.snapshot()
			}
			b.ResetTimer()
			cpu0 := cpuTime()
			start := time.Now()
			var wg sync.WaitGroup
			for k := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					mine := gws[k%len(gws)]
					for i := range next {
						body := fmt.Sprintf(`{"email":%q,"phone":%q}`, emails[i], phones[i])
						t0 := time.Now()
						resp, err := client.Post(mine.base+"/v1/password-resets", "application/json", strings.NewReader(body))
						if err != nil || resp.StatusCode != 202 {
							b.Errorf("reset %d: %v %v", i, err, resp)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						sent[i], accept[i] = t0, time.Since(t0)
					}
				}()
			}
			wg.Wait()
			deadline := time.After(3 * time.Minute)
			for {
				sink.mu.Lock()
				n := len(sink.at)
				sink.mu.Unlock()
				if n >= b.N && texts.n() >= b.N {
					break
				}
				select {
				case <-sink.wake:
				case <-time.After(50 * time.Millisecond):
				case <-deadline:
					b.Fatalf("only %d mails and %d texts of %d arrived", n, texts.n(), b.N)
				}
			}
			var last time.Time
			mail, text := make([]time.Duration, b.N), make([]time.Duration, 0, b.N)
			sink.mu.Lock()
			for i, e := range emails {
				at := sink.at[e]
				mail[i] = at.Sub(sent[i])
				if at.After(last) {
					last = at
				}
			}
			sink.mu.Unlock()
			texts.mu.Lock()
			for i, p := range phones {
				at := texts.at[p]
				text = append(text, at.Sub(sent[i]))
				if at.After(last) {
					last = at
				}
			}
			texts.mu.Unlock()
			cpu := cpuTime() - cpu0
			b.StopTimer()
			rss, peak := rssMB()
			// The process's CPU per reset (gateway, load, sinks): the two
			// cores divided by it bound resets/s, whatever the wall clock
			// of a shared machine says.
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/1000, "cpu_ms/reset")
			b.ReportMetric(float64(b.N)/last.Sub(start).Seconds(), "resets/s")
			b.ReportMetric(pct(accept, 0.50), "accept_p50_ms")
			b.ReportMetric(pct(accept, 0.99), "accept_p99_ms")
			b.ReportMetric(pct(text, 0.50), "sms_p50_ms")
			b.ReportMetric(pct(text, 0.99), "sms_p99_ms")
			b.ReportMetric(pct(mail, 0.50), "mail_p50_ms")
			b.ReportMetric(pct(mail, 0.99), "mail_p99_ms")
			if wire != nil {
				wire.report(b, b.N, trips0, execs0)
			}
			b.ReportMetric(rss, "rss_MB")
			b.ReportMetric(peak, "peak_rss_MB")
		})
	}
}

// BenchmarkLoginArgon2id is logins/s through HTTP with the production
// argon2id parameters (m=19 MiB, t=2, p=1), hashing capped at the cores.
func BenchmarkLoginArgon2id(b *testing.B) {
	_, smtpURL := startSink(b)
	tw := twiliotest.Start(b, sid, authToken)
	g := startBenchGateway(b, smtpURL, tw)
	req, _ := http.NewRequest("POST", g.base+"/admin/api/personnel",
		strings.NewReader(`{"name":"Ana","email":"ana@acme.example","password":"`+origPW+`"}`))
	req.Header.Set("Authorization", "Bearer "+adminTok)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		b.Fatalf("seed: %v %v", err, resp)
	}
	body := `{"email":"ana@acme.example","password":"` + origPW + `"}`
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := http.Post(g.base+"/v1/login", "application/json", strings.NewReader(body))
			if err != nil || resp.StatusCode != 200 {
				b.Errorf("login: %v %v", err, resp)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "logins/s")
}
