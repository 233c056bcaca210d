package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/gateway/httpapi"
)

// lockedBuffer is a log sink the handlers may write from any goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func accessHarness(t *testing.T) (*harness, *lockedBuffer) {
	t.Helper()
	buf := &lockedBuffer{}
	h := newHarnessWith(t, token, func(c *httpapi.Config) {
		c.AccessLog = slog.New(slog.NewJSONHandler(buf, nil))
	})
	return h, buf
}

func accessLines(t *testing.T, buf *lockedBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(buf.String()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %s", sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// A whole reset, seen through the access log: a line per request, with
// the route's pattern, and not one secret of it (the new password, the
// admin token, the crew's old password, an id in a path, a query string).
func TestAccessLogCarriesNoSecret(t *testing.T) {
	h, buf := accessHarness(t)
	const oldPW = "original-crew-password-7"
	if code, m, _ := h.do("POST", "/admin/api/personnel", `{"name":"Ana","email":"ana@acme.example","status":"active",
		"mobile_access":true,"allow_mobile_reset":true,"password":"`+oldPW+`",
		"phones":[{"number":"+12015550123","type":"sms"}]}`, true); code != 201 {
		t.Fatalf("create person: %d %v", code, m)
	}
	code, m, hdr := h.do("POST", "/v1/password-resets", `{"email":"ana@acme.example","phone":"+12015550123"}`, false)
	if code != 202 || hdr.Get("X-Request-Id") == "" {
		t.Fatalf("reset: %d %v %v", code, m, hdr)
	}
	rid, _ := m["request_id"].(string)
	h.drain()
	msgs := h.sms.Messages()
	if len(msgs) == 0 {
		t.Fatal("no text sent")
	}
	newPW, ok := gatewaytest.Password(msgs[0].Text)
	if !ok {
		t.Fatalf("no password in %q", msgs[0].Text)
	}
	h.do("POST", "/v1/login", `{"email":"ana@acme.example","password":"`+newPW+`"}`, false)
	h.do("GET", "/admin/api/resets/"+rid+"?token="+newPW, "", true)
	h.do("GET", "/v1/no-such/"+newPW, "", false)

	raw := buf.String()
	for _, secret := range []string{newPW, oldPW, token, rid, "?token", "ana@acme.example"} {
		if strings.Contains(raw, secret) {
			t.Errorf("access log carries %q:\n%s", secret, raw)
		}
	}
	lines := accessLines(t, buf)
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 5:\n%s", len(lines), raw)
	}
	want := []struct {
		method, route string
		status        float64
	}{
		{"POST", "/admin/api/personnel", 201},
		{"POST", "/v1/password-resets", 202},
		{"POST", "/v1/login", 200},
		{"GET", "/admin/api/resets/:id", 200},
		{"GET", "", 404},
	}
	for i, w := range want {
		l := lines[i]
		if l["method"] != w.method || l["route"] != w.route || l["status"] != w.status {
			t.Errorf("line %d: %v, want %+v", i, l, w)
		}
		for _, k := range []string{"duration_ms", "bytes", "client_ip", "request_id"} {
			if _, ok := l[k]; !ok {
				t.Errorf("line %d has no %s: %v", i, k, l)
			}
		}
	}
}

// X-Request-Id is believed from a trusted proxy only, and only when it is
// plain; anyone else gets a fresh id echoed back.
func TestRequestIDFromTrustedProxyOnly(t *testing.T) {
	h, buf := accessHarness(t)
	code, _, hdr := h.doHeader("GET", "/healthz", "", http.Header{"X-Request-Id": {"forged-by-client"}})
	if code != 200 || hdr.Get("X-Request-Id") == "forged-by-client" || hdr.Get("X-Request-Id") == "" {
		t.Fatalf("untrusted peer's id: %d %q", code, hdr.Get("X-Request-Id"))
	}
	if strings.Contains(buf.String(), "forged-by-client") {
		t.Fatalf("untrusted id logged: %s", buf.String())
	}
}
