package gateway

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Search ignores accents and case, so "garcia" finds "José García" and
// "JOSE" finds "josé": both the stored key and the query are folded the
// same way, in Go, because SQLite has no unaccent and PostgreSQL's needs
// an extension; the two stores then agree.

// letters that carry no combining mark to strip but that a person typing
// on a plain keyboard writes as these.
var foldLetters = strings.NewReplacer("ß", "ss", "æ", "ae", "œ", "oe", "ø", "o", "ł", "l", "đ", "d",
	"ð", "d", "þ", "th", "ı", "i", "ħ", "h")

// SearchFold is s lowercased, with its accents and other combining marks
// taken off.
func SearchFold(s string) string {
	s = norm.NFKD.String(strings.ToLower(s))
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, s)
	return foldLetters.Replace(s)
}

// PersonSearchKey is what a person's name and email are found by: both
// folded, one per line (a query never spans the two).
func PersonSearchKey(name, email string) string {
	return SearchFold(name) + "\n" + SearchFold(email)
}
