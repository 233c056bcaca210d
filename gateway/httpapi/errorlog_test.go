package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/gateway/httpapi"
)

// brokenLinks is a store whose link lookups fail: the link page answers 5xx.
type brokenLinks struct{ gateway.Store }

func (brokenLinks) ResetByLinkHash(context.Context, []byte) (*gateway.ResetRequest, error) {
	return nil, errors.New("disk I/O error")
}

type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A 5xx on a reset link's page logs the route's pattern, never the link's
// token, in the main log and the access log.
func TestServerErrorNeverLogsTheLinkToken(t *testing.T) {
	keys := gatewaytest.Keys(t)
	st, _ := gatewaytest.Store(t, keys)
	svc, err := gateway.New(gateway.Config{Store: brokenLinks{st}, Renderer: gatewaytest.Renderer{}, Keys: keys,
		Hasher: gatewaytest.Hasher(), Limits: gateway.DefaultLimits()})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncLog{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app := httpapi.New(httpapi.Config{Service: svc, Logger: log, AccessLog: log})
	const token = "LnkTokQ7vX2mP9kR4sT8wY" // well formed: 22 of base64url
	for _, method := range []string{"GET", "POST"} {
		req := httptest.NewRequest(method, "/r/"+token, strings.NewReader("password=Secret-pass-123&confirm=Secret-pass-123"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := app.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// A POST without the form's CSRF cookie may be refused first; it
		// still must not log the path.
		if method == "GET" && resp.StatusCode < 500 {
			t.Fatalf("%s /r/TOKEN with a failing store: %d, want a 5xx", method, resp.StatusCode)
		}
	}
	out := logs.String()
	if !strings.Contains(out, `"msg":"request failed"`) || !strings.Contains(out, `"route":"/r/:token"`) {
		t.Fatalf("the failure is not logged with its route:\n%s", out)
	}
	if strings.Contains(out, token) || strings.Contains(out, token[:12]) {
		t.Fatalf("the link's token reached the log:\n%s", out)
	}
}
