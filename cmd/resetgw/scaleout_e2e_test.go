package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
	"github.com/resetgw/resetgw/carriers/twilio/twiliotest"
)

// textLog stands in front of the Twilio-shaped server and notes every text
// it accepted: when, from which sender, to whom, with what body.
type textLog struct {
	mu    sync.Mutex
	texts []loggedText
}

type loggedText struct {
	at             time.Time
	from, to, body string
}

func startTextLog(t *testing.T, tw *twiliotest.Server) (*textLog, string) {
	l := &textLog{}
	target, _ := url.Parse(tw.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var form url.Values
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Messages.json") {
			body, _ := io.ReadAll(r.Body)
			form, _ = url.ParseQuery(string(body))
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		rec := &statusRecorder{ResponseWriter: w}
		proxy.ServeHTTP(rec, r)
		if form != nil && rec.status == http.StatusCreated {
			l.mu.Lock()
			l.texts = append(l.texts, loggedText{at: time.Now(), from: form.Get("From"), to: form.Get("To"), body: form.Get("Body")})
			l.mu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)
	return l, srv.URL
}

func (l *textLog) all() []loggedText {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.texts)
}

// Two gateway processes on one PostgreSQL take 1,000 resets from 16
// clients, and one of them is killed with SIGKILL mid-load. Every request
// that heard 202 ends delivered or rolled back, no message goes twice
// (each Message-ID once at the SMTP server, each SID and each password
// once at the Twilio-shaped one), and a tenant whose sender is paced at
// 1/s never gets more than 10 texts out in any 10 s, though both
// processes send them.
func TestKillOneOfTwoInstancesMidLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and sends 1,000 resets")
	}
	db := pgSchema(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "resetgw")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(err)
	}
	mailSrv := smtptest.Start(t, smtptest.Options{})
	tw := twiliotest.Start(t, sid, authToken)
	texts, twURL := startTextLog(t, tw)

	type proc struct {
		g   gw
		cmd *exec.Cmd
		out *syncBuf
	}
	start := func() proc {
		listen := freeAddr(t)
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(os.Environ(),
			"RESETGW_LISTEN="+listen, "RESETGW_DB="+db, "RESETGW_SECRET_KEY="+strings.Repeat("cd", 32),
			"RESETGW_ADMIN_TOKEN="+adminTok, "RESETGW_SMTP_URL="+mailSrv.URL(), "RESETGW_MAIL_FROM=reset@acme.example",
			"RESETGW_TWILIO_ACCOUNT_SID="+sid, "RESETGW_TWILIO_AUTH_TOKEN="+authToken,
			"RESETGW_TWILIO_FROM="+twFrom, "RESETGW_TWILIO_API_URL="+twURL,
			"RESETGW_RATE_LIMIT_IP=0", "RESETGW_RATE_LIMIT_TENANT=0",
			// A claim lasts the send timeout and 15 s: the killed
			// process's claims come back to the other after that.
			"RESETGW_SEND_TIMEOUT=2s", "RESETGW_LOG_LEVEL=warn", "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
		out := &syncBuf{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		g := gw{t: t, base: "http://" + listen}
		g.waitHealthy()
		return proc{g, cmd, out}
	}
	a, b := start(), start()

	// The bulk goes to the default tenant, whose texts may go as fast as
	// the mail (a pool of short codes); "paced" sends from a long code of
	// its own at 1 a second.
	const pacedFrom = "+12015550150"
	mustCall := func(g gw, method, path string, body any, want int) map[string]any {
		t.Helper()
		code, m := g.call(method, path, body)
		if code != want {
			t.Fatalf("%s %s: %d %v", method, path, code, m)
		}
		return m
	}
	mustCall(a.g, "PATCH", "/admin/api/settings", map[string]any{"sms_rate_per_second": 10000}, 200)
	mustCall(a.g, "POST", "/admin/api/tenants", map[string]any{"slug": "paced", "name": "Paced Co"}, 201)
	mustCall(a.g, "PATCH", "/admin/api/settings?tenant=paced", map[string]any{"allow_mobile_reset": true,
		"sms_rate_per_second": 1, "twilio": map[string]any{"account_sid": sid, "auth_token": authToken, "from": pacedFrom}}, 200)

	const bulk, paced, clients = 1000, 24, 16
	type job struct{ tenant, email, phone string }
	jobs := make([]job, 0, bulk+paced)
	var pacedPhones []string
	for i := range paced {
		jobs = append(jobs, job{"paced", fmt.Sprintf("paced%d@paced.example", i), benchPhone(bulk + i)})
		pacedPhones = append(pacedPhones, benchPhone(bulk+i))
	}
	for i := range bulk {
		jobs = append(jobs, job{"", fmt.Sprintf("crew%d@acme.example", i), benchPhone(i)})
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	post := func(base, path string, body any, admin bool) (int, map[string]any, error) {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		if admin {
			req.Header.Set("Authorization", "Bearer "+adminTok)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m, nil
	}
	// The crew, 16 at a time.
	parallel := func(n int, fn func(i int)) {
		next := make(chan int, n)
		for i := range n {
			next <- i
		}
		close(next)
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					fn(i)
				}
			}()
		}
		wg.Wait()
	}
	parallel(len(jobs), func(i int) {
		j := jobs[i]
		code, m, err := post(b.g.base, "/admin/api/personnel", map[string]any{"tenant": j.tenant, "name": "Crew", "email": j.email,
			"status": "active", "mobile_access": true, "allow_mobile_reset": true,
			"phones": []map[string]any{{"number": j.phone, "type": "sms"}}}, true)
		if err != nil || code != 201 {
			t.Errorf("create %s: %d %v %v", j.email, code, m, err)
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	// The load: requests alternate between the two; once one is dead, a
	// request it did not answer goes to the other.
	raw, err := sql.Open("pgx", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// sealers are whose in-memory key sealed each reset's pending texts
	// just after the kill (an instance seals what it resolves, whoever
	// accepted it): the killed instance's die with it.
	sealers := map[string]string{}
	noteSealers := func() {
		a.cmd.Wait()
		time.Sleep(200 * time.Millisecond) // a commit the kill cut short has ended
		rows, err := raw.Query(`SELECT request_id, sealed_by FROM deliveries
			WHERE status = 'pending' AND channel = 'sms' AND sealed_by IS NOT NULL AND request_id IS NOT NULL`)
		if err != nil {
			t.Error(err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			var id, by string
			if err := rows.Scan(&id, &by); err != nil {
				t.Error(err)
				return
			}
			sealers[id] = by
		}
	}
	var accepted sync.Map // request id -> job index
	var nAccepted atomic.Int64
	var killed atomic.Bool
	killAt := int64(bulk * 2 / 5)
	parallel(len(jobs), func(i int) {
		j := jobs[i]
		targets := []gw{a.g, b.g}
		if i%2 == 1 {
			targets = []gw{b.g, a.g}
		}
		for try := 0; try < 3; try++ {
			g := targets[try%2]
			if killed.Load() && g == a.g {
				continue
			}
			code, m, err := post(g.base, "/v1/password-resets", map[string]any{"email": j.email, "phone": j.phone, "tenant": j.tenant}, false)
			if err != nil || code != 202 {
				continue // the request may or may not be stored: the count below reads the store
			}
			accepted.Store(m["request_id"].(string), i)
			if nAccepted.Add(1) == killAt {
				if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Error(err)
				}
				killed.Store(true)
				noteSealers()
			}
			return
		}
		t.Errorf("reset %s: no instance accepted it", j.email)
	})
	if !killed.Load() {
		t.Fatal("the load ended before the kill")
	}
	t.Logf("killed one instance at %s", time.Now().Format("15:04:05.000"))
	a.cmd.Wait()

	// Every accepted request settles; the killed instance's claims come
	// back to the survivor when their lease runs out.
	// The requests are all those stored, answered or not: a request the
	// killed instance stored but could not answer was sent again to the
	// survivor, so it is a reset of its own that must settle too (and a
	// second text to that person is no resend).
	var ids []string
	rows, err := raw.Query(`SELECT id FROM reset_requests`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids, stored[id] = append(ids, id), true
	}
	rows.Close()
	answered := 0
	accepted.Range(func(k, _ any) bool {
		if answered++; !stored[k.(string)] {
			t.Errorf("request %s was answered 202 and is not stored", k)
		}
		return true
	})
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var open int
		if err := raw.QueryRow(`SELECT count(*) FROM reset_requests r WHERE r.id = ANY($1) AND (r.state NOT IN ('delivered', 'rolled_back')
			OR EXISTS (SELECT 1 FROM deliveries d WHERE d.request_id = r.id AND d.status = 'pending'))`, ids).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted requests still open\nsurvivor:\n%s", open, len(ids), tail(b.out.String(), 4000))
		}
		time.Sleep(250 * time.Millisecond)
	}
	var rolledBack int
	raw.QueryRow(`SELECT count(*) FROM reset_requests WHERE id = ANY($1) AND state = 'rolled_back'`, ids).Scan(&rolledBack)

	// Nothing twice: not even a mail the killed process handed to the
	// relay in its last moment, before it could record that (the
	// survivor finds its hand-over mark and does not send it again).
	time.Sleep(time.Second)
	// A text that kept failing on Twilio past the failover window moves
	// to the phone's carrier gateway and arrives here as mail to that
	// gateway: it counts as the reset's text, not as its email.
	// A mail the relay holds although the store records it answer_lost
	// (handed over, then the process died before the answer was written)
	// is the one way the store and the relay may disagree: counted apart.
	answerLost := func(to string) bool {
		var n int
		if err := raw.QueryRow(`SELECT count(*) FROM deliveries WHERE request_id = ANY($1) AND recipient = $2
			AND status = 'failed' AND error_code = 'answer_lost'`, ids, to).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	mids, lostMails, carrierTexts, lostTexts := map[string]bool{}, 0, 0, 0
	for _, m := range mailSrv.Messages() {
		id := m.Header.Get("Message-Id")
		if mids[id] || id == "" {
			t.Fatalf("mail %q (to %v) reached the relay twice\n%s", id, m.To, history(raw, m.To[0]))
		}
		mids[id] = true
		lost := answerLost(m.To[0])
		if to := m.To[0]; !strings.HasSuffix(to, "@acme.example") && !strings.HasSuffix(to, "@paced.example") {
			carrierTexts++
			if lost {
				lostTexts++
			}
			continue
		}
		if lost {
			lostMails++
		}
	}
	sent, bodies := texts.all(), map[string]bool{}
	for _, x := range sent {
		if bodies[x.body] {
			t.Fatalf("the text to %s went twice", x.to)
		}
		bodies[x.body] = true
	}
	sids := map[string]bool{}
	for _, x := range tw.Messages() {
		if sids[x.SID] {
			t.Fatalf("SID %s twice at the Twilio-shaped server", x.SID)
		}
		sids[x.SID] = true
	}
	// Each reset's text is at most one message at Twilio (the body is
	// redacted after its final status, so the log in front has them): a
	// number gets at most as many texts as it has resets.
	resetsTo := map[string]int{}
	perNumber, err := raw.Query(`SELECT recipient, count(DISTINCT request_id) FROM deliveries
		WHERE channel = 'sms' AND request_id IS NOT NULL GROUP BY recipient`)
	if err != nil {
		t.Fatal(err)
	}
	for perNumber.Next() {
		var to string
		var n int
		if err := perNumber.Scan(&to, &n); err != nil {
			t.Fatal(err)
		}
		resetsTo[to] = n
	}
	perNumber.Close()
	perTo := map[string]int{}
	for _, x := range sent {
		if perTo[x.to]++; perTo[x.to] > resetsTo[x.to] {
			t.Fatalf("%s got %d texts for %d resets", x.to, perTo[x.to], resetsTo[x.to])
		}
	}
	// What reached the servers is what the store says was sent: a channel
	// may end failed without a bug (a lookup before resend that could not
	// answer under load sends nothing rather than risk a second text), and
	// the request is then delivered by its other channel.
	storeSent := func(channel string) (n int) {
		if err := raw.QueryRow(`SELECT count(*) FROM deliveries WHERE request_id = ANY($1) AND channel = $2
			AND status IN ('sent', 'delivered', 'failed_late')`, ids, channel).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// A message the killed process was sending when it died, sealed under
	// its in-memory key, cannot be sent again by the survivor (nobody can
	// open it): it ends failed as "may have been sent" (and the reset's
	// other messages with it), though it may have arrived.
	maybeSent := func(channel string) (n int) {
		if err := raw.QueryRow(`SELECT count(*) FROM deliveries WHERE request_id = ANY($1) AND channel = $2
			AND error_code = 'outbox_key_gone_maybe_sent'`, ids, channel).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n, maybe := storeSent("email"), maybeSent("email"); len(mids)-carrierTexts-lostMails < n || len(mids)-carrierTexts-lostMails > n+maybe {
		t.Fatalf("%d mails at the server (%d of them answer_lost), the store says %d were sent and %d may have been (%d accepted, %d rolled back)",
			len(mids)-carrierTexts, lostMails, n, maybe, len(ids), rolledBack)
	}
	// The count is what the Twilio-shaped server stored: a text the killed
	// process sent is stored there even when its answer, cut off by the
	// kill, never passed the log in front (the survivor then finds it by
	// lookup and records it as sent).
	atTwilio := tw.Messages()
	if n, maybe := storeSent("sms"), maybeSent("sms"); len(atTwilio)+carrierTexts-lostTexts < n || len(atTwilio)+carrierTexts-lostTexts > n+maybe {
		t.Fatalf("%d texts at Twilio and %d through carrier gateways (%d answer_lost), the store says %d were sent and %d may have been (%d accepted, %d rolled back)",
			len(atTwilio), carrierTexts, lostTexts, n, maybe, len(ids), rolledBack)
	}
	// A delivered request whose text never went is explained by the
	// kill in one way alone, beside the rare lookup that could not answer:
	// the killed instance had resolved it, so its text was sealed under a
	// key that died with it, and its email had gone out (the password in
	// force), so nobody could send the text nor make a new password. How
	// many those are depends on how many texts waited when the kill came
	// (the paced tenant's wait 1 s each), so each is checked, not counted.
	var survivor string
	if err := raw.QueryRow(`SELECT id FROM instances WHERE alive_until > $1`, time.Now().UnixNano()).Scan(&survivor); err != nil {
		t.Fatalf("the survivor's liveness row: %v", err)
	}
	noText, err := raw.Query(`SELECT r.id, coalesce(max(d.error_code), '') FROM reset_requests r JOIN deliveries d ON d.request_id = r.id AND d.channel = 'sms'
		WHERE r.id = ANY($1) AND r.state = 'delivered'
		GROUP BY r.id HAVING count(*) FILTER (WHERE d.status IN ('sent', 'delivered', 'failed_late')) = 0`, ids)
	if err != nil {
		t.Fatal(err)
	}
	var keyGoneNoText, otherNoText int
	for noText.Next() {
		var id, code string
		if err := noText.Scan(&id, &code); err != nil {
			t.Fatal(err)
		}
		by, sealed := sealers[id]
		switch {
		case strings.HasPrefix(code, "outbox_key_gone") && sealed && by != survivor:
			keyGoneNoText++
		case strings.HasPrefix(code, "outbox_key_gone"):
			t.Errorf("request %s lost its text as %s, though its key was not the killed instance's (sealed by %q, survivor %q)", id, code, by, survivor)
		default:
			otherNoText++
		}
	}
	if err := noText.Err(); err != nil {
		t.Fatal(err)
	}
	noText.Close()
	if otherNoText > len(ids)/100 {
		t.Fatalf("%d of %d delivered requests got no text for reasons other than the killed instance's key: more than a kill explains",
			otherNoText, len(ids)-rolledBack)
	}

	// The paced sender kept 1/s across both instances: the 11th text
	// after any text comes 10 s after it or later (the slack is the send
	// path between the lane's slot and the server, on a busy machine).
	// Pacing is read from the log in front, which times each text to
	// the millisecond (the server's dates are whole seconds).
	var at []time.Time
	for _, x := range sent {
		if x.from == pacedFrom {
			at = append(at, x.at)
		}
	}
	slices.SortFunc(at, func(x, y time.Time) int { return x.Compare(y) })
	storedPaced := 0
	for _, x := range atTwilio {
		if x.From == pacedFrom {
			storedPaced++
		}
	}
	// A paced text the killed process had claimed (waiting for its 1/s
	// slot) was sealed under that process's in-memory key, gone with it:
	// when the reset's email had gone out, the survivor cannot send the
	// text (nobody can open it) nor make a new password (the one mailed
	// is in force), so the text ends failed, saying why. Every other
	// paced text arrives.
	var keyGone int
	if err := raw.QueryRow(`SELECT count(*) FROM deliveries d JOIN reset_requests r ON r.id = d.request_id
		WHERE r.id = ANY($1) AND d.channel = 'sms' AND d.error_code LIKE 'outbox_key_gone%' AND d.recipient = ANY($2)`,
		ids, pacedPhones).Scan(&keyGone); err != nil {
		t.Fatal(err)
	}
	if storedPaced+keyGone < paced || len(at) < storedPaced-1 {
		t.Fatalf("%d texts from the paced sender (%d timed, %d whose key died with the killed instance), want %d",
			storedPaced, len(at), keyGone, paced)
	}
	const slack = 400 * time.Millisecond
	for i := 0; i+10 < len(at); i++ {
		if gap := at[i+10].Sub(at[i]); gap < 10*time.Second-slack {
			t.Fatalf("11 texts from the 1/s sender within %v (from text %d)", gap, i)
		}
	}
	var regenerated, lost int
	raw.QueryRow(`SELECT count(*) FROM events WHERE type = 'reset_regenerated' AND request_id = ANY($1)`, ids).Scan(&regenerated)
	raw.QueryRow(`SELECT count(*) FROM deliveries WHERE request_id = ANY($1) AND error_code LIKE 'outbox_key_gone%'`, ids).Scan(&lost)
	t.Logf("%d stored, %d of them answered 202 (%d rolled back), %d mails (%d at the relay but recorded answer_lost), %d texts (%d more through carrier gateways, %d answer_lost), %d paced texts over %v (%d failed: key gone); "+
		"taken over from the killed instance: %d resets made again, %d messages failed as nobody could open them; delivered without a text: %d (key gone), %d (other)",
		len(ids), answered, rolledBack, len(mids)-carrierTexts, lostMails, len(atTwilio), carrierTexts, lostTexts, len(at), at[len(at)-1].Sub(at[0]).Round(time.Millisecond), keyGone,
		regenerated, lost, keyGoneNoText, otherNoText)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// history is what the store says of the requests to a recipient, for a
// failure's message.
func history(raw *sql.DB, to string) string {
	var b strings.Builder
	rows, err := raw.Query(`SELECT d.id, d.status, d.attempts, a.route, a.status, a.provider_id, a.error, a.at
		FROM deliveries d LEFT JOIN delivery_attempts a ON a.delivery_id = d.id WHERE d.recipient = $1 ORDER BY a.id`, to)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	for rows.Next() {
		var id, attempts int64
		var st string
		var route, ast, pid, aerr sql.NullString
		var at sql.NullInt64
		rows.Scan(&id, &st, &attempts, &route, &ast, &pid, &aerr, &at)
		fmt.Fprintf(&b, "delivery %d %s attempts=%d: attempt %s %s %s %s at %s\n", id, st, attempts, route.String, ast.String, pid.String, aerr.String, time.Unix(0, at.Int64).Format("15:04:05.000"))
	}
	evs, err := raw.Query(`SELECT e.type, e.code, e.detail, e.at FROM events e WHERE e.request_id IN (SELECT request_id FROM deliveries WHERE recipient = $1) ORDER BY e.id`, to)
	if err != nil {
		return b.String() + err.Error()
	}
	defer evs.Close()
	for evs.Next() {
		var typ, code, detail string
		var at int64
		evs.Scan(&typ, &code, &detail, &at)
		fmt.Fprintf(&b, "event %s %s %s at %s\n", typ, code, detail, time.Unix(0, at).Format("15:04:05.000"))
	}
	return b.String()
}
