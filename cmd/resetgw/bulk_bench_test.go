package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkBulkTenThousand: one bulk reset of 10,000 imported people
// (tag spring-2027), from the POST until the relay on loopback holds
// every mail. The aim is under 30 s a job:
//
//	go test ./cmd/resetgw -run '^$' -bench BulkTenThousand -benchtime 1x
func BenchmarkBulkTenThousand(b *testing.B) {
	const n = 10000
	sink, smtpURL := startSink(b)
	g := startBenchGatewayAt(b, smtpURL, "http://127.0.0.1:1", "RESETGW_TWILIO_ACCOUNT_SID", "", "RESETGW_TWILIO_AUTH_TOKEN", "",
		"RESETGW_TWILIO_FROM", "", "RESETGW_RATE_LIMIT_PERSON", "0")
	for part := 0; part < n; part += 5000 {
		var csv strings.Builder
		csv.WriteString("name,email,tags\n")
		for i := part; i < part+5000; i++ {
			fmt.Fprintf(&csv, "Crew %d,crew%05d@acme.example,crew-%c;spring-2027\n", i, i, 'a'+rune(i%4))
		}
		req, _ := http.NewRequest("POST", g.base+"/admin/api/personnel/import", strings.NewReader(csv.String()))
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Authorization", "Bearer "+adminTok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("import: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	b.ResetTimer()
	var total time.Duration
	for range b.N {
		sink.mu.Lock()
		sink.at = map[string]time.Time{}
		sink.mu.Unlock()
		began := time.Now()
		code, m := g.call("POST", "/admin/api/bulk", map[string]any{"action": "reset", "filter": map[string]any{"tag": "spring-2027"}})
		if code != 202 {
			b.Fatalf("bulk: %d %v", code, m)
		}
		deadline := time.Now().Add(5 * time.Minute)
		for {
			sink.mu.Lock()
			got := len(sink.at)
			sink.mu.Unlock()
			if got == n {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d mails after 5 minutes", got, n)
			}
			select {
			case <-sink.wake:
			case <-time.After(50 * time.Millisecond):
			}
		}
		total += time.Since(began)
	}
	b.StopTimer()
	per := total.Seconds() / float64(b.N)
	b.ReportMetric(per, "s/job")
	b.ReportMetric(n/per, "mails/s")
}
