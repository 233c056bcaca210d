package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
)

func (g gw) routes() []map[string]any {
	g.t.Helper()
	req, _ := http.NewRequest("GET", g.base+"/admin/api/routes", nil)
	req.Header.Set("Authorization", "Bearer "+adminTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		g.t.Fatalf("routes: %v", err)
	}
	return out
}

// TestEngine_SMTPSelfSignedLoopbackOpportunisticE2E is the most common
// local relay, a Postfix on 127.0.0.1 with its self-signed certificate:
// the gateway delivers to it with the plain default URL (encrypted), and
// under ?tls=verify it does not retry the mail as a blip but shows the
// relay's lane as needing attention, with the fix, in /admin/api/routes.
func TestEngine_SMTPSelfSignedLoopbackOpportunisticE2E(t *testing.T) {
	for _, tt := range []struct {
		name, query string
		verify      bool
	}{{"default URL", "", false}, {"tls=verify", "?tls=verify", true}} {
		t.Run(tt.name, func(t *testing.T) {
			mailSrv := smtptest.Start(t, smtptest.Options{TLS: true})
			tw := twiliotest.Start(t, sid, authToken)
			listen := freeAddr(t)
			env := providerEnv(t, filepath.Join(t.TempDir(), "gw.db"), mailSrv, tw, listen)
			for i, kv := range env {
				if strings.HasPrefix(kv, "RESETGW_SMTP_URL=") {
					env[i] += tt.query
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			var stdout, stderr syncBuf
			done := make(chan error, 1)
			go func() { done <- run(ctx, []string{"serve"}, envFunc(env), nil, &stdout, &stderr) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("run: %v", err)
				}
			}()
			g := gw{t: t, base: "http://" + listen}
			g.waitHealthy()
			g.person("ana@acme.example", "+12015550123")
			id := g.reset("ana@acme.example", "+12015550123")
			g.waitState(id, "delivered") // the text goes out either way

			if !tt.verify {
				wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
				defer wcancel()
				mails, err := mailSrv.Wait(wctx, 1)
				if err != nil {
					t.Fatal(err)
				}
				if !mails[0].TLS {
					t.Fatal("mail went in clear to a relay offering STARTTLS")
				}
				return
			}
			var lane map[string]any
			for range 200 {
				for _, l := range g.routes() {
					if l["kind"] == "smtp" && l["state"] == "needs_attention" {
						lane = l
					}
				}
				if lane != nil {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if lane == nil {
				t.Fatalf("no SMTP lane needs attention: %v", g.routes())
			}
			fix, _ := lane["fix"].(string)
			if !strings.Contains(fix, "tls=opportunistic") || !strings.HasPrefix(lane["lane"].(string), "smtp:127.0.0.1:") ||
				!strings.Contains(lane["reason"].(string), "tls_certificate") {
				t.Fatalf("lane %v", lane)
			}
			if n := len(mailSrv.Messages()); n != 0 {
				t.Fatalf("%d mails delivered under tls=verify to an unverifiable relay", n)
			}
		})
	}
}
