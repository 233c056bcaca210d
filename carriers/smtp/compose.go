package smtp

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/mail"

	"github.com/resetgw/resetgw/gateway"
)

// idEncoding writes the Message-ID's digest in lower-case base32.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// messageID names a delivery's mail under the sender's domain, the domain
// a bounce comes back to. It is the same for every attempt of a delivery
// (a digest of the delivery, its request and its tenant), so a mail that
// a relay took although its answer was lost, and that is sent again,
// arrives as the same message: receivers and people can tell the copy.
// The delivery id is in it so a human reading a bounce can find the
// delivery. A message without a delivery (a test) gets a random one.
func (s *Sender) messageID(fromAddr string, m *gateway.Message) string {
	domain := fromAddr[strings.LastIndexByte(fromAddr, '@')+1:]
	if !isDotAtom(domain) {
		domain = s.cfg.Hostname
		if !isDotAtom(domain) {
			domain = "resetgw.invalid"
		}
	}
	if m.DeliveryID == 0 {
		return fmt.Sprintf("resetgw.0.%s.%s@%s",
			strings.ToUpper(strconv.FormatInt(s.cfg.Clock().UnixNano(), 36)), rand.Text(), domain)
	}
	var tenant int64
	if m.Tenant != nil {
		tenant = m.Tenant.ID
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "resetgw message-id v1\x00%d\x00%s\x00%d", m.DeliveryID, m.RequestID, tenant))
	return fmt.Sprintf("resetgw.%d.%s@%s", m.DeliveryID, idEncoding.EncodeToString(sum[:15]), domain)
}

func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// compose writes the message. An email is multipart/alternative (text and
// HTML) when there is HTML; a carrier text is one text/plain part without
// HTML, because the gateway turns the whole body into the SMS.
func (s *Sender) compose(m *gateway.Message, from, to *mail.Address, id string) ([]byte, error) {
	var h mail.Header
	h.SetDate(s.cfg.Clock())
	h.SetAddressList("From", []*mail.Address{from})
	h.SetAddressList("To", []*mail.Address{to})
	h.SetMessageID(id)
	if subj := oneLine(m.Subject); subj != "" || m.Route == gateway.RouteEmail {
		h.SetSubject(subj)
	}
	if m.DeliveryID != 0 {
		h.Set("X-Resetgw-Delivery", strconv.FormatInt(m.DeliveryID, 10))
	}
	// RFC 3834: keeps vacation responders from answering a reset mail.
	h.Set("Auto-Submitted", "auto-generated")

	var buf bytes.Buffer
	if m.Route == gateway.RouteEmail && m.HTML != "" {
		w, err := mail.CreateInlineWriter(&buf, h)
		if err != nil {
			return nil, err
		}
		for _, p := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
			var ph mail.InlineHeader
			ph.SetContentType(p.typ, map[string]string{"charset": "utf-8"})
			pw, err := w.CreatePart(ph)
			if err != nil {
				return nil, err
			}
			if _, err := io.WriteString(pw, p.body); err != nil {
				return nil, err
			}
			if err := pw.Close(); err != nil {
				return nil, err
			}
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}

	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	if m.Route == gateway.RouteCarrier {
		// Quoted-printable breaks lines at 76 columns with a trailing "=";
		// gateways that pass the raw body on would put those into the
		// text. Texts are short: send them as they are.
		h.Set("Content-Transfer-Encoding", plainEncoding(m.Text))
	}
	w, err := mail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, m.Text); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// plainEncoding picks 7bit for ASCII text, 8bit for other UTF-8 with sane
// line lengths (go-smtp asks for BODY=8BITMIME when the server offers it),
// and quoted-printable only when nothing else is safe.
func plainEncoding(text string) string {
	if !utf8.ValidString(text) {
		return "quoted-printable"
	}
	ascii := true
	for _, line := range strings.Split(text, "\n") {
		if len(line) > 900 {
			return "quoted-printable"
		}
		for i := 0; i < len(line); i++ {
			if c := line[i]; c >= 0x80 {
				ascii = false
			} else if c == 0 || (c < 0x20 && c != '\t' && c != '\r') {
				return "quoted-printable"
			}
		}
	}
	if ascii {
		return "7bit"
	}
	return "8bit"
}

// oneLine keeps a header value on one line: a CR or LF in a subject would
// let a template add headers of its own.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}
