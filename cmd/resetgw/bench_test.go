package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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
//	go test ./cmd/resetgw -run '^$' -bench . -benchtime 400x
//
// resets/s is accepted requests whose email reached the SMTP sink, per
// second of wall time; accept_p50/p99 is the 202's latency; mail_p50/p99
// the time from sending the request to the mail's arrival.

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

// startBenchGateway runs the gateway in this process; extra are more
// variables, name then value.
func startBenchGateway(b *testing.B, smtpURL string, tw *twiliotest.Server, extra ...string) gw {
	listen := freeAddr(b)
	env := map[string]string{
		"RESETGW_LISTEN": listen, "RESETGW_DB": filepath.Join(b.TempDir(), "gw.db"), "XDG_CONFIG_HOME": b.TempDir(),
		"RESETGW_ADMIN_TOKEN": adminTok, "RESETGW_SMTP_URL": smtpURL, "RESETGW_MAIL_FROM": "reset@acme.example",
		"RESETGW_TWILIO_ACCOUNT_SID": sid, "RESETGW_TWILIO_AUTH_TOKEN": authToken, "RESETGW_TWILIO_FROM": twFrom,
		"RESETGW_TWILIO_API_URL": tw.URL(), "RESETGW_RATE_LIMIT_IP": "0", "RESETGW_RATE_LIMIT_TENANT": "0",
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

func BenchmarkResetEndToEnd(b *testing.B) {
	for _, clients := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			sink, smtpURL := startSink(b)
			tw := twiliotest.Start(b, sid, authToken)
			g := startBenchGateway(b, smtpURL, tw)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			emails := make([]string, b.N)
			for i := range b.N {
				emails[i] = fmt.Sprintf("crew%d@acme.example", i)
				body := fmt.Sprintf(`{"name":"Crew %d","email":%q,"phones":[{"number":"+1201555%04d","type":"sms"}]}`, i, emails[i], 100+i%100)
				if i >= 100 { // the fictional range is 0100-0199: later crew go by email only
					body = fmt.Sprintf(`{"name":"Crew %d","email":%q}`, i, emails[i])
				}
				req, _ := http.NewRequest("POST", g.base+"/admin/api/personnel", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+adminTok)
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != 201 {
					b.Fatalf("seed %d: %v %v", i, err, resp)
				}
				resp.Body.Close()
			}
			sent := make([]time.Time, b.N)
			accept := make([]time.Duration, b.N)
			next := make(chan int, b.N)
			for i := range b.N {
				next <- i
			}
			close(next)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						body := fmt.Sprintf(`{"email":%q}`, emails[i])
						t0 := time.Now()
						resp, err := client.Post(g.base+"/v1/password-resets", "application/json", strings.NewReader(body))
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
			deadline := time.After(2 * time.Minute)
			for {
				sink.mu.Lock()
				n := len(sink.at)
				sink.mu.Unlock()
				if n >= b.N {
					break
				}
				select {
				case <-sink.wake:
				case <-time.After(50 * time.Millisecond):
				case <-deadline:
					b.Fatalf("only %d of %d mails arrived", n, b.N)
				}
			}
			var last time.Time
			mail := make([]time.Duration, b.N)
			sink.mu.Lock()
			for i, e := range emails {
				at := sink.at[e]
				mail[i] = at.Sub(sent[i])
				if at.After(last) {
					last = at
				}
			}
			sink.mu.Unlock()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/last.Sub(start).Seconds(), "resets/s")
			b.ReportMetric(pct(accept, 0.50), "accept_p50_ms")
			b.ReportMetric(pct(accept, 0.99), "accept_p99_ms")
			b.ReportMetric(pct(mail, 0.50), "mail_p50_ms")
			b.ReportMetric(pct(mail, 0.99), "mail_p99_ms")
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
