// Package inbound parses mail that arrives at the gateway: bounces (RFC 3464
// delivery status notifications, and VERP envelope addresses that tie a
// bounce to the delivery it is about) and texts that phones send to the
// gateway's address through their carrier's SMS-to-email gateway. It only
// parses; the SMTP listener decides what to do with the result.
package inbound

import (
	"bufio"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/emersion/go-message"
	// Registers every charset with go-message (it sets
	// message.CharsetReader), so that parts in ISO-8859-1, Windows-1252 or
	// Shift_JIS decode instead of failing.
	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/resetgw/resetgw/gateway"
)

// MaxMailBytes is the most of one message the parsers read. The SMTP
// listener should refuse bigger mail anyway (go-smtp's MaxMessageBytes);
// this bound keeps a parser safe when it is handed a stream directly.
const MaxMailBytes = 10 << 20

// maxPartBytes bounds what is read of the delivery-status part and of the
// quoted original's header: both are a few hundred bytes in real bounces.
const maxPartBytes = 256 << 10

// maxDiagnosticBytes bounds the diagnostic text kept per recipient: it is
// for the admin's failed-delivery queue and the log, not for archiving.
const maxDiagnosticBytes = 1024

// ErrNotDSN is what ParseDSN returns for mail that holds no
// message/delivery-status part: an out-of-office reply, a spam complaint
// (multipart/report; report-type=feedback-report), a bounce in a
// home-grown format.
var ErrNotDSN = &gateway.Error{Kind: gateway.KindInvalid, Code: "not_dsn", Message: "not a delivery status notification"}

// DSN is what a delivery status notification says about a message the
// gateway sent.
type DSN struct {
	// ReportingMTA is the host that wrote the report ("mx.example.com",
	// its "dns;" type dropped).
	ReportingMTA string
	// OriginalMessageID is the Message-ID of the returned message, without
	// angle brackets, when the report quotes its header.
	OriginalMessageID string
	// OriginalDelivery is the X-Resetgw-Delivery header of the original,
	// if quoted.
	OriginalDelivery string
	Recipients       []DSNRecipient
}

// DSNRecipient is one per-recipient block of a DSN.
type DSNRecipient struct {
	FinalRecipient    string // address, its "rfc822;" type dropped
	OriginalRecipient string // as the gateway gave it, when the MTA says
	Action            string // failed, delayed, delivered, relayed, expanded (lower case)
	Status            string // "5.1.1"; from the diagnostic when the Status field is missing or broken
	DiagnosticCode    string // "550 5.1.1 The email account ... does not exist", one line
}

// Permanent reports whether delivery to the recipient has ended in
// failure: the action is "failed" (whatever the status: a message that
// expired in a queue fails with a 4.x.x status) or the status is 5.x.x.
func (r DSNRecipient) Permanent() bool {
	return r.Action == "failed" || strings.HasPrefix(r.Status, "5.")
}

// Transient reports whether the MTA is still trying: the action is
// "delayed" or the status 4.x.x, and the failure is not Permanent. At most
// one of Permanent and Transient is true; a "delivered" report is neither.
func (r DSNRecipient) Transient() bool {
	if r.Permanent() {
		return false
	}
	return r.Action == "delayed" || strings.HasPrefix(r.Status, "4.")
}

// maxDepth bounds how deep multiparts may nest. Real mail nests three or
// four levels (report > related > alternative > text); each level reads
// through all the levels above it, so thousands of them would cost time
// quadratic in the size of the mail.
const maxDepth = 8

var errTooDeep = errors.New("multipart nested too deep")

// errDone stops the walk once everything is found: the rest of the mail
// (often the whole original, attachments and all) need not be read.
var errDone = errors.New("done")

// ParseDSN parses an RFC 3464 delivery status notification: a
// multipart/report whose message/delivery-status part is a per-message
// block of fields followed by one block per recipient, and whose
// message/rfc822 or text/rfc822-headers part quotes the original.
//
// A returned original may quote the whole message, password included:
// ParseDSN reads only its header, and callers must keep the raw mail out of
// logs and storage.
func ParseDSN(r io.Reader) (*DSN, error) {
	e, err := message.Read(io.LimitReader(r, MaxMailBytes))
	if err != nil && !tolerable(err) {
		return nil, badMail(err)
	}
	var (
		dsn          DSN
		haveStatus   bool
		haveOriginal bool
	)
	walkErr := e.Walk(func(path []int, part *message.Entity, err error) error {
		if err != nil && !tolerable(err) {
			return err
		}
		if len(path) > maxDepth {
			return errTooDeep
		}
		ct, _, _ := part.Header.ContentType()
		switch strings.ToLower(ct) {
		case "message/delivery-status", "message/global-delivery-status":
			if haveStatus {
				return nil
			}
			haveStatus = true
			if err := readStatus(part.Body, &dsn); err != nil {
				return err
			}
		case "message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers":
			if haveOriginal {
				return nil
			}
			haveOriginal = true
			readOriginal(part.Body, &dsn)
		}
		if haveStatus && haveOriginal {
			return errDone
		}
		return nil
	})
	switch {
	case !haveStatus && walkErr != nil && !errors.Is(walkErr, errDone):
		return nil, badMail(walkErr)
	case !haveStatus:
		return nil, ErrNotDSN
	case walkErr != nil && !errors.Is(walkErr, errDone) && len(dsn.Recipients) == 0:
		return nil, badMail(walkErr)
	case len(dsn.Recipients) == 0:
		return nil, gateway.Errorf(gateway.KindInvalid, "dsn_no_recipient", "the delivery status names no recipient")
	}
	// A broken part after the report (a truncated original) does not
	// undo what the report said.
	return &dsn, nil
}

// tolerable reports errors go-message returns alongside a readable part:
// an unknown charset or transfer encoding leaves the bytes as they are,
// which is fine for the ASCII fields a DSN is made of.
func tolerable(err error) bool {
	return message.IsUnknownCharset(err) || message.IsUnknownEncoding(err)
}

func badMail(err error) error {
	return &gateway.Error{Kind: gateway.KindInvalid, Code: "bad_mail", Message: "malformed mail", Err: err}
}

// readStatus reads the delivery-status body: header blocks separated by
// blank lines. Real reports are sloppy (several blank lines in a row, one
// at the start, whitespace on them, a line of prose among the fields), so
// lines that are no field, continuation or blank line are dropped first.
func readStatus(body io.Reader, dsn *DSN) error {
	raw, err := io.ReadAll(io.LimitReader(body, maxPartBytes))
	if err != nil && len(raw) == 0 {
		return err
	}
	var clean strings.Builder
	clean.Grow(len(raw))
	for line := range strings.Lines(string(raw)) {
		t := strings.TrimRight(line, "\r\n")
		switch {
		case strings.TrimSpace(t) == "":
			clean.WriteString("\r\n")
		case t[0] == ' ' || t[0] == '\t' || fieldLine.MatchString(t):
			clean.WriteString(t)
			clean.WriteString("\r\n")
		}
	}
	br := bufio.NewReader(strings.NewReader(clean.String()))
	for skipBlankLines(br) {
		h, err := textproto.ReadHeader(br)
		useStatusBlock(h, dsn)
		if err != nil {
			// Not expected after the cleaning; keep what was read.
			return nil
		}
	}
	return nil
}

// fieldLine is "Name: value" with a name as RFC 5322 allows it.
var fieldLine = regexp.MustCompile(`^[!-9;-~]+:`)

// skipBlankLines consumes blank lines, and continuation lines that follow
// one (they can belong to no field), and reports whether anything is left.
func skipBlankLines(br *bufio.Reader) bool {
	for {
		b, err := br.Peek(1)
		if err != nil {
			return false
		}
		switch b[0] {
		case '\r', '\n':
			br.ReadByte()
		case ' ', '\t':
			if _, err := br.ReadString('\n'); err != nil {
				return false
			}
		default:
			return true
		}
	}
}

// useStatusBlock takes the fields of one block. Per RFC 3464 the first
// block is per message and the others per recipient; the fields, not the
// position, decide here, as some MTAs put everything in one block.
func useStatusBlock(h textproto.Header, dsn *DSN) {
	if dsn.ReportingMTA == "" {
		dsn.ReportingMTA = typedValue(h.Get("Reporting-Mta"))
	}
	rcpt := DSNRecipient{
		FinalRecipient:    address(typedValue(h.Get("Final-Recipient"))),
		OriginalRecipient: address(typedValue(h.Get("Original-Recipient"))),
		Action:            strings.ToLower(firstWord(h.Get("Action"))),
		DiagnosticCode:    diagnostic(typedValue(h.Get("Diagnostic-Code"))),
	}
	rcpt.Status = enhancedCode(firstWord(h.Get("Status")))
	if rcpt.Status == "" {
		rcpt.Status = statusIn(rcpt.DiagnosticCode)
	}
	if rcpt.FinalRecipient == "" && rcpt.OriginalRecipient == "" && rcpt.Action == "" && rcpt.Status == "" {
		return
	}
	dsn.Recipients = append(dsn.Recipients, rcpt)
}

// readOriginal takes the Message-ID and X-Resetgw-Delivery of the quoted
// original; only its header is read.
func readOriginal(body io.Reader, dsn *DSN) {
	br := bufio.NewReader(io.LimitReader(body, maxPartBytes))
	// Some MTAs start the part with a blank line; the header is after it.
	skipBlankLines(br)
	h, _ := textproto.ReadHeader(br) // a partial header still has its fields
	mh := mail.Header{Header: message.Header{Header: h}}
	if id, err := mh.MessageID(); err == nil && id != "" {
		dsn.OriginalMessageID = id
	} else {
		dsn.OriginalMessageID = strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
	}
	dsn.OriginalDelivery = strings.TrimSpace(h.Get("X-Resetgw-Delivery"))
}

// typedValue drops the type of a typed DSN field: "rfc822; a@b" → "a@b",
// "dns; mx.example.com" → "mx.example.com", "smtp; 550 ..." → "550 ...".
func typedValue(v string) string {
	if _, rest, ok := strings.Cut(v, ";"); ok {
		return strings.TrimSpace(rest)
	}
	return strings.TrimSpace(v)
}

// address strips what some MTAs wrap an address in: <a@b>, quotes.
func address(v string) string {
	return strings.TrimSpace(strings.Trim(strings.TrimSpace(v), `<>"`))
}

func firstWord(v string) string {
	f := strings.Fields(v)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

var enhancedStatus = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}$`)

// enhancedCode returns v if it is an RFC 3463 status code, else "".
func enhancedCode(v string) string {
	if enhancedStatus.MatchString(v) {
		return v
	}
	return ""
}

var statusInText = regexp.MustCompile(`(?:^|[\s-])([245]\.\d{1,3}\.\d{1,3})(?:$|\s)`)

// statusIn finds an enhanced status code in a diagnostic text.
func statusIn(diag string) string {
	if m := statusInText.FindStringSubmatch(diag); m != nil {
		return m[1]
	}
	return ""
}

var replyPrefix = regexp.MustCompile(`^(\d{3})([ -])((?:[245]\.\d{1,3}\.\d{1,3})?)`)

// diagnostic makes an SMTP reply one readable line. A multi-line reply
// quoted in a DSN repeats its code on every line ("550-5.1.1 The email
// account ... Please try 550-5.1.1 double-checking ... 550 5.1.1 https://...");
// the repeats are dropped, leaving "550 5.1.1 The email account ...".
func diagnostic(v string) string {
	v = strings.Join(strings.Fields(v), " ")
	if m := replyPrefix.FindStringSubmatch(v); m != nil {
		code, enh := m[1], m[3]
		// A repeat is the code and, when the first line had one, the same
		// enhanced code: "550 MB" in the prose is left alone.
		repeat := `(?:^|\s)` + code + `-`
		if enh != "" {
			repeat = `(?:^|\s)` + code + `[ -]` + regexp.QuoteMeta(enh) + `(?:\s|$)`
		}
		rest := regexp.MustCompile(repeat).ReplaceAllString(v[len(m[0]):], " ")
		v = strings.Join(strings.Fields(code+" "+enh+" "+rest), " ")
	}
	return truncate(v, maxDiagnosticBytes)
}

// truncate cuts s to at most n bytes without splitting a rune.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// VERPAddress returns the envelope sender that ties a bounce to one
// delivery (variable envelope return path): "bounces@example.com", 42,
// "k7f3q9" → "bounces+d42-k7f3q9@example.com". The tag is the caller's
// HMAC over the id, so that nobody can forge a bounce for another delivery;
// it must be letters and digits. With an unusable bounce address, id or
// tag it returns bounceAddress unchanged: the bounce then still arrives,
// just without saying which delivery it is about.
func VERPAddress(bounceAddress string, deliveryID int64, tag string) string {
	at := strings.LastIndexByte(bounceAddress, '@')
	if at <= 0 || at == len(bounceAddress)-1 || deliveryID <= 0 || !validTag(tag) {
		return bounceAddress
	}
	return bounceAddress[:at] + "+d" + strconv.FormatInt(deliveryID, 10) + "-" + tag + bounceAddress[at:]
}

// ParseVERP reads the delivery id and tag out of a recipient built by
// VERPAddress from bounceAddress. The domain and the local part before the
// "+" compare case-insensitively (MTAs and mailbox providers change case);
// the tag is returned as found, for the caller to check with
// hmac.Equal, ideally in a form (lower-case hex) that case changes do not
// break.
func ParseVERP(rcpt, bounceAddress string) (deliveryID int64, tag string, ok bool) {
	rcpt = strings.Trim(strings.TrimSpace(rcpt), "<>")
	rat, bat := strings.LastIndexByte(rcpt, '@'), strings.LastIndexByte(bounceAddress, '@')
	if rat <= 0 || bat <= 0 {
		return 0, "", false
	}
	if !strings.EqualFold(rcpt[rat+1:], bounceAddress[bat+1:]) {
		return 0, "", false
	}
	local, base := rcpt[:rat], bounceAddress[:bat]
	if len(local) <= len(base) || !strings.EqualFold(local[:len(base)], base) {
		return 0, "", false
	}
	rest := local[len(base):]
	if len(rest) < 2 || rest[0] != '+' || (rest[1] != 'd' && rest[1] != 'D') {
		return 0, "", false
	}
	digits, tag, found := strings.Cut(rest[2:], "-")
	if !found || !validTag(tag) {
		return 0, "", false
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	// Only the canonical form: "+d042-" or "+d+42-" is not something the
	// gateway wrote.
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != digits {
		return 0, "", false
	}
	return id, tag, true
}

// validTag accepts what survives every MTA unchanged in a local part.
func validTag(tag string) bool {
	if tag == "" || len(tag) > 64 {
		return false
	}
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
