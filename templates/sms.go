package templates

import (
	"iter"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/resetgw/resetgw/gateway"
)

// smsCandidates yields the data to render an SMS with, best first: the
// data as given (its company name on one line), then without the person's
// name and with ever shorter versions of the company name, the last one
// without it. Only gateway.MessageData can be shortened: it is the one
// type whose fields are known. The password, link and expiry are never
// touched: they are the message.
func smsCandidates(data any) iter.Seq[any] {
	return func(yield func(any) bool) {
		var md gateway.MessageData
		switch v := data.(type) {
		case gateway.MessageData:
			md = v
		case *gateway.MessageData:
			if v == nil {
				yield(data)
				return
			}
			md = *v
		default:
			yield(data)
			return
		}
		// The company is the text's sender label: one line, whatever the
		// admin typed into the tenant's name.
		md.Company = strings.Join(strings.Fields(md.Company), " ")
		if !yield(md) {
			return
		}
		md.Name = ""
		for _, c := range companyVariants(md.Company) {
			d := md
			d.Company = c
			if !yield(d) {
				return
			}
		}
	}
}

// maxCompanyRunes bounds the work on an absurd company name: no more than
// this can ever fit in a segment beside the rest of a message.
const maxCompanyRunes = gateway.SMSSegment

// companyVariants returns the company name folded to GSM-7, then cut
// after ever fewer words ("Acme Moving & Storage" → "Acme Moving" →
// "Acme"), then "". Cutting at words keeps the name recognisable, which a
// cut in mid-word ("Acme Movi") would not.
func companyVariants(company string) []string {
	folded := foldGSM7(company)
	if utf8.RuneCountInString(folded) > maxCompanyRunes {
		folded = strings.TrimSpace(string([]rune(folded)[:maxCompanyRunes]))
	}
	var out []string
	add := func(s string) {
		if len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	if folded != "" {
		add(folded)
		words := strings.Fields(folded)
		for n := len(words) - 1; n >= 1; n-- {
			p := strings.TrimRightFunc(strings.Join(words[:n], " "), func(r rune) bool {
				return !unicode.IsLetter(r) && !unicode.IsDigit(r)
			})
			if p != "" {
				add(p)
			}
		}
	}
	add("")
	return out
}

// foldGSM7 rewrites s with GSM-7 characters only: accents GSM-7 lacks are
// dropped from their letters ("Mudanzas Rápidas" → "Mudanzas Rapidas"),
// typographic punctuation becomes its plain form, whitespace one space,
// and anything else (another script, emoji) is left out.
func foldGSM7(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		case gateway.IsGSM7Rune(r):
			b.WriteRune(r)
		case foldMap[r] != "":
			b.WriteString(foldMap[r])
		default:
			// Decompose (á → a + U+0301) and keep the GSM-7 part; a
			// letter that does not decompose to one is dropped.
			for _, d := range norm.NFD.String(string(r)) {
				if gateway.IsGSM7Rune(d) && !unicode.IsSpace(d) {
					b.WriteRune(d)
				}
			}
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// foldMap covers what decomposition cannot: letters without a
// decomposition and typographic punctuation.
var foldMap = map[rune]string{
	'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D", 'ı': "i", 'œ': "oe", 'Œ': "OE", 'ð': "d", 'Ð': "D", 'þ': "th", 'Þ': "Th",
	'‘': "'", '’': "'", '‚': "'", '′': "'", '“': `"`, '”': `"`, '„': `"`, '″': `"`, '«': `"`, '»': `"`,
	'–': "-", '—': "-", '‐': "-", '‑': "-", '−': "-", '…': "...", '·': ".", '•': "-",
}
