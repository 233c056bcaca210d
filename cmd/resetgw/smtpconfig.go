package main

import (
	"fmt"
	"strings"

	carriersmtp "github.com/resetgw/resetgw/carriers/smtp"
)

// checkSMTP checks the operator's SMTP URL at start, with the parser the
// sender uses (so an unknown ?parameter or an unreadable ?ca= file stops
// the start instead of failing every mail), and reads the hosts tenants
// may use although they are internal. The operator's URL may say
// ?tls=none and ?ca=; a tenant's may not (see carriers/smtp).
func (c *config) checkSMTP(getenv func(string) string) error {
	for _, h := range strings.Split(getenv("RESETGW_SMTP_ALLOW_HOSTS"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			c.SMTPAllowHosts = append(c.SMTPAllowHosts, h)
		}
	}
	if c.SMTPURL == "" {
		return nil
	}
	ep, err := carriersmtp.ParseURL(c.SMTPURL)
	if err != nil {
		// The parser's texts never hold the credentials.
		return fmt.Errorf("RESETGW_SMTP_URL: %w", err)
	}
	if ep.CAFile != "" {
		if _, err := carriersmtp.LoadCA(ep.CAFile); err != nil {
			return fmt.Errorf("RESETGW_SMTP_URL: %w", err)
		}
	}
	return nil
}
