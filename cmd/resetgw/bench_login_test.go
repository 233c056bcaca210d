package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
)

// procStatusKiB reads a "Name:   123 kB" line of /proc/self/status. The
// gateway runs inside the benchmark's process, so this is its memory.
func procStatusKiB(name string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// BenchmarkHardening20_FiftyParallelLogins sends 50 logins at once (50
// crew behind one address, production argon2id parameters) to the real
// server, b.N times, and reports the peak RSS sampled during the bursts,
// the RSS before them, and the process's high-water mark. The gateway's
// soft memory limit is its default unless RESETGW_MEMORY_LIMIT says:
//
//	go test ./cmd/resetgw -run '^$' -bench Hardening20 -benchtime 5x
func BenchmarkHardening20_FiftyParallelLogins(b *testing.B) {
	const n = 50
	if procStatusKiB("VmRSS") == 0 {
		b.Skip("no /proc/self/status here")
	}
	_, smtpURL := startSink(b)
	tw := twiliotest.Start(b, sid, authToken)
	g := startBenchGateway(b, smtpURL, tw, "RESETGW_MEMORY_LIMIT", os.Getenv("RESETGW_MEMORY_LIMIT"))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	for i := range n {
		req, _ := http.NewRequest("POST", g.base+"/admin/api/personnel", strings.NewReader(
			fmt.Sprintf(`{"name":"Crew %d","email":"crew%d@acme.example","password":%q}`, i, i, origPW)))
		req.Header.Set("Authorization", "Bearer "+adminTok)
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 201 {
			b.Fatalf("seed %d: %v %v", i, err, resp)
		}
		resp.Body.Close()
	}
	idle := procStatusKiB("VmRSS")
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			if v := procStatusKiB("VmRSS"); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	b.ResetTimer()
	for range b.N {
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := fmt.Sprintf(`{"email":"crew%d@acme.example","password":%q}`, i, origPW)
				resp, err := client.Post(g.base+"/v1/login", "application/json", strings.NewReader(body))
				if err != nil || resp.StatusCode != 200 {
					b.Errorf("login %d: %v %v", i, err, resp)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	close(stop)
	<-sampled
	b.ReportMetric(float64(peak.Load())/1024, "peak_rss_MiB")
	b.ReportMetric(float64(idle)/1024, "idle_rss_MiB")
	b.ReportMetric(float64(procStatusKiB("VmHWM"))/1024, "hwm_MiB")
}
