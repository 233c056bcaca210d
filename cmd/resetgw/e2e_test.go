package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
)

// The end-to-end tests run the real gateway (in-process through run, or
// as a built binary that is killed with SIGKILL) against a real go-smtp
// server and a Twilio-shaped HTTP server on loopback.

const (
	sid       = "AC0123456789abcdef0123456789abcdef"
	authToken = "f00dfeedf00dfeedf00dfeedf00dfeed"
	adminTok  = "e2e-admin-token-long-enough-for-the-check"
	twFrom    = "+15005550006"
	origPW    = "original-crew-password-7"
)

// passwordLine finds the generated password on a line of its own, where
// every template puts it.
var passwordLine = regexp.MustCompile(`(?m)^\s*([A-HJ-NP-Za-km-z2-9!#$?]{10})\s*$`)

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type gw struct {
	t    testing.TB
	base string
}

func (g gw) call(method, path string, body any) (int, map[string]any) {
	g.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, g.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	if strings.HasPrefix(path, "/admin/") {
		req.Header.Set("Authorization", "Bearer "+adminTok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// waitHealthy polls /healthz, a bounded number of times.
func (g gw) waitHealthy() {
	g.t.Helper()
	for range 200 {
		resp, err := http.Get(g.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	g.t.Fatal("gateway never became healthy")
}

// waitState polls a reset until it reaches state, a bounded number of times.
func (g gw) waitState(id, state string) map[string]any {
	g.t.Helper()
	var m map[string]any
	for range 300 {
		_, m = g.call("GET", "/admin/api/resets/"+id, nil)
		if m["state"] == state {
			return m
		}
		time.Sleep(50 * time.Millisecond)
	}
	g.t.Fatalf("reset %s never reached %s: %v", id, state, m)
	return nil
}

// waitSettled polls a reset until none of its deliveries is pending: a
// request is delivered as soon as one channel has accepted, while the
// other channel's lane may still be sending.
func (g gw) waitSettled(id string) map[string]any {
	g.t.Helper()
	var m map[string]any
	for range 300 {
		_, m = g.call("GET", "/admin/api/resets/"+id, nil)
		ds, _ := m["deliveries"].([]any)
		pending := len(ds) == 0
		for _, d := range ds {
			if dm, _ := d.(map[string]any); dm["status"] == "pending" {
				pending = true
			}
		}
		if !pending {
			return m
		}
		time.Sleep(50 * time.Millisecond)
	}
	g.t.Fatalf("reset %s kept a pending delivery: %v", id, m)
	return nil
}

func (g gw) person(email, phone string) {
	g.t.Helper()
	code, m := g.call("POST", "/admin/api/personnel", map[string]any{
		"name": "Crew " + email, "email": email, "status": "active", "mobile_access": true,
		"allow_mobile_reset": true, "password": origPW,
		"phones": []map[string]any{{"number": phone, "type": "sms", "carrier": "verizon"}},
	})
	if code != 201 {
		g.t.Fatalf("create %s: %d %v", email, code, m)
	}
}

func (g gw) reset(email, phone string) string {
	g.t.Helper()
	code, m := g.call("POST", "/v1/password-resets", map[string]any{"email": email, "phone": phone})
	if code != 202 {
		g.t.Fatalf("reset: %d %v", code, m)
	}
	return m["request_id"].(string)
}

func (g gw) login(email, pw string) int {
	code, _ := g.call("POST", "/v1/login", map[string]any{"email": email, "password": pw})
	return code
}

// mailText returns the text/plain part of a message.
func mailText(t *testing.T, data []byte) string {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no text part: %v", err)
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				return string(b)
			}
		}
	}
}

func password(t *testing.T, text string) string {
	t.Helper()
	m := passwordLine.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no password in %q", text)
	}
	return m[1]
}

func providerEnv(t *testing.T, db string, mailSrv *smtptest.Server, tw *twiliotest.Server, listen string) []string {
	return []string{
		"RESETGW_LISTEN=" + listen, "RESETGW_DB=" + db, "RESETGW_ADMIN_TOKEN=" + adminTok,
		"RESETGW_SMTP_URL=" + mailSrv.URL(), "RESETGW_MAIL_FROM=reset@acme.example",
		"RESETGW_TWILIO_ACCOUNT_SID=" + sid, "RESETGW_TWILIO_AUTH_TOKEN=" + authToken,
		"RESETGW_TWILIO_FROM=" + twFrom, "RESETGW_TWILIO_API_URL=" + tw.URL(),
		"RESETGW_SEND_TIMEOUT=2s", "RESETGW_LOG_LEVEL=debug",
		// The key file goes to a config folder apart from the database,
		// as on an operator's machine, never the real user's.
		"XDG_CONFIG_HOME=" + filepath.Join(filepath.Dir(db), "config"),
	}
}

func envFunc(kv []string) func(string) string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	if m["XDG_CONFIG_HOME"] == "" && m["RESETGW_DB"] != "" {
		m["XDG_CONFIG_HOME"] = filepath.Join(filepath.Dir(m["RESETGW_DB"]), "config")
	}
	return func(k string) string { return m[k] }
}

// syncBuf is a log sink that tests read while the server writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeEndToEnd(t *testing.T) {
	mailSrv := smtptest.Start(t, smtptest.Options{})
	tw := twiliotest.Start(t, sid, authToken)
	listen := freeAddr(t)
	env := providerEnv(t, filepath.Join(t.TempDir(), "gw.db"), mailSrv, tw, listen)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuf
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, envFunc(env), nil, &stdout, &stderr) }()
	g := gw{t: t, base: "http://" + listen}
	g.waitHealthy()

	// Delivered on both channels; the password works, once promoted.
	g.person("ana@acme.example", "+12015550123")
	id := g.reset("ana@acme.example", "+1 (201) 555-0123")
	r := g.waitState(id, "delivered")
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	mails, err := mailSrv.Wait(wctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	texts, err := tw.Wait(wctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if texts[0].To != "+12015550123" || texts[0].From != twFrom || mails[0].To[0] != "ana@acme.example" {
		t.Fatalf("sms %+v mail to %v", texts[0], mails[0].To)
	}
	pw := password(t, texts[0].Body)
	if password(t, mailText(t, mails[0].Data)) != pw {
		t.Fatal("SMS and email carry different passwords")
	}
	r = g.waitSettled(id)
	for _, d := range r["deliveries"].([]any) {
		if dm := d.(map[string]any); dm["status"] != "sent" || dm["provider_id"] == nil {
			t.Fatalf("delivery %v", dm)
		}
	}
	if code := g.login("ana@acme.example", origPW); code != 200 {
		t.Fatalf("original before first use: %d", code)
	}
	if code := g.login("ana@acme.example", pw); code != 200 {
		t.Fatalf("new password: %d", code)
	}
	if code := g.login("ana@acme.example", origPW); code != 401 {
		t.Fatalf("original after first use: %d", code)
	}

	// Both channels refuse: rolled back with the providers' codes, and the
	// original password still works.
	g.person("bo@acme.example", "+12015550124")
	tw.Reject("+12015550124", 21211, 400, "The 'To' number +12015550124 is not a valid phone number.")
	mailSrv.Reject("bo@acme.example", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"})
	id = g.reset("bo@acme.example", "+12015550124")
	r = g.waitState(id, "rolled_back")
	codes := map[string]string{}
	for _, d := range r["deliveries"].([]any) {
		dm := d.(map[string]any)
		codes[dm["channel"].(string)], _ = dm["error"].(string)
	}
	if codes["sms"] != "21211" || !strings.HasPrefix(codes["email"], "550 5.1.1") {
		t.Fatalf("delivery errors %v", codes)
	}
	if code := g.login("bo@acme.example", origPW); code != 200 {
		t.Fatalf("original after rollback: %d", code)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	logs := stdout.String() + stderr.String()
	for _, secret := range []string{pw, origPW, authToken, adminTok} {
		if strings.Contains(logs, secret) {
			t.Fatalf("a secret reached the output: %.4q…", secret)
		}
	}
}

// TestKill9LosesNothing accepts a reset while SMTP and Twilio are down,
// kills the gateway with SIGKILL mid-retry, brings the providers back and
// restarts it: the reset is delivered and its password works.
func TestKill9LosesNothing(t *testing.T) {
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
	mailSrv := smtptest.Start(t, smtptest.Options{})
	tw := twiliotest.Start(t, sid, authToken)
	mailSrv.SetDown(true)
	tw.SetDown(twiliotest.Unavailable)
	listen := freeAddr(t)
	env := append(os.Environ(), providerEnv(t, filepath.Join(dir, "gw.db"), mailSrv, tw, listen)...)
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
	g.person("cy@acme.example", "+12015550125")
	id := g.reset("cy@acme.example", "+12015550125")
	// Wait until both channels have failed once and are waiting to retry.
	for i := 0; ; i++ {
		_, m := g.call("GET", "/admin/api/resets/"+id, nil)
		ds, _ := m["deliveries"].([]any)
		tried := 0
		for _, d := range ds {
			if dm := d.(map[string]any); dm["attempt_count"].(float64) >= 1 && dm["status"] == "pending" {
				tried++
			}
		}
		if tried == 2 {
			break
		}
		if i > 300 {
			t.Fatalf("deliveries never retried: %v\n%s", m, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if n := len(mailSrv.Messages()) + len(tw.Messages()); n != 0 {
		t.Fatalf("%d messages got through while down", n)
	}

	mailSrv.SetDown(false)
	tw.SetDown(twiliotest.Up)
	_, out = start()
	g.waitHealthy()
	r := g.waitState(id, "delivered")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mails, err := mailSrv.Wait(ctx, 1)
	if err != nil {
		t.Fatalf("no mail after restart: %v\n%s", err, out.String())
	}
	if _, err := tw.Wait(ctx, 1); err != nil {
		t.Fatalf("no SMS after restart: %v", err)
	}
	pw := password(t, mailText(t, mails[0].Data))
	if code := g.login("cy@acme.example", pw); code != 200 {
		t.Fatalf("login with the delivered password: %d (%v)", code, r)
	}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		if strings.Contains(sc.Text(), pw) {
			t.Fatalf("password in the log: %s", sc.Text())
		}
	}
}
