package httpapi

import (
	"bytes"
	"html/template"

	"github.com/gofiber/fiber/v2"
)

// The dev inbox exists only in demo mode: it shows what would have gone
// out by SMS and email, so a newcomer sees a reset arrive without any
// provider account.
var devInboxPage = template.Must(template.New("inbox").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="5"><title>resetgw dev inbox</title>
<style>
body{font:16px/1.4 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:12px 16px}h1{font-size:18px;margin:0}
main{max-width:760px;margin:0 auto;padding:12px}
.msg{background:#fff;border-radius:8px;padding:12px 14px;margin:10px 0;box-shadow:0 1px 2px #0002}
.meta{font-size:13px;color:#5b6475}.tag{display:inline-block;border-radius:4px;padding:1px 6px;font-size:12px;font-weight:600;color:#fff}
.sms{background:#0a7d38}.email{background:#2456c9}pre{white-space:pre-wrap;font:15px/1.4 ui-monospace,monospace;margin:8px 0 0}
.empty{color:#5b6475;text-align:center;padding:40px}
</style></head><body><header><h1>resetgw dev inbox</h1></header><main>
<p class="meta">Demo mode: nothing leaves this machine. Texts and emails land here (newest first; the page refreshes every 5 s).</p>
{{range .}}<div class="msg"><span class="tag {{.Channel}}">{{.Channel}}</span>
<span class="meta">{{.At.Format "15:04:05"}} · via {{.Route}} · to {{.To}}</span>
{{if .Subject}}<div><strong>{{.Subject}}</strong></div>{{end}}<pre>{{.Text}}</pre></div>
{{else}}<div class="empty">No messages yet. Request a reset and it shows up here.</div>{{end}}
</main></body></html>`))

func (s *Server) devInbox(c *fiber.Ctx) error {
	var buf bytes.Buffer
	if err := devInboxPage.Execute(&buf, s.inbox.Entries()); err != nil {
		return err
	}
	c.Type("html", "utf-8")
	return c.Send(buf.Bytes())
}

func (s *Server) devInboxJSON(c *fiber.Ctx) error {
	return c.JSON(s.inbox.Entries())
}
