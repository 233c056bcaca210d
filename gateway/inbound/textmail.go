package inbound

import (
	"bufio"
	"errors"
	"io"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"github.com/resetgw/resetgw/gateway"
)

// MaxTextBytes is the most of a text TextMail.Body keeps. A keyword is one
// short word; the rest is kept only to show the admin what came in.
const MaxTextBytes = 1024

// readTextBytes is how much of the text part is read (after its leading
// white space) before it is cleaned and cut to MaxTextBytes.
const readTextBytes = 4 * MaxTextBytes

// TextMail is a text a phone sent to the gateway's address through its
// carrier's SMS/MMS-to-email gateway.
type TextMail struct {
	From string // the sender's address only, lower case: "2015550123@vtext.com"
	Body string // the text, trimmed, lines ending in \n, at most MaxTextBytes
}

// ParseTextMail reads a text that arrived as mail from number@carrier-domain:
// either a plain text/plain message (SMS gateways such as vtext.com) or a
// multipart one whose text is a text/plain part, often an attachment
// named text_0.txt beside an image or a SMIL layout (MMS gateways such as
// vzwpix.com). Without a text/plain part, Body is empty.
//
// Automatic mail (Auto-Submitted other than "no", or a report such as a
// bounce) is refused: answering it could start a mail loop with another
// robot.
func ParseTextMail(r io.Reader) (*TextMail, error) {
	e, err := message.Read(io.LimitReader(r, MaxMailBytes))
	if err != nil && !tolerable(err) {
		return nil, badMail(err)
	}
	h := mail.Header{Header: e.Header}
	if as := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); as != "" && !strings.HasPrefix(as, "no") {
		return nil, gateway.Errorf(gateway.KindInvalid, "auto_submitted", "automatic mail (Auto-Submitted: %.40s)", as)
	}
	if ct, _, _ := e.Header.ContentType(); strings.EqualFold(ct, "multipart/report") {
		return nil, gateway.Errorf(gateway.KindInvalid, "not_text_mail", "a report, not a text")
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) == 0 || from[0].Address == "" {
		return nil, gateway.Errorf(gateway.KindInvalid, "no_sender", "the mail has no usable From address")
	}
	tm := &TextMail{From: strings.ToLower(from[0].Address)}

	body, err := textPart(e)
	if err != nil {
		return nil, badMail(err)
	}
	tm.Body = cleanText(body)
	return tm, nil
}

// textPart returns the first bytes of the part that holds the text: a
// text/plain part named like a text (MMS gateways call it text_0.txt or
// text.txt) if there is one, else the first text/plain part. Parts after
// the first one are read only as far as the walk needs to find them.
func textPart(e *message.Entity) (string, error) {
	var first, named string
	var haveFirst, haveNamed bool
	err := e.Walk(func(path []int, part *message.Entity, err error) error {
		if err != nil && !tolerable(err) {
			return err
		}
		if len(path) > maxDepth {
			return errTooDeep
		}
		ct, params, _ := part.Header.ContentType()
		if !strings.EqualFold(ct, "text/plain") {
			return nil
		}
		isNamed := isTextAttachment(part.Header, params)
		if haveFirst && !isNamed {
			return nil
		}
		b, err := readText(part.Body)
		if err != nil && len(b) == 0 {
			return err
		}
		if !haveFirst {
			first, haveFirst = string(b), true
		}
		if isNamed {
			named, haveNamed = string(b), true
			return errDone
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDone) && !haveFirst {
		return "", err
	}
	if haveNamed {
		return named, nil
	}
	return first, nil
}

// readText reads the first readTextBytes of a text after its leading
// white space, however much of that there is.
func readText(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(r)
	for {
		c, err := br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, nil
			}
			return nil, err
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			br.UnreadByte()
			break
		}
	}
	return io.ReadAll(io.LimitReader(br, readTextBytes))
}

// isTextAttachment reports whether a text/plain part is named like the
// text of an MMS: text_0.txt, text.txt, TEXT_1.TXT.
func isTextAttachment(h message.Header, ctParams map[string]string) bool {
	name := ctParams["name"]
	if _, p, err := h.ContentDisposition(); err == nil && p["filename"] != "" {
		name = p["filename"]
	}
	name = strings.ToLower(name)
	return strings.HasPrefix(name, "text") && strings.HasSuffix(name, ".txt")
}

// cleanText makes the text valid UTF-8 with \n line ends, trims it, and
// cuts it to MaxTextBytes without splitting a rune.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.TrimSpace(s)
	if len(s) > MaxTextBytes {
		s = strings.TrimSpace(truncate(s, MaxTextBytes))
	}
	return s
}
