package gateway

import (
	"bufio"
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Limits for passwords that people choose or admins enter.
const (
	// DefaultMinPasswordLength applies when the tenant sets none: 15 is
	// NIST SP 800-63B rev. 4's minimum for a password that is the only
	// factor, as a crew member's is.
	DefaultMinPasswordLength = 15
	// MinPasswordLengthLow and MinPasswordLengthHigh bound what a tenant
	// may set.
	MinPasswordLengthLow  = 8
	MinPasswordLengthHigh = 64
	// maxPasswordBytes bounds the work a login costs and what the store
	// keeps; argon2id itself takes any length.
	maxPasswordBytes = 128
	// minLocalPartInPassword: shorter local parts ("bob", "jo") occur in
	// too many unrelated passwords to be worth refusing.
	minLocalPartInPassword = 4
)

//go:embed blocklist.txt
var blocklistText string

// commonPasswords is the embedded blocklist as a set, built on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 1200)
	sc := bufio.NewScanner(strings.NewReader(blocklistText))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[strings.ToLower(line)] = struct{}{}
	}
	return set
})

// isCommonPassword reports whether pw, lower-cased, is on the blocklist.
func isCommonPassword(pw string) bool {
	_, ok := commonPasswords()[strings.ToLower(pw)]
	return ok
}

// CheckPassword applies the rules for a password a person chooses or an
// admin enters (NIST SP 800-63B): at least minLen characters (runes; 15
// when minLen <= 0), at most 128 bytes, valid UTF-8 without control
// characters, not a common password (the embedded blocklist.txt, compared
// lower-cased) and not one of the person's own strings given in personal
// (email, name, email local part; compared case-insensitively), nor
// containing the local part of an email among them when that has at least
// 4 characters. There are no composition rules: they make
// passwords harder to remember, not harder to guess.
//
// The error is an *Error of KindUnprocessable with code password_too_short,
// password_too_long, password_invalid_chars, password_common or
// password_personal. Its message never contains the password.
func CheckPassword(pw string, minLen int, personal ...string) error {
	if minLen <= 0 {
		minLen = DefaultMinPasswordLength
	}
	// Length in bytes first, so that every later step works on a bounded
	// string.
	if len(pw) > maxPasswordBytes {
		return Errorf(KindUnprocessable, "password_too_long", "password must be at most %d bytes", maxPasswordBytes)
	}
	if !utf8.ValidString(pw) {
		return Errorf(KindUnprocessable, "password_invalid_chars", "password must be valid UTF-8 text")
	}
	for _, r := range pw {
		// Control characters (tab, newline, DEL, C1) cannot be typed
		// reliably and survive no round trip through forms and logs.
		if unicode.IsControl(r) {
			return Errorf(KindUnprocessable, "password_invalid_chars", "password must not contain control characters")
		}
	}
	// The blocklist first: "too common" says more than "too short" about
	// a password like "password1234", whatever the tenant's minimum.
	if isCommonPassword(pw) {
		return Errorf(KindUnprocessable, "password_common", "password is too common; choose another")
	}
	if utf8.RuneCountInString(pw) < minLen {
		return Errorf(KindUnprocessable, "password_too_short", "password must be at least %d characters", minLen)
	}
	lower := strings.ToLower(pw)
	for _, p := range personal {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if strings.EqualFold(pw, p) {
			return Errorf(KindUnprocessable, "password_personal", "password must not be your name or email address")
		}
		// An email's local part (often the person's name) inside the
		// password is the first thing a guesser who knows the email tries.
		if at := strings.LastIndexByte(p, '@'); at >= 0 {
			local := strings.ToLower(p[:at])
			if utf8.RuneCountInString(local) >= minLocalPartInPassword && strings.Contains(lower, local) {
				return Errorf(KindUnprocessable, "password_personal", "password must not contain your email address")
			}
		}
	}
	return nil
}
