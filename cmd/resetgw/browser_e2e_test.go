package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/emersion/go-smtp"

	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
)

// The browser walks share one start: a demo gateway on loopback with its
// output kept, admins made with the real CLI, and a walk through the
// console in a headless Chromium whose steps are kept as screenshots.

// consoleOptions is what one walk's gateway differs by.
type consoleOptions struct {
	// mail is the relay the gateway sends through; nil configures no mail.
	mail *smtptest.Server
	// publicURL makes the links in messages point at the gateway itself.
	publicURL bool
}

// consoleGW is a demo gateway (serve --demo) started for a browser walk.
type consoleGW struct {
	gw
	t        *testing.T
	chromium string
	ctx      context.Context // serve's; it ends at the test's end
	env      func(string) string
	dir      string // the gateway's database lives here; fixtures may too
	stdout   syncBuf
	stderr   syncBuf
	cli      syncBuf // what the admin CLI wrote
}

// startConsoleGW skips without Chromium, then starts the demo gateway
// with o and waits until it is healthy. It stops at the test's end, after
// the browser.
func startConsoleGW(t *testing.T, o consoleOptions) *consoleGW {
	t.Helper()
	g := &consoleGW{t: t, chromium: needChromium(t), dir: t.TempDir()}
	listen := freeAddr(t)
	g.gw = gw{t: t, base: "http://" + listen}
	kv := []string{"RESETGW_LISTEN=" + listen, "RESETGW_DB=" + filepath.Join(g.dir, "gw.db"),
		"RESETGW_ADMIN_TOKEN=" + adminTok, "RESETGW_SEND_TIMEOUT=2s", "USER=e2e"}
	if o.mail != nil {
		kv = append(kv, "RESETGW_SMTP_URL="+o.mail.URL(), "RESETGW_MAIL_FROM=reset@demo.example")
	}
	if o.publicURL {
		kv = append(kv, "RESETGW_PUBLIC_URL="+g.base)
	}
	g.env = envFunc(kv)
	ctx, cancel := context.WithCancel(context.Background())
	g.ctx = ctx
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--demo"}, g.env, nil, &g.stdout, &g.stderr) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	g.waitHealthy()
	return g
}

// createAdmin makes a console admin with the CLI, as the README does
// ("resetgw admin create --email ... [--tenant ...]"), the password on
// stdin.
func (g *consoleGW) createAdmin(pass string, args ...string) {
	g.t.Helper()
	if err := run(g.ctx, append([]string{"admin", "create"}, args...), g.env, strings.NewReader(pass+"\n"),
		&g.cli, &g.cli); err != nil {
		g.t.Fatalf("admin create: %v\n%s", err, g.cli.String())
	}
}

// danaRolledBack makes the demo's Dana Reyes ask for a reset that cannot
// be delivered (her text would go through AT&T's retired gateway, and
// mailSrv refuses her address) and waits until it is rolled back: the
// failed delivery the console walks find.
func (g *consoleGW) danaRolledBack(mailSrv *smtptest.Server) {
	g.t.Helper()
	mailSrv.Reject("dana@demo.invalid", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"})
	code, m := g.call("POST", "/v1/password-resets", map[string]any{"email": "dana@demo.invalid", "phone": "+12015550127", "tenant": "demo"})
	if code != 202 {
		g.t.Fatalf("reset: %d %v", code, m)
	}
	g.waitState(m["request_id"].(string), "rolled_back")
}

// output is everything the gateway and the CLI wrote, for the check that
// no password reaches it.
func (g *consoleGW) output() string {
	return g.stdout.String() + g.stderr.String() + g.cli.String()
}

// browse opens a headless Chromium for a walk through g, bounded by
// timeout for the whole walk.
func (g *consoleGW) browse(timeout time.Duration) *walk {
	g.t.Helper()
	return &walk{t: g.t, ctx: newBrowser(g.t, g.chromium, timeout), base: g.base, shots: artifactsDir(g.t), stderr: &g.stderr}
}

// mailedLink waits for n messages at mailSrv and returns the last link in
// them that re matches, "" for none.
func mailedLink(t *testing.T, mailSrv *smtptest.Server, n int, re *regexp.Regexp) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := mailSrv.Wait(ctx, n)
	if err != nil {
		t.Fatalf("waiting for %d messages: %v", n, err)
	}
	var link string
	for _, msg := range msgs {
		body := string(msg.Data)
		if strings.Contains(msg.Header.Get("Content-Type"), "multipart") {
			body = mailText(t, msg.Data)
		}
		if l := re.FindString(body); l != "" {
			link = l
		}
	}
	return link
}

// walk is a browser walk: named steps kept as screenshots, and the page's
// text and layout read back.
type walk struct {
	t       *testing.T
	ctx     context.Context
	base    string
	shots   string
	stderr  *syncBuf
	started bool
}

func (w *walk) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	// The first call starts the browser and must not carry a short
	// timeout (it would end the browser); later steps get 30 s each.
	sctx := w.ctx
	if w.started {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeout(w.ctx, 30*time.Second)
		defer cancel()
	}
	w.started = true
	if err := chromedp.Do(sctx, actions...); err != nil {
		shot(w.t, w.ctx, w.shots, "FAILED-"+name)
		w.t.Fatalf("%s: %v\nserver log:\n%s", name, err, w.stderr.String())
	}
	shot(w.t, w.ctx, w.shots, name)
}

// signIn signs in on the console's sign-in page as email, as one step
// named name: the actions of before first (a viewport), then the form,
// then it waits for the CSS selector landing.
func (w *walk) signIn(name, email, pass, landing string, before ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	actions := append(append([]chromedp.Action[chromedp.Void]{}, before...), chromedp.Navigate(w.base+"/admin/login"), chromedp.WaitVisible(chromedp.ID("login-form")))
	actions = append(actions, fillSignIn(email, pass)...)
	w.step(name, append(actions, chromedp.WaitVisible(chromedp.CSS(landing)))...)
}

// clickAway clicks sel, which sends a form, and returns once the browser
// shows the page the form leads to. A wait that follows is then for that
// page: without it, waiting for an element the form's own page has too
// (its form, a notice, a status) would be done before the answer came,
// and the checks after it would read the page the form was sent from.
func clickAway[S chromedp.Selectable](sel S) chromedp.Action[chromedp.Void] {
	const mark = `window.resetgwFormSent`
	return chromedp.Steps(
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](mark+` = true`)(ctx, t)
			return err
		}),
		chromedp.Click(sel),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			var last error
			for {
				// The old page answers true until the new one replaces
				// it; while they change over, evaluating may fail.
				sent, err := chromedp.Evaluate[bool](mark+` === true`)(ctx, t)
				if err == nil && !sent {
					return nil
				}
				if err != nil {
					last = err
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("no new page after the click: %w (last error: %v)", ctx.Err(), last)
				case <-time.After(20 * time.Millisecond):
				}
			}
		}),
	)
}

// fillSignIn fills the sign-in form of the page open and sends it.
func fillSignIn(email, pass string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), pass),
		// The sign-in page has the landing's heading too: wait for the
		// answer, or the next step's navigation cuts the POST short.
		clickAway(chromedp.ID("sign-in")),
	}
}

func (w *walk) text(sel string) string {
	w.t.Helper()
	tctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		w.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (w *walk) eval(js string) int { return evalIn[int](w, js) }

// evalString runs js on the page for a string.
func (w *walk) evalString(js string) string { return evalIn[string](w, js) }

func evalIn[T any](w *walk, js string) T {
	w.t.Helper()
	tctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](js))
	if err != nil {
		w.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// present reports whether the page has an element matching sel.
func (w *walk) present(sel string) bool {
	w.t.Helper()
	return w.eval(`document.querySelectorAll(`+"`"+sel+"`"+`).length`) > 0
}

func (w *walk) url() string {
	w.t.Helper()
	tctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	u, err := chromedp.Run(tctx, chromedp.Location())
	if err != nil {
		w.t.Fatal(err)
	}
	return u
}

// noSideScroll fails when the page is wider than the viewport: every
// action must be reachable without scrolling sideways.
func (w *walk) noSideScroll(name string) {
	w.t.Helper()
	if n := w.eval(`document.documentElement.scrollWidth - innerWidth`); n > 0 {
		w.t.Fatalf("%s: the page scrolls sideways by %d px", name, n)
	}
}

// get fetches a console path with the browser's cookies (a download the
// test reads itself).
func (w *walk) get(path string) string {
	w.t.Helper()
	tctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	res, err := chromedp.Call(tctx, network.GetCookies, network.GetCookiesParams{URLs: []string{w.base + "/admin/"}})
	if err != nil {
		w.t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", w.base+path, nil)
	for _, c := range res.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		w.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return string(body)
}
