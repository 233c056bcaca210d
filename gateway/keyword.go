package gateway

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Keyword is what an inbound text asks for.
type Keyword string

const (
	KeywordNone  Keyword = ""
	KeywordReset Keyword = "reset" // start a password reset
	KeywordHelp  Keyword = "help"  // answer with the help text
	KeywordStop  Keyword = "stop"  // opt the number out of texts
	KeywordStart Keyword = "start" // opt it back in
)

// Keywords maps an upper-case word to the keyword it means. Keys must be
// upper case as strings.ToUpper makes them, without combining marks
// (Parse drops those), so a tenant can add its own words.
type Keywords map[string]Keyword

// DefaultKeywords returns the English and Spanish words crews text.
//
// The opt-out and opt-in words are a superset of the ones Twilio acts on by
// itself (STOP STOPALL UNSUBSCRIBE CANCEL END QUIT, plus REVOKE and OPTOUT
// since May 2025; START UNSTOP YES; HELP INFO): Twilio blocks a number that
// sent any of them, so the gateway must record the same opt-out or it would
// keep trying to text a number Twilio refuses (error 21610).
func DefaultKeywords() Keywords {
	k := Keywords{}
	for kw, words := range map[Keyword][]string{
		KeywordReset: {"RESET", "FORGOT", "PASSWORD", "CLAVE", "CONTRASEÑA", "CONTRASENA", "RESTABLECER"},
		KeywordHelp:  {"HELP", "AYUDA", "INFO"},
		KeywordStop:  {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "ALTO", "PARAR"},
		KeywordStart: {"START", "UNSTOP", "YES", "COMENZAR"},
	} {
		for _, w := range words {
			k[w] = kw
		}
	}
	return k
}

// keywordScanLimit bounds the work Parse does: a keyword is a short first
// word, so a megabyte of text after it must cost nothing.
const keywordScanLimit = 1024

// maxKeywordLen is longer than any keyword; a longer word is not one, and
// building it would only cost allocations.
const maxKeywordLen = 64

// Parse returns the keyword an inbound text starts with, KeywordNone when
// its first word is no keyword. Only the first word of the first line that
// has one counts, so "Reset please", "RESET!" and "¡Ayuda!" match, and so
// does "RESET" followed by the signature ("--\nSent from my phone") that
// email-to-text gateways append; "please reset" does not. A word is a run
// of letters and digits: punctuation and symbols around it are ignored, and
// combining marks are dropped so that a decomposed "contrasen\u0303a"
// matches like "CONTRASEÑA". Case does not matter.
func (k Keywords) Parse(body string) Keyword {
	if len(body) > keywordScanLimit {
		body = body[:keywordScanLimit]
		// Cutting may split a rune; the broken tail then decodes as
		// RuneError, which is no letter, so nothing is misread.
	}
	var word strings.Builder
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRuneInString(body[i:])
		i += size
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if word.Len() >= maxKeywordLen {
				return KeywordNone
			}
			word.WriteRune(r)
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r):
			// Part of the letter before it: keep the word going.
		default:
			if word.Len() > 0 {
				return k[strings.ToUpper(word.String())]
			}
		}
	}
	if word.Len() > 0 {
		return k[strings.ToUpper(word.String())]
	}
	return KeywordNone
}
