package gateway

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// PasswordLength is the length of a generated (temporary) password. With
// the 60-symbol alphabet that is about 59 bits, far beyond what an online
// guesser gets through in the hours a temporary password lives, and still
// short enough to type on a phone from a text message.
const PasswordLength = 10

// PasswordAlphabet is what generated passwords are made of:
//
//   - upper and lower case letters and digits, minus the look-alikes
//     0 O o 1 l I that people misread from a small screen;
//   - four symbols, ! # $ ?, all in the GSM-7 basic set (so the text stays a
//     7-bit, 160-character segment; extension-table characters such as
//     { } [ ] ~ \ ^ | € cost two septets and some carriers drop them), and
//     all on the first or second symbol page of the stock iOS and Android
//     keyboards.
//
// Left out on purpose: quotes (phones turn them into curly quotes), @ (it
// is the 0x00 septet that some SMS gateways treat as end of string), & < >
// (HTML escaping in email), + % = (form encoding turns them into something
// else when an app forgets to escape), / : (link detectors), - _ , . ;
// (auto-correction and punctuation look-alikes), and space.
//
// Templates should put the password on a line of its own, so that a
// trailing ! or ? is not read as punctuation.
const PasswordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ" +
	"abcdefghijkmnpqrstuvwxyz" +
	"23456789" +
	"!#$?"

// maxGenerateAttempts bounds the regeneration loop. A good source needs
// another try about one time in four (mostly for a missing digit), so
// 100 failures in a row mean the source is broken (say, all zeros), and
// looping forever would hang the reset worker.
const maxGenerateAttempts = 100

// GeneratePassword returns a PasswordLength-character password from r
// (crypto/rand.Reader in production). Each character is uniform over
// PasswordAlphabet: bytes at or above the largest multiple of the alphabet
// size are thrown away instead of reduced modulo it, which would favour the
// first 256 % len symbols. A password without an upper case letter, a lower
// case letter and a digit is thrown away whole and drawn again, which keeps
// every valid password equally likely (fixing up one position would not).
func GeneratePassword(r io.Reader) (string, error) {
	const n = len(PasswordAlphabet)
	const limit = 256 - 256%n // accept bytes in [0, limit)
	var (
		buf [32]byte
		pos = len(buf) // buf is empty
		out [PasswordLength]byte
	)
	for attempt := 0; attempt < maxGenerateAttempts; attempt++ {
		for i := 0; i < PasswordLength; {
			if pos == len(buf) {
				if _, err := io.ReadFull(r, buf[:]); err != nil {
					return "", Internal(fmt.Errorf("generate password: read random: %w", err))
				}
				pos = 0
			}
			b := buf[pos]
			pos++
			if int(b) >= limit {
				continue
			}
			out[i] = PasswordAlphabet[int(b)%n]
			i++
		}
		if hasRequiredClasses(out[:]) {
			return string(out[:]), nil
		}
	}
	return "", Internal(fmt.Errorf("generate password: random source gave no valid password in %d attempts", maxGenerateAttempts))
}

// hasRequiredClasses reports whether p has an ASCII upper case letter, a
// lower case letter and a digit.
func hasRequiredClasses(p []byte) bool {
	var upper, lower, digit bool
	for _, c := range p {
		switch {
		case 'A' <= c && c <= 'Z':
			upper = true
		case 'a' <= c && c <= 'z':
			lower = true
		case '0' <= c && c <= '9':
			digit = true
		}
	}
	return upper && lower && digit
}

// Limits for passwords that people choose or admins enter.
const (
	// defaultMinPasswordLen applies when the tenant sets none.
	defaultMinPasswordLen = 12
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
// admin enters (NIST SP 800-63B): at least minLen characters (runes; 12
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
		minLen = defaultMinPasswordLen
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
	if utf8.RuneCountInString(pw) < minLen {
		return Errorf(KindUnprocessable, "password_too_short", "password must be at least %d characters", minLen)
	}
	if isCommonPassword(pw) {
		return Errorf(KindUnprocessable, "password_common", "password is too common; choose another")
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
