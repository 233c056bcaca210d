package secret

import (
	"fmt"
	"io"
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
					return "", fmt.Errorf("generate password: read random: %w: %w", ErrRandom, err)
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
	return "", fmt.Errorf("generate password: %w: no valid password in %d attempts", ErrRandom, maxGenerateAttempts)
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
