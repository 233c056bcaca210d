package smtp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/resetgw/resetgw/gateway"
)

// stage names the step a failure happened at: the same reply means
// different things at RCPT (this recipient) and at MAIL or AUTH (this
// gateway's setup).
type stage int

const (
	stageConnect stage = iota
	stageTLS
	stageHello // the greeting, EHLO, STARTTLS's own reply
	stageAuth
	stageMail
	stageRcpt
	stageData
	// stageDot is the final dot and the relay's answer to it.
	stageDot
)

// stagedError carries the stage of a failure to classify.
type stagedError struct {
	stage stage
	err   error
}

func (e *stagedError) Error() string { return e.err.Error() }
func (e *stagedError) Unwrap() error { return e.err }

// Fixes, in the admin's words, for the failures only an admin can mend.
const (
	fixAuth         = "The mail server refused the user name or password: check them in the email profile."
	fixAuthRequired = "The mail server wants this gateway to log in: set a user name and password in the email profile."
	fixCert         = "The relay's certificate does not verify: use ?tls=opportunistic for a relay on this machine, ?ca=/path/ca.pem for a private CA (operator's URL only), or give the relay a certificate for its host name from a public CA."
	fixNoSTARTTLS   = "The relay did not offer STARTTLS, so nothing was sent in clear (the offer may have been stripped on the way): turn STARTTLS on at the relay or use smtps://; only the operator's RESETGW_SMTP_URL may say ?tls=none."
	fixPlainAuth    = "Credentials are only sent over TLS: drop ?tls=none or use a relay on this machine."
	fixNoAuth       = "The mail server offers no login: remove the user name and password from the email profile, or use the server's submission port (587)."
	fixInternal     = "Tenant email profiles may only use relays on the public internet. Ask the operator to allow this host (RESETGW_SMTP_ALLOW_HOSTS) if it is meant to be used."
	fixNoHost       = "The SMTP host name does not resolve: check the host in the email profile."
	fixSender       = "The mail server refused the sender address: check the From address of the email profile and what the server lets this gateway send as."
	fixRelay        = "The mail server will not relay for this gateway: log in with the profile's credentials or let this gateway's address relay."
	fixRefused      = "The mail server refuses this gateway's connection: check that this gateway may use it."
	fixCAFile       = "The operator's ?ca= file cannot be read or holds no PEM certificate."
)

func permanent(code, detail string) *gateway.SendError {
	return &gateway.SendError{Code: code, Detail: detail}
}

func temporary(code, detail string) *gateway.SendError {
	return &gateway.SendError{Class: gateway.FailTransient, Code: code, Detail: detail}
}

func configErr(code, detail, fix string) *gateway.SendError {
	return &gateway.SendError{Class: gateway.FailConfig, Code: code, Detail: detail, Fix: fix}
}

// classify turns a failure into a SendError. For a tenant's profile the
// detail is a fixed phrase for the class of failure, never the server's
// bytes: a tenant admin must not be able to read banners of whatever the
// URL points at.
func classify(ctx context.Context, err error, tenant bool) *gateway.SendError {
	var se *gateway.SendError
	if errors.As(err, &se) {
		return se
	}
	// The context closing the connection shows up as "use of closed
	// network connection"; say why it was closed instead.
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return temporary("timeout", "gave up waiting for the SMTP server: deadline reached")
		}
		return temporary("canceled", "the send was canceled")
	}
	st := stageConnect
	var staged *stagedError
	if errors.As(err, &staged) {
		st = staged.stage
	}
	text := func(phrase string) string {
		if tenant {
			return phrase
		}
		return clip(err.Error())
	}
	var smtpErr *gosmtp.SMTPError
	var dnsErr *net.DNSError
	var ne net.Error
	switch {
	case errors.As(err, &smtpErr):
		return fromSMTPError(smtpErr, st, tenant)
	case errors.Is(err, errInternalHost):
		return configErr("smtp_host_not_allowed", "the SMTP host resolves to an address that is not public", fixInternal)
	case errors.Is(err, errNoSTARTTLS):
		return configErr("starttls_missing", "the server does not offer STARTTLS; nothing was sent in clear", fixNoSTARTTLS)
	case errors.Is(err, errPlainAuth):
		return configErr("tls_required", errPlainAuth.Error(), fixPlainAuth)
	case errors.Is(err, errNoAuth):
		return configErr("auth_unsupported", errNoAuth.Error(), fixNoAuth)
	case errors.Is(err, errCAFile):
		return configErr("ca_unreadable", errCAFile.Error(), fixCAFile)
	case errors.Is(err, errNoAddress), errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return configErr("host_not_found", "the SMTP host name does not resolve", fixNoHost)
	case isCertError(err):
		return configErr("tls_certificate", text("the server's certificate does not verify"), fixCert)
	case errors.As(err, &ne) && ne.Timeout():
		return temporary("timeout", text("the server did not answer in time"))
	case isTLSError(err), st == stageTLS:
		return temporary("tls", text("the TLS handshake failed"))
	case st == stageConnect:
		return temporary("connect", text("connection refused or unreachable"))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, new(*net.OpError)):
		return temporary("connect", "connection lost: "+text("the server closed the connection"))
	}
	return temporary("smtp", text("the server's answer was not understood"))
}

// fromSMTPError classifies a reply by its code, its enhanced code and the
// command it answered.
func fromSMTPError(e *gosmtp.SMTPError, st stage, tenant bool) *gateway.SendError {
	code := strconv.Itoa(e.Code)
	ec := e.EnhancedCode
	hasEC := ec != gosmtp.NoEnhancedCode && ec != gosmtp.EnhancedCodeNotSet
	if hasEC {
		code += fmt.Sprintf(" %d.%d.%d", ec[0], ec[1], ec[2])
	}
	out := &gateway.SendError{Code: code, Detail: clip(e.Message)}
	if tenant {
		out.Detail = replyPhrase(e.Code, st)
	}
	set := func(class gateway.FailureClass, fix string) *gateway.SendError {
		out.Class, out.Fix = class, fix
		return out
	}
	authRequired := e.Code == 530 || (hasEC && ec == gosmtp.EnhancedCode{5, 7, 0})
	switch {
	case st == stageAuth && e.Code/100 == 5:
		return set(gateway.FailConfig, fixAuth)
	case e.Code/100 == 4:
		// 4.7.x is policy (throttling, greylisting), 4.5.3 too many
		// recipients, 4.2.1 a mailbox receiving too fast: the server wants
		// less from us, so the lane slows down. Any other 4xx: try again.
		if st != stageAuth && hasEC && (ec[1] == 7 || ec == gosmtp.EnhancedCode{4, 5, 3} || ec == gosmtp.EnhancedCode{4, 2, 1}) {
			return set(gateway.FailRate, "")
		}
		return set(gateway.FailTransient, "")
	case e.Code/100 != 5:
		// A reply out of protocol: nothing says it will not pass next time.
		return set(gateway.FailTransient, "")
	case authRequired:
		return set(gateway.FailConfig, fixAuthRequired)
	case st == stageConnect, st == stageTLS, st == stageHello:
		return set(gateway.FailConfig, fixRefused)
	case st == stageMail:
		return set(gateway.FailConfig, fixSender)
	case st == stageRcpt && hasEC && ec[1] == 7 && strings.Contains(strings.ToLower(e.Message), "relay"):
		return set(gateway.FailConfig, fixRelay)
	case hasEC && ec[1] == 1, // 5.1.x: bad mailbox or domain
		st == stageRcpt && hasEC && (ec[1] == 2 || ec[1] == 4 || ec[1] == 7), // mailbox disabled or full, no route, refused for this recipient
		st == stageRcpt && !hasEC && (e.Code == 550 || e.Code == 551 || e.Code == 553):
		return set(gateway.FailRecipient, "")
	}
	// This message is refused (size, content) without saying it is the
	// recipient's or the setup's fault.
	return set("", "")
}

// replyPhrase says what a refusal was about without the server's words.
func replyPhrase(code int, st stage) string {
	if code/100 == 4 {
		return "the server asked to try again later"
	}
	switch st {
	case stageAuth:
		return "authentication failed"
	case stageMail:
		return "the server rejected the sender"
	case stageRcpt:
		return "the server rejected the recipient"
	case stageData, stageDot:
		return "the server rejected the message"
	}
	return "the server refused the connection"
}

// isCertError reports a certificate that does not verify, as opposed to a
// handshake that broke for other reasons.
func isCertError(err error) bool {
	var (
		verifyErr *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	return errors.As(err, &verifyErr) || errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &invalid)
}

func isTLSError(err error) bool {
	var (
		recErr   tls.RecordHeaderError
		alertErr tls.AlertError
	)
	return errors.As(err, &recErr) || errors.As(err, &alertErr)
}

// clip keeps provider text short and on one line.
func clip(s string) string { return gateway.Clip(s, maxDetail) }

// redact removes the profile's password, in clear and as it travels in
// AUTH, from a failure's text. Nothing should put it there; this is the
// guarantee that nothing can.
func redact(ep *Endpoint, se *gateway.SendError) *gateway.SendError {
	if ep.Password == "" {
		return se
	}
	secrets := []string{
		ep.Password,
		base64.StdEncoding.EncodeToString([]byte("\x00" + ep.Username + "\x00" + ep.Password)),
		base64.StdEncoding.EncodeToString([]byte(ep.Password)),
	}
	out := *se
	for _, sec := range secrets {
		out.Detail = strings.ReplaceAll(out.Detail, sec, "[redacted]")
		out.Code = strings.ReplaceAll(out.Code, sec, "[redacted]")
	}
	return &out
}
