package smtp_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/resetgw/resetgw/carriers/smtp"
	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
	"github.com/resetgw/resetgw/gateway"
)

// fakeDNS answers from a table, so tests need no DNS server and no
// address off this machine is ever dialed.
type fakeDNS map[string][]string

func (f fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	list, ok := f[strings.ToLower(host)]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, s := range list {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

func port(srv *smtptest.Server) string {
	_, p, _ := net.SplitHostPort(srv.Addr())
	return p
}

func tenantMsg(url string) *gateway.Message {
	m := emailMsg()
	m.Tenant = &gateway.Tenant{ID: 9, Slug: "hvac", SMTP: &gateway.SMTPProfile{URL: url, From: "desk@hvac.example"}}
	return m
}

func TestHardening08_TenantSMTPRefusesInternalHosts(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	p := port(srv)
	dns := fakeDNS{
		"relay.evil.example":  {"127.0.0.1"},
		"meta.evil.example":   {"169.254.169.254"},
		"mixed.evil.example":  {"8.8.8.8", "127.0.0.1"},
		"lan.evil.example":    {"192.168.0.10"},
		"v6meta.evil.example": {"fd00:ec2::254"},
	}
	s := newSender(t, srv, func(c *smtp.Config) { c.Resolver = dns })
	for _, host := range []string{
		"127.0.0.1", "127.1.2.3", "localhost", "[::1]", "[::ffff:127.0.0.1]", "10.0.0.1", "172.16.0.1",
		"192.168.1.1", "169.254.169.254", "[fd00:ec2::254]", "[fe80::1]", "100.64.0.1", "0.0.0.0",
		"224.0.0.1", "relay.evil.example", "meta.evil.example", "mixed.evil.example",
		"lan.evil.example", "v6meta.evil.example",
	} {
		t.Run(host, func(t *testing.T) {
			url := "smtp://relay:" + password + "@" + host + ":" + p
			_, err := s.Send(testCtx(t), tenantMsg(url))
			se := gateway.AsSendError(err)
			if err == nil || se.Class != gateway.FailConfig || se.Code != "smtp_host_not_allowed" || se.Fix == "" {
				t.Fatalf("Send = %v (%+v), want a configuration failure smtp_host_not_allowed", err, se)
			}
			// The admin's test email goes the same way.
			_, err = s.Test(testCtx(t), &gateway.SMTPProfile{URL: url, From: "desk@hvac.example"}, to, "Test", "hello")
			if se := gateway.AsSendError(err); se.Code != "smtp_host_not_allowed" {
				t.Fatalf("Test = %v, want smtp_host_not_allowed", err)
			}
			for _, leak := range []string{"127.0.0.1", "169.254", "192.168", "fd00", password} {
				if strings.Contains(se.Error(), leak) && !strings.Contains(host, leak) {
					t.Errorf("error %q tells %q", se.Error(), leak)
				}
			}
			assertClean(t, err)
		})
	}
	if n := srv.Connections(); n != 0 {
		t.Fatalf("the internal server was connected to %d times", n)
	}

	// The operator's own profile is not held to it: its relay is usually
	// on this machine.
	if _, err := s.Send(testCtx(t), emailMsg()); err != nil {
		t.Fatalf("default profile on loopback: %v", err)
	}
	// A host the operator allow-lists is usable by tenants (with TLS, as
	// its name is not this machine's).
	tlsSrv := smtptest.Start(t, smtptest.Options{TLS: true})
	allowed := newSender(t, tlsSrv, func(c *smtp.Config) {
		c.Resolver = fakeDNS{"relay.internal.example": {"127.0.0.1"}}
		c.AllowHosts = []string{"Relay.Internal.Example"}
	})
	if _, err := allowed.Send(testCtx(t), tenantMsg("smtp://relay.internal.example:"+port(tlsSrv)+"?tls=opportunistic")); err != nil {
		t.Fatalf("allow-listed tenant host: %v", err)
	}
}

func TestHardening08_CheckTenantURL(t *testing.T) {
	s := smtp.New(smtp.Config{AllowHosts: []string{"10.9.9.9"}})
	for _, u := range []string{
		"smtp://127.0.0.1:25", "smtp://localhost:25", "smtp://[::1]:25", "smtp://169.254.169.254",
		"smtp://10.0.0.1:587", "smtp://100.64.1.1", "smtp://mail.example.com?ca=/etc/ssl/ca.pem",
		"smtp://mail.example.com?tls=none", "smtp://mail.example.com?bogus=1",
	} {
		if err := s.CheckTenantURL(u); err == nil {
			t.Errorf("CheckTenantURL(%q) accepted it", u)
		}
	}
	for _, u := range []string{"smtp://mail.example.com:587", "smtps://mail.example.com?tls=opportunistic", "smtp://10.9.9.9:25"} {
		if err := s.CheckTenantURL(u); err != nil {
			t.Errorf("CheckTenantURL(%q) = %v", u, err)
		}
	}
}

// bannerServer answers every connection with a line that is not SMTP, as
// a Redis or an HTTP server on an internal port would.
func bannerServer(t *testing.T, banner string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, banner+"\r\n")
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

func TestHardening08_TenantSeesClassifiedErrorNotBanner(t *testing.T) {
	const banner = "-ERR internal-redis-7.2 requirepass hunter2"
	addr := bannerServer(t, banner)
	s := smtp.New(smtp.Config{AllowHosts: []string{"127.0.0.1"}})
	defer s.Close()
	_, err := s.Send(testCtx(t), tenantMsg("smtp://"+addr))
	if err == nil || strings.Contains(err.Error(), "redis") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("tenant sees %v", err)
	}
	// The operator does see what answered, for their own relay.
	op := smtp.New(smtp.Config{Default: gateway.SMTPProfile{URL: "smtp://" + addr, From: fromAddr}})
	defer op.Close()
	if _, err := op.Send(testCtx(t), emailMsg()); err == nil || !strings.Contains(err.Error(), "redis") {
		t.Fatalf("operator sees %v", err)
	}
}

// stripProxy relays to target but blanks out "STARTTLS" in what the server
// says, as an attacker on the path does to keep the session in clear.
func stripProxy(t *testing.T, target string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, up)
			mu.Unlock()
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(up, c); up.Close() }()
			go func() {
				defer wg.Done()
				r := bufio.NewReader(up)
				for {
					line, err := r.ReadBytes('\n')
					c.Write(bytes.ReplaceAll(line, []byte("STARTTLS"), []byte("XSTRIPPD")))
					if err != nil {
						c.Close()
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func TestHardening18_NoPlaintextAfterStrippedSTARTTLS(t *testing.T) {
	withTLS := smtptest.Start(t, smtptest.Options{TLS: true, Username: "relay", Password: password})
	stripped := stripProxy(t, withTLS.Addr())
	plainAuth := smtptest.Start(t, smtptest.Options{Username: "relay", Password: password})
	plain := smtptest.Start(t, smtptest.Options{})
	dns := fakeDNS{"relay.movers.example": {"127.0.0.1"}}
	tests := []struct {
		name string
		srv  *smtptest.Server
		url  string
	}{
		{"credentials, STARTTLS stripped on the way", withTLS, "smtp://relay:" + password + "@" + stripped},
		{"credentials, server offers no STARTTLS", plainAuth, "smtp://relay:" + password + "@" + plainAuth.Addr()},
		{"credentials, smtp://localhost", plainAuth, "smtp://relay:" + password + "@localhost:" + port(plainAuth)},
		{"relay not on this machine, no STARTTLS", plain, "smtp://relay.movers.example:" + port(plain)},
		{"relay not on this machine, tls=opportunistic", plain, "smtp://relay.movers.example:" + port(plain) + "?tls=opportunistic"},
		{"tls=verify to loopback", plain, "smtp://" + plain.Addr() + "?tls=verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSender(t, tt.srv, withURL(tt.url), func(c *smtp.Config) { c.Resolver = dns })
			_, err := s.Send(testCtx(t), emailMsg())
			se := gateway.AsSendError(err)
			if err == nil || se.Class != gateway.FailConfig || se.Code != "starttls_missing" || se.Fix == "" {
				t.Fatalf("Send = %v (%+v), want a configuration failure starttls_missing", err, se)
			}
			assertClean(t, err)
			if n := len(tt.srv.Messages()); n != 0 {
				t.Fatalf("%d messages went in clear", n)
			}
		})
	}

	// The one case plain text is fine: no credentials, to this machine.
	if _, err := newSender(t, plain).Send(testCtx(t), emailMsg()); err != nil {
		t.Fatalf("plain loopback relay without credentials: %v", err)
	}
	// And the operator may say so outright for a relay of their own.
	op := newSender(t, plain, withURL("smtp://relay.movers.example:"+port(plain)+"?tls=none"), func(c *smtp.Config) { c.Resolver = dns })
	if _, err := op.Send(testCtx(t), emailMsg()); err != nil {
		t.Fatalf("operator's tls=none: %v", err)
	}
	// Credentials in clear go to nothing but this machine, even then.
	op = newSender(t, plainAuth, withURL("smtp://relay:"+password+"@relay.movers.example:"+port(plainAuth)+"?tls=none"),
		func(c *smtp.Config) { c.Resolver = dns })
	_, err := op.Send(testCtx(t), emailMsg())
	if se := gateway.AsSendError(err); se.Class != gateway.FailConfig || se.Code != "tls_required" {
		t.Fatalf("AUTH in clear to another host: %v", err)
	}
	if n := len(plainAuth.Messages()); n != 0 {
		t.Fatalf("%d messages went out", n)
	}
}

// TestEngine_SMTPSelfSignedLoopbackOpportunistic is the local Postfix with
// its self-signed certificate: the default URL delivers, encrypted;
// tls=verify refuses with a configuration failure that says what to do;
// ca= naming the certificate verifies it.
func TestEngine_SMTPSelfSignedLoopbackOpportunistic(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: true})
	base := "smtp://" + srv.Addr()
	// No TLSConfig: the system's roots, which do not know the certificate.
	s := smtp.New(smtp.Config{Default: gateway.SMTPProfile{URL: base, From: fromAddr}})
	defer s.Close()
	if _, err := s.Send(testCtx(t), emailMsg()); err != nil {
		t.Fatalf("default URL to a self-signed loopback relay: %v", err)
	}
	msgs, _ := srv.Wait(testCtx(t), 1)
	if !msgs[0].TLS {
		t.Fatal("the message went in clear although the relay offers STARTTLS")
	}

	v := smtp.New(smtp.Config{Default: gateway.SMTPProfile{URL: base + "?tls=verify", From: fromAddr}})
	defer v.Close()
	_, err := v.Send(testCtx(t), emailMsg())
	se := gateway.AsSendError(err)
	if err == nil || se.Class != gateway.FailConfig || se.Code != "tls_certificate" ||
		!strings.Contains(se.Fix, "tls=opportunistic") || !strings.Contains(se.Fix, "ca=") {
		t.Fatalf("tls=verify: %v (%+v), want a configuration failure whose Fix explains", err, se)
	}

	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	withCA := smtp.New(smtp.Config{Default: gateway.SMTPProfile{URL: base + "?tls=verify&ca=" + ca, From: fromAddr}})
	defer withCA.Close()
	if _, err := withCA.Send(testCtx(t), emailMsg()); err != nil {
		t.Fatalf("tls=verify with ca=: %v", err)
	}
	if n := len(srv.Messages()); n != 2 {
		t.Fatalf("%d messages, want 2", n)
	}
	// smtps:// verifies too, unless told otherwise; a tenant cannot name a CA.
	_, err = s.Send(testCtx(t), tenantMsg("smtp://mail.example.com?ca="+ca))
	if se := gateway.AsSendError(err); se.Class != gateway.FailConfig || se.Code != "smtp_config" {
		t.Fatalf("tenant ca=: %v", err)
	}
}
