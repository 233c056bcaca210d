package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestBulkJobSurvivesKillAndSendsNobodyTwice: a bulk reset of 600 people
// is killed with SIGKILL while the relay holds part of it; restarted on
// the same database, the job goes on by itself and every person gets
// exactly one mail.
func TestBulkJobSurvivesKillAndSendsNobodyTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "resetgw")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(err)
	}
	const n = 600
	email := func(i int) string { return fmt.Sprintf("crew%04d@acme.example", i) }
	// The relay hangs on a run of recipients past the first chunk, so the
	// kill finds the job with people sent, people in flight and people
	// not yet queued.
	var stalled []string
	for i := 400; i < 440; i++ {
		stalled = append(stalled, email(i))
	}
	sink := startStallSink(t, stalled...)
	listen := freeAddr(t)
	env := append(os.Environ(),
		"RESETGW_LISTEN="+listen, "RESETGW_DB="+filepath.Join(dir, "gw.db"), "RESETGW_ADMIN_TOKEN="+adminTok,
		"RESETGW_SMTP_URL="+sink.URL(), "RESETGW_MAIL_FROM=reset@acme.example",
		"RESETGW_SEND_TIMEOUT=3s", "RESETGW_LOG_LEVEL=debug")
	start := func() (*exec.Cmd, *syncBuf) {
		cmd := exec.Command(bin, "serve")
		cmd.Env = env
		out := &syncBuf{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, out
	}
	g := gw{t: t, base: "http://" + listen}
	cmd, out := start()
	g.waitHealthy()
	for i := range n {
		code, m := g.call("POST", "/admin/api/personnel", map[string]any{"name": fmt.Sprintf("Crew %d", i),
			"email": email(i), "tags": []string{"crew-a", "spring-2027"}})
		if code != 201 {
			t.Fatalf("create %d: %d %v", i, code, m)
		}
	}
	code, m := g.call("POST", "/admin/api/bulk", map[string]any{"action": "reset", "filter": map[string]any{"tag": "spring-2027"}})
	if code != 202 {
		t.Fatalf("bulk: %d %v", code, m)
	}
	job := m["job_id"].(string)
	// Kill once the relay holds the stalled run and every mail it took is
	// recorded, as the gateway would have it between any two instants. A
	// kill between the relay's answer and the commit of it would resend
	// those few (SMTP has no way to ask whether a mail arrived): that
	// window is the engine's, not the job's.
	var atKill map[string]any
	for i := 0; ; i++ {
		_, _, got := sink.counts()
		_, jm := g.call("GET", "/admin/api/bulk/"+job, nil)
		time.Sleep(100 * time.Millisecond)
		_, _, again := sink.counts()
		// The relay took nothing more meanwhile: the lane is held by the
		// stalled run, so nothing is in flight unrecorded.
		if got >= 300 && jm["sent"] == float64(got) && again == got {
			atKill = jm
			break
		}
		if i > 1500 {
			t.Fatalf("%d mails reached the relay, job %v\n%s", got, jm, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	_, _, before := sink.counts()
	if before >= n {
		t.Fatalf("the whole job went before the kill (%d mails): nothing left to resume", before)
	}
	sink.unstall()

	_, out = start()
	g.waitHealthy()
	for i := 0; ; i++ {
		_, m = g.call("GET", "/admin/api/bulk/"+job, nil)
		if m["state"] == "done" {
			break
		}
		if i > 3000 { // 60 s: the killed claims' leases run out first
			t.Fatalf("job not done after the restart: %v\n%s", m, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if m["total"] != float64(n) || m["sent"] != float64(n) || m["failed"] != 0.0 {
		t.Errorf("job after the restart: %v", m)
	}
	byID, byRcpt, got := sink.counts()
	if got != n {
		t.Errorf("relay accepted %d mails, want %d (%d before the kill)", got, n, before)
	}
	for id, c := range byID {
		if c > 1 || id == "" {
			t.Errorf("Message-ID %q accepted %d times", id, c)
		}
	}
	for i := range n {
		if c := byRcpt[email(i)]; c != 1 {
			t.Errorf("%s got %d mails", email(i), c)
		}
	}
	t.Logf("%d mails before the kill (job then %v), %d after", before, atKill, got-before)
}
