package main

import (
	"bytes"
	"io"
	"net"
	"net/mail"
	"os"
	"os/exec"
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

// stallSink is a real SMTP server (go-smtp on loopback) that counts every
// message it accepts by Message-ID, and can stall chosen recipients: their
// DATA is answered only when released, and then refused as temporary, so
// a stalled message is never accepted.
type stallSink struct {
	srv *smtp.Server
	ln  net.Listener

	mu       sync.Mutex
	stall    map[string]bool
	release  chan struct{}
	byID     map[string]int
	byRcpt   map[string]int
	accepted int
}

func startStallSink(t *testing.T, stalled ...string) *stallSink {
	t.Helper()
	s := &stallSink{stall: map[string]bool{}, release: make(chan struct{}), byID: map[string]int{}, byRcpt: map[string]int{}}
	for _, r := range stalled {
		s.stall[r] = true
	}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "sink.local"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	s.srv.MaxMessageBytes, s.srv.MaxRecipients = 1<<20, 10
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.unstall(); s.srv.Close() })
	return s
}

func (s *stallSink) URL() string { return "smtp://" + s.ln.Addr().String() }

// unstall ends every stall (those answered now are refused) and accepts
// the stalled recipients from now on.
func (s *stallSink) unstall() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.stall) > 0 {
		s.stall = map[string]bool{}
		close(s.release)
	}
}

func (s *stallSink) counts() (byID, byRcpt map[string]int, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	byID, byRcpt = map[string]int{}, map[string]int{}
	for k, v := range s.byID {
		byID[k] = v
	}
	for k, v := range s.byRcpt {
		byRcpt[k] = v
	}
	return byID, byRcpt, s.accepted
}

func (s *stallSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

type sinkSession struct {
	s  *stallSink
	to []string
}

func (se *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (se *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, strings.ToLower(to))
	return nil
}
func (se *sinkSession) Reset()        { se.to = nil }
func (se *sinkSession) Logout() error { return nil }

func (se *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.s.mu.Lock()
	stalled, release := false, se.s.release
	for _, to := range se.to {
		stalled = stalled || se.s.stall[to]
	}
	se.s.mu.Unlock()
	if stalled {
		select {
		case <-release:
		case <-time.After(30 * time.Second):
		}
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "stalled, try again"}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return err
	}
	se.s.mu.Lock()
	se.s.byID[msg.Header.Get("Message-Id")]++
	for _, to := range se.to {
		se.s.byRcpt[to]++
	}
	se.s.accepted++
	se.s.mu.Unlock()
	return nil
}

// TestKillWhileBatchHalfSentSendsNothingTwice kills the gateway with
// SIGKILL while two of twelve reset mails are stalled at the relay and
// the other ten have been accepted, then restarts it: the ten are
// delivered, and the relay accepted each message (by Message-ID and by
// recipient) at most once. The old worker recorded a batch only when its
// slowest send was done, so the ten accepted mails went out again. The
// two stalled mails had reached the relay whole (it stalls after the
// final dot), so it may have them: they are never sent again, their
// deliveries end answer_lost and their resets roll back.
func TestKillWhileBatchHalfSentSendsNothingTwice(t *testing.T) {
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
	slow := []string{"slow0@acme.example", "slow1@acme.example"}
	sink := startStallSink(t, slow...)
	tw := twiliotest.Start(t, sid, authToken)
	listen := freeAddr(t)
	env := append(os.Environ(),
		"RESETGW_LISTEN="+listen, "RESETGW_DB="+filepath.Join(dir, "gw.db"), "RESETGW_ADMIN_TOKEN="+adminTok,
		"RESETGW_SMTP_URL="+sink.URL(), "RESETGW_MAIL_FROM=reset@acme.example",
		"RESETGW_TWILIO_ACCOUNT_SID="+sid, "RESETGW_TWILIO_AUTH_TOKEN="+authToken,
		"RESETGW_TWILIO_FROM="+twFrom, "RESETGW_TWILIO_API_URL="+tw.URL(),
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
	var fast []string
	for i := range 10 {
		fast = append(fast, "fast"+string(rune('a'+i))+"@acme.example")
	}
	var ids []string
	for _, email := range append(append([]string(nil), slow...), fast...) {
		code, m := g.call("POST", "/admin/api/personnel", map[string]any{"name": "Crew " + email, "email": email,
			"status": "active", "mobile_access": true, "allow_mobile_reset": true, "password": origPW})
		if code != 201 {
			t.Fatalf("create %s: %d %v", email, code, m)
		}
		code, m = g.call("POST", "/v1/password-resets", map[string]any{"email": email})
		if code != 202 {
			t.Fatalf("reset: %d %v", code, m)
		}
		ids = append(ids, m["request_id"].(string))
	}
	// The ten fast mails reach the relay while the two slow ones hang.
	for i := 0; ; i++ {
		if _, _, n := sink.counts(); n == len(fast) {
			break
		}
		if i > 500 {
			_, _, n := sink.counts()
			t.Fatalf("%d of %d fast mails reached the relay while two stalled\n%s", n, len(fast), out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Give the gateway a moment to record what it sent, as it would have
	// between any two instants, then kill it. The moment is generous: a
	// loaded machine may take seconds, and a fast mail at the relay but
	// not yet recorded would rightly end answer_lost after the restart.
	for recorded := time.Now().Add(20 * time.Second); time.Now().Before(recorded); {
		sent := 0
		for _, id := range ids[len(slow):] {
			if _, m := g.call("GET", "/admin/api/resets/"+id, nil); m["state"] == "delivered" {
				sent++
			}
		}
		if sent == len(fast) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	sink.unstall()

	_, out = start()
	g.waitHealthy()
	for k, id := range ids {
		want := "delivered"
		if k < len(slow) {
			want = "rolled_back"
		}
		for i := 0; ; i++ {
			_, m := g.call("GET", "/admin/api/resets/"+id, nil)
			if m["state"] == want {
				if ds, _ := m["deliveries"].([]any); want == "rolled_back" &&
					(len(ds) != 1 || ds[0].(map[string]any)["error"] != "answer_lost") {
					t.Fatalf("stalled reset %s: %v, want its mail answer_lost", id, m)
				}
				break
			}
			if i > 1500 { // 30 s: the killed claims' leases run out first
				t.Fatalf("reset %s never %s after the restart: %v\n%s", id, want, m, out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// The stalled sessions are answered by now (refused): give a resend,
	// if there were one, the time to arrive.
	time.Sleep(500 * time.Millisecond)
	byID, byRcpt, n := sink.counts()
	if n != len(fast) {
		t.Errorf("relay accepted %d messages, want %d", n, len(fast))
	}
	for id, c := range byID {
		if c > 1 || id == "" {
			t.Errorf("Message-ID %q accepted %d times", id, c)
		}
	}
	for rcpt, c := range byRcpt {
		if c != 1 || slices.Contains(slow, rcpt) {
			t.Errorf("%s got %d mails", rcpt, c)
		}
	}
}
