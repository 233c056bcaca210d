package gateway

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits from RFC 5321: 254 bytes for a path's address (256 minus the
// angle brackets), 64 for a local part, 63 for a domain label.
const (
	maxEmailLen      = 254
	maxEmailLocalLen = 64
	maxDomainLabel   = 63
)

// NormalizeEmail returns s trimmed and lower-cased, if it is one plain
// address (an RFC 5322 addr-spec: no display name, angle brackets, comments
// or quoting) with a dotted host name for a domain. Personnel records keep
// emails in this form and a reset matches on it (DESIGN.md rule 3), so the
// lower-casing is deliberate even though a local part may in theory be
// case-sensitive: no mail system crews use relies on that.
//
// Errors (KindInvalid): email_required for an empty value, email_invalid
// for anything else refused. Messages do not quote the input.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Errorf(KindInvalid, "email_required", "email address is required")
	}
	if len(s) > maxEmailLen {
		return "", Errorf(KindInvalid, "email_invalid", "email address is too long")
	}
	if !utf8.ValidString(s) {
		return "", errBadEmail()
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", errBadEmail()
		}
	}
	s = strings.ToLower(s)
	// Lower-casing may change the length of non-ASCII text.
	if len(s) > maxEmailLen {
		return "", Errorf(KindInvalid, "email_invalid", "email address is too long")
	}
	a, err := mail.ParseAddress(s)
	// Giving back exactly s rules out "Name <a@b.c>", "<a@b.c>",
	// "a@b.c (comment)" and quoted local parts, which it rewrites.
	if err != nil || a.Name != "" || a.Address != s {
		return "", errBadEmail()
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at > maxEmailLocalLen || !validMailDomain(s[at+1:]) {
		return "", errBadEmail()
	}
	return s, nil
}

func errBadEmail() *Error {
	return Errorf(KindInvalid, "email_invalid", "not a valid email address")
}

// validMailDomain accepts a host name of at least two labels, each of
// letters, digits and inner hyphens (non-ASCII letters too, for
// internationalised names), with a top-level label that is not all digits.
// So no domain literals ("[1.2.3.4]"), no bare IPs, no "localhost": none
// of those is a crew member's mailbox.
func validMailDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > maxDomainLabel || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return strings.ContainsFunc(tld, func(r rune) bool { return !unicode.IsDigit(r) })
}
