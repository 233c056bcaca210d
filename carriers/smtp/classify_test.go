package smtp

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/resetgw/resetgw/gateway"
)

func reply(code int, ec gosmtp.EnhancedCode, msg string) *gosmtp.SMTPError {
	return &gosmtp.SMTPError{Code: code, EnhancedCode: ec, Message: msg}
}

var noEC = gosmtp.NoEnhancedCode

// TestClassify covers every failure the SMTP sender tells apart: whose
// fault it is decides whether the engine retries, slows the lane, pauses
// it for an admin, or gives up on this recipient.
func TestClassify(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name  string
		err   error
		class gateway.FailureClass
		code  string
	}{
		// recipient
		{"550 5.1.1 unknown mailbox at RCPT", &stagedError{stageRcpt, reply(550, gosmtp.EnhancedCode{5, 1, 1}, "No such user")}, gateway.FailRecipient, "550 5.1.1"},
		{"553 5.1.3 bad address syntax", &stagedError{stageRcpt, reply(553, gosmtp.EnhancedCode{5, 1, 3}, "Bad syntax")}, gateway.FailRecipient, "553 5.1.3"},
		{"550 5.1.10 null MX", &stagedError{stageRcpt, reply(550, gosmtp.EnhancedCode{5, 1, 10}, "Null MX")}, gateway.FailRecipient, "550 5.1.10"},
		{"550 without enhanced code at RCPT", &stagedError{stageRcpt, reply(550, noEC, "mailbox unavailable")}, gateway.FailRecipient, "550"},
		{"551 user not local", &stagedError{stageRcpt, reply(551, noEC, "User not local")}, gateway.FailRecipient, "551"},
		{"553 mailbox name not allowed", &stagedError{stageRcpt, reply(553, noEC, "not allowed")}, gateway.FailRecipient, "553"},
		{"552 5.2.2 mailbox full", &stagedError{stageRcpt, reply(552, gosmtp.EnhancedCode{5, 2, 2}, "Mailbox full")}, gateway.FailRecipient, "552 5.2.2"},
		{"550 5.4.1 recipient access denied", &stagedError{stageRcpt, reply(550, gosmtp.EnhancedCode{5, 4, 1}, "Access denied")}, gateway.FailRecipient, "550 5.4.1"},
		{"550 5.7.1 refused for this recipient", &stagedError{stageRcpt, reply(550, gosmtp.EnhancedCode{5, 7, 1}, "Recipient address rejected: Access denied")}, gateway.FailRecipient, "550 5.7.1"},
		{"5.1.1 at end of DATA", &stagedError{stageData, reply(550, gosmtp.EnhancedCode{5, 1, 1}, "No such user")}, gateway.FailRecipient, "550 5.1.1"},
		// configuration
		{"535 5.7.8 bad credentials", &stagedError{stageAuth, reply(535, gosmtp.EnhancedCode{5, 7, 8}, "Authentication credentials invalid")}, gateway.FailConfig, "535 5.7.8"},
		{"534 5.7.9 mechanism too weak", &stagedError{stageAuth, reply(534, gosmtp.EnhancedCode{5, 7, 9}, "Please log in with your web browser")}, gateway.FailConfig, "534 5.7.9"},
		{"530 5.7.0 auth required at MAIL", &stagedError{stageMail, reply(530, gosmtp.EnhancedCode{5, 7, 0}, "Authentication required")}, gateway.FailConfig, "530 5.7.0"},
		{"530 at AUTH (STARTTLS first)", &stagedError{stageAuth, reply(530, gosmtp.EnhancedCode{5, 7, 0}, "Must issue a STARTTLS command first")}, gateway.FailConfig, "530 5.7.0"},
		{"550 5.7.1 relaying denied", &stagedError{stageRcpt, reply(550, gosmtp.EnhancedCode{5, 7, 1}, "Relaying denied")}, gateway.FailConfig, "550 5.7.1"},
		{"553 5.1.8 sender domain at MAIL", &stagedError{stageMail, reply(553, gosmtp.EnhancedCode{5, 1, 8}, "Sender address rejected")}, gateway.FailConfig, "553 5.1.8"},
		{"554 at the greeting", &stagedError{stageHello, reply(554, noEC, "No SMTP service here")}, gateway.FailConfig, "554"},
		{"certificate by an unknown authority", &stagedError{stageTLS, x509.UnknownAuthorityError{}}, gateway.FailConfig, "tls_certificate"},
		{"certificate for another host", &stagedError{stageTLS, x509.HostnameError{Certificate: &x509.Certificate{}, Host: "mail.example.com"}}, gateway.FailConfig, "tls_certificate"},
		{"expired certificate", &stagedError{stageTLS, x509.CertificateInvalidError{Reason: x509.Expired}}, gateway.FailConfig, "tls_certificate"},
		{"STARTTLS missing (or stripped)", &stagedError{stageTLS, errNoSTARTTLS}, gateway.FailConfig, "starttls_missing"},
		{"credentials in clear", &stagedError{stageAuth, errPlainAuth}, gateway.FailConfig, "tls_required"},
		{"no AUTH offered", &stagedError{stageAuth, errNoAuth}, gateway.FailConfig, "auth_unsupported"},
		{"tenant host is internal", &stagedError{stageConnect, errInternalHost}, gateway.FailConfig, "smtp_host_not_allowed"},
		{"host name does not resolve", &stagedError{stageConnect, &net.DNSError{Err: "no such host", Name: "mail.nowhere.example", IsNotFound: true}}, gateway.FailConfig, "host_not_found"},
		{"ca file unreadable", &stagedError{stageTLS, errCAFile}, gateway.FailConfig, "ca_unreadable"},
		// rate
		{"451 4.7.1 try later (policy)", &stagedError{stageRcpt, reply(451, gosmtp.EnhancedCode{4, 7, 1}, "Try again later")}, gateway.FailRate, "451 4.7.1"},
		{"421 4.7.0 too many connections", &stagedError{stageHello, reply(421, gosmtp.EnhancedCode{4, 7, 0}, "Too many connections")}, gateway.FailRate, "421 4.7.0"},
		{"452 4.5.3 too many recipients", &stagedError{stageRcpt, reply(452, gosmtp.EnhancedCode{4, 5, 3}, "Too many recipients")}, gateway.FailRate, "452 4.5.3"},
		{"450 4.2.1 receiving too fast", &stagedError{stageRcpt, reply(450, gosmtp.EnhancedCode{4, 2, 1}, "Receiving mail at a rate that prevents delivery")}, gateway.FailRate, "450 4.2.1"},
		// transient
		{"421 4.3.2 shutting down", &stagedError{stageMail, reply(421, gosmtp.EnhancedCode{4, 3, 2}, "Service not available")}, gateway.FailTransient, "421 4.3.2"},
		{"451 without enhanced code", &stagedError{stageData, reply(451, noEC, "Local error")}, gateway.FailTransient, "451"},
		{"452 4.3.1 out of storage", &stagedError{stageData, reply(452, gosmtp.EnhancedCode{4, 3, 1}, "Insufficient storage")}, gateway.FailTransient, "452 4.3.1"},
		{"454 4.7.0 temporary AUTH failure", &stagedError{stageAuth, reply(454, gosmtp.EnhancedCode{4, 7, 0}, "Temporary authentication failure")}, gateway.FailTransient, "454 4.7.0"},
		{"connection refused", &stagedError{stageConnect, refused}, gateway.FailTransient, "connect"},
		{"timeout", &stagedError{stageHello, &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}}, gateway.FailTransient, "timeout"},
		{"connection lost mid-DATA", &stagedError{stageData, io.ErrUnexpectedEOF}, gateway.FailTransient, "connect"},
		{"TLS handshake broken", &stagedError{stageTLS, errors.New("tls: first record does not look like a TLS handshake")}, gateway.FailTransient, "tls"},
		{"reply out of protocol", &stagedError{stageMail, reply(999, noEC, "what")}, gateway.FailTransient, "999"},
		// this message only
		{"552 5.3.4 message too big", &stagedError{stageData, reply(552, gosmtp.EnhancedCode{5, 3, 4}, "Message too big")}, "", "552 5.3.4"},
		{"554 5.7.1 content refused at DATA", &stagedError{stageData, reply(554, gosmtp.EnhancedCode{5, 7, 1}, "Spam")}, "", "554 5.7.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, tenant := range []bool{false, true} {
				se := classify(context.Background(), tt.err, tenant)
				if se.Class != tt.class || se.Code != tt.code {
					t.Errorf("tenant=%v: got class %q code %q, want %q %q", tenant, se.Class, se.Code, tt.class, tt.code)
				}
				if se.Class == gateway.FailConfig && se.Fix == "" {
					t.Errorf("configuration failure without a Fix: %+v", se)
				}
				if se.Class != gateway.FailConfig && se.Fix != "" {
					t.Errorf("Fix on a %q failure: %+v", se.Class, se)
				}
			}
		})
	}
}

func TestClassifyCertificateFixExplains(t *testing.T) {
	se := classify(context.Background(), &stagedError{stageTLS, x509.UnknownAuthorityError{}}, false)
	for _, want := range []string{"tls=opportunistic", "ca="} {
		if !strings.Contains(se.Fix, want) {
			t.Errorf("Fix %q does not mention %s", se.Fix, want)
		}
	}
}

// TestClassifyTenantSeesNoServerText: a tenant's relay may be anything the
// URL points at; its bytes do not come back in the error, whatever the
// failure.
func TestClassifyTenantSeesNoServerText(t *testing.T) {
	const banner = "+OK redis-internal 10.1.2.3 secret-banner"
	for _, err := range []error{
		&stagedError{stageHello, reply(554, noEC, banner)},
		&stagedError{stageRcpt, reply(550, gosmtp.EnhancedCode{5, 1, 1}, banner)},
		&stagedError{stageHello, fmt.Errorf("short response: %s", banner)},
		&stagedError{stageConnect, fmt.Errorf("dial: %s", banner)},
		&stagedError{stageTLS, fmt.Errorf("tls: %s", banner)},
		&stagedError{stageData, fmt.Errorf("%s: %w", banner, io.EOF)},
	} {
		if se := classify(context.Background(), err, true); strings.Contains(se.Error(), "banner") {
			t.Errorf("tenant sees %q", se.Error())
		}
		if se := classify(context.Background(), err, false); !strings.Contains(se.Error(), "banner") {
			t.Errorf("operator does not see the server's words: %q", se.Error())
		}
	}
}
