package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/gateway/httpapi"
)

type pagesHarness struct {
	t     *testing.T
	app   *httpapi.Server
	svc   *gateway.Service
	work  *gateway.Worker
	sms   *gatewaytest.Sender
	email *gatewaytest.Sender
}

func newPagesHarness(t *testing.T) *pagesHarness {
	t.Helper()
	keys := gatewaytest.Keys(t)
	st, _ := gatewaytest.Store(t, keys)
	svc, err := gateway.New(gateway.Config{Store: st, Renderer: gatewaytest.Renderer{}, Keys: keys,
		Hasher: gatewaytest.Hasher(), Limits: gateway.DefaultLimits(), DefaultTwilio: true,
		PublicURL: "https://reset.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.EnsureTenant(ctx, gateway.DefaultSlug, "Acme"); err != nil {
		t.Fatal(err)
	}
	mode := "link"
	if _, err := svc.UpdateSettings(ctx, gateway.Actor{Kind: gateway.ActorAdmin, ID: "t"}, "", gateway.SettingsPatch{ResetMode: &mode}); err != nil {
		t.Fatal(err)
	}
	h := &pagesHarness{t: t, svc: svc, sms: &gatewaytest.Sender{}, email: &gatewaytest.Sender{}}
	h.work = gateway.NewWorker(gateway.WorkerConfig{Service: svc, Senders: map[gateway.Route]gateway.Sender{
		gateway.RouteEmail: h.email, gateway.RouteTwilio: h.sms}})
	h.app = httpapi.New(httpapi.Config{Service: svc})
	if _, err := svc.CreatePerson(ctx, gateway.Actor{Kind: gateway.ActorAdmin, ID: "t"}, gateway.PersonInput{
		Name: "Ana", Email: "ana@example.com", Password: "original-crew-password-7",
		Phones: []gateway.PhoneInput{{Number: "+12015550123", Type: "sms"}}}); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *pagesHarness) drain() {
	for range 20 {
		if busy, err := h.work.Pass(context.Background()); err != nil {
			h.t.Fatal(err)
		} else if !busy {
			return
		}
	}
}

// page sends a request (a form when form is not nil) with the cookie and
// answers the status, the body and the cookie the answer set.
func (h *pagesHarness) page(method, path string, form url.Values, cookie string, hdr ...string) (int, string, string) {
	h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != "" {
		req.Header.Set("Cookie", "rgw_csrf="+cookie)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := h.app.App().Test(req, -1)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	set := cookie
	for _, c := range res.Cookies() {
		if c.Name == "rgw_csrf" {
			set = c.Value
		}
	}
	return res.StatusCode, string(b), set
}

var csrfField = regexp.MustCompile(`<form id="reset-form"[^>]*>\s*<input type="hidden" name="csrf" value="([0-9a-f]{32})">`)

func TestLinkPageGetNeverConsumesPostDoesOnce(t *testing.T) {
	h := newPagesHarness(t)
	if _, err := h.svc.RequestReset(context.Background(), gateway.ResetInput{Email: "ana@example.com",
		Phone: "+12015550123", IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	h.drain()
	msgs := h.sms.Messages()
	link, ok := gatewaytest.Link(msgs[0].Text)
	if !ok {
		t.Fatalf("no link in %q", msgs[0].Text)
	}
	path := strings.TrimPrefix(link, "https://reset.example.com")
	var cookie string
	for range 3 { // a mail scanner, a preview, the person
		status, body, c := h.page("GET", path, nil, "")
		if status != http.StatusOK || !csrfField.MatchString(body) || !strings.Contains(body, `name="password2"`) {
			t.Fatalf("GET %s: %d\n%s", path, status, body)
		}
		if strings.Contains(body, "<script") {
			t.Fatal("the page needs no script")
		}
		cookie = c
	}
	// Without the cookie's token: refused, the link still valid.
	form := url.Values{"password": {chosenPage}, "password2": {chosenPage}, "csrf": {"0123456789abcdef0123456789abcdef"}}
	if status, _, _ := h.page("POST", path, form, cookie); status != http.StatusUnprocessableEntity {
		t.Fatalf("POST with a forged token: %d", status)
	}
	form.Set("csrf", cookie)
	status, body, _ := h.page("POST", path, form, cookie)
	if status != http.StatusOK || !strings.Contains(body, "Password saved") {
		t.Fatalf("POST: %d\n%s", status, body)
	}
	if _, err := h.svc.Login(context.Background(), gateway.LoginInput{Email: "ana@example.com", Password: chosenPage}); err != nil {
		t.Fatalf("login with the chosen password: %v", err)
	}
	// Used: GET and POST show the used page with a new request offered.
	status, body, _ = h.page("GET", path+"?lang=es", nil, cookie)
	if status != http.StatusGone || !strings.Contains(body, "ya se usó") || !strings.Contains(body, `href="/reset/default?lang=es"`) {
		t.Fatalf("used link: %d\n%s", status, body)
	}
	if status, _, _ := h.page("POST", path, form, cookie); status != http.StatusGone {
		t.Fatalf("second POST: %d", status)
	}
	if status, _, _ := h.page("GET", "/r/not-a-token", nil, ""); status != http.StatusNotFound {
		t.Fatalf("unknown token: %d", status)
	}
}

const chosenPage = "a long chosen phrase for the crew"

func TestResetPageSpanishAndUniform(t *testing.T) {
	h := newPagesHarness(t)
	status, body, cookie := h.page("GET", "/reset", nil, "", "Accept-Language", "es-ES,es;q=0.9,en;q=0.5")
	m := csrfField.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil || !strings.Contains(body, `lang="es"`) || !strings.Contains(body, "¿Olvidaste tu contraseña?") {
		t.Fatalf("GET /reset: %d\n%s", status, body)
	}
	if !strings.Contains(body, `href="?lang=en"`) {
		t.Fatal("no language switch")
	}
	var answers []string
	for _, email := range []string{"ana@example.com", "nobody@example.com"} {
		form := url.Values{"email": {email}, "phone": {""}, "tenant": {""}, "csrf": {m[1]}, "lang": {"es"}}
		status, body, _ := h.page("POST", "/reset", form, cookie)
		if status != http.StatusAccepted {
			t.Fatalf("POST /reset %s: %d\n%s", email, status, body)
		}
		answers = append(answers, body)
	}
	if answers[0] != answers[1] {
		t.Fatal("the answer tells a known account from an unknown one")
	}
	h.drain()
	if len(h.email.Messages()) != 1 {
		t.Fatalf("%d mails, want one for the known account", len(h.email.Messages()))
	}
	// English by switch; bad input is a clear page, not a 500.
	form := url.Values{"email": {"not an email"}, "csrf": {m[1]}, "lang": {"en"}}
	if status, body, _ := h.page("POST", "/reset", form, cookie); status != http.StatusBadRequest || !strings.Contains(body, "valid email") {
		t.Fatalf("bad email: %d\n%s", status, body)
	}
	if status, _, _ := h.page("POST", "/reset", url.Values{"email": {"ana@example.com"}}, ""); status != http.StatusForbidden {
		t.Fatalf("no CSRF token: %d", status)
	}
}

func TestPasswordPageChanges(t *testing.T) {
	h := newPagesHarness(t)
	status, body, cookie := h.page("GET", "/password", nil, "")
	if status != http.StatusOK || !strings.Contains(body, `name="old_password"`) {
		t.Fatalf("GET /password: %d\n%s", status, body)
	}
	form := url.Values{"email": {"ana@example.com"}, "old_password": {"wrong-password-here"}, "password": {chosenPage},
		"password2": {chosenPage}, "csrf": {cookie}}
	if status, body, _ := h.page("POST", "/password", form, cookie); status != http.StatusUnauthorized || !strings.Contains(body, "wrong") {
		t.Fatalf("wrong old password: %d\n%s", status, body)
	}
	form.Set("old_password", "original-crew-password-7")
	form.Set("password2", chosenPage+"x")
	if status, _, _ := h.page("POST", "/password", form, cookie); status != http.StatusUnprocessableEntity {
		t.Fatalf("differing passwords: %d", status)
	}
	form.Set("password2", chosenPage)
	if status, body, _ := h.page("POST", "/password", form, cookie); status != http.StatusOK || !strings.Contains(body, "Password changed") {
		t.Fatalf("change: %d\n%s", status, body)
	}
	res, err := h.svc.Login(context.Background(), gateway.LoginInput{Email: "ana@example.com", Password: chosenPage})
	if err != nil || res.MustChange {
		t.Fatalf("login after the change: %+v %v", res, err)
	}
}
