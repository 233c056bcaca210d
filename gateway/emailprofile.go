package gateway

import (
	"context"
	"net/url"
	"strings"
)

// EmailProfileInput is the console's email profile form: the server URL
// without credentials, the user name and password apart (the password is
// never shown back, so an empty one keeps the stored one), and From.
type EmailProfileInput struct {
	Tenant   string
	URL      string // smtp://host:587 or smtps://host:465; "" removes the profile
	Username string
	Password string
	From     string
}

// EmailProfileView is a stored profile as it may be shown: no password.
type EmailProfileView struct {
	Configured  bool
	URL         string // without credentials
	Username    string
	HasPassword bool
	From        string
}

// ViewEmailProfile shows a profile without its secret.
func ViewEmailProfile(p *SMTPProfile) EmailProfileView {
	if p == nil || p.URL == "" {
		return EmailProfileView{}
	}
	v := EmailProfileView{Configured: true, From: p.From}
	u, err := url.Parse(p.URL)
	if err != nil {
		// Do not echo a URL that does not parse: it may hold a password.
		v.URL = "(unreadable)"
		return v
	}
	if u.User != nil {
		v.Username = u.User.Username()
		_, v.HasPassword = u.User.Password()
	}
	u.User = nil
	v.URL = u.String()
	return v
}

// SetEmailProfile saves a tenant's email (SMTP) profile from its parts.
func (s *Service) SetEmailProfile(ctx context.Context, a Actor, in EmailProfileInput) (*Tenant, error) {
	raw := strings.TrimSpace(in.URL)
	if raw == "" {
		return s.UpdateSettings(ctx, a, in.Tenant, SettingsPatch{SMTP: &SMTPProfile{}})
	}
	bad := Errorf(KindInvalid, "smtp_url_invalid", "SMTP URL must look like smtp://mail.example.com:587 or smtps://mail.example.com:465")
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
		u.Fragment != "" {
		return nil, bad
	}
	u.Path = ""
	user, pass := strings.TrimSpace(in.Username), in.Password
	if u.User != nil { // credentials written into the URL count too
		if user == "" {
			user = u.User.Username()
		}
		if p, ok := u.User.Password(); ok && pass == "" {
			pass = p
		}
		u.User = nil
	}
	if strings.ContainsAny(user+pass, "\r\n\x00") {
		return nil, Errorf(KindInvalid, "smtp_credentials_invalid", "user name and password must be one line")
	}
	if pass != "" && user == "" {
		return nil, Errorf(KindInvalid, "smtp_credentials_invalid", "a password needs a user name")
	}
	if pass == "" && user != "" {
		// Secrets are never shown back, so the form leaves it empty: keep
		// the stored one when it belongs to the same user on the same host.
		if t, err := s.scope(ctx, a, in.Tenant); err == nil && t.SMTP != nil {
			if old, err := url.Parse(t.SMTP.URL); err == nil && old.User != nil &&
				old.User.Username() == user && strings.EqualFold(old.Host, u.Host) {
				pass, _ = old.User.Password()
			}
		}
	}
	switch {
	case pass != "":
		u.User = url.UserPassword(user, pass)
	case user != "":
		u.User = url.User(user)
	}
	return s.UpdateSettings(ctx, a, in.Tenant, SettingsPatch{SMTP: &SMTPProfile{URL: u.String(), From: strings.TrimSpace(in.From)}})
}

// checkSMTPURL holds a tenant's SMTP URL to what the SMTP carrier accepts
// from a tenant (?tls= and nothing unknown; no internal hosts). Its
// texts never hold the URL's credentials.
func (s *Service) checkSMTPURL(raw string) error {
	if s.checkURL == nil {
		if u, err := url.Parse(raw); err != nil || u.RawQuery != "" || u.ForceQuery {
			return Errorf(KindInvalid, "smtp_url_invalid", "SMTP URL must look like smtp://mail.example.com:587 or smtps://mail.example.com:465")
		}
		return nil
	}
	if err := s.checkURL(raw); err != nil {
		return Errorf(KindInvalid, "smtp_url_invalid", "%s", err.Error())
	}
	return nil
}
