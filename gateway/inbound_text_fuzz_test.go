package gateway_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/resetgw/resetgw/gateway"
)

// FuzzInboundKeywords: reading a text with a tenant's words never panics,
// answers a known keyword, ignores the case of ASCII text, always knows
// the mandatory opt-out words, and a word a tenant adds reads back as the
// keyword it was given.
func FuzzInboundKeywords(f *testing.F) {
	for _, s := range [][2]string{
		{"RESET", "olvide"}, {"¡Ayuda!", "ayuda"}, {"stop now", "STOP"}, {"contrasen\u0303a", "CLAVE2"},
		{"--\nSent from my phone", ""}, {strings.Repeat("a", 2000), "a"}, {"\xff\xfeRESET", "ß"},
	} {
		f.Add(s[0], s[1], uint8(1))
	}
	kws := []gateway.Keyword{gateway.KeywordNone, gateway.KeywordReset, gateway.KeywordHelp, gateway.KeywordStop, gateway.KeywordStart}
	f.Fuzz(func(t *testing.T, body, word string, pick uint8) {
		kw := kws[int(pick)%len(kws)]
		own, err := gateway.NormalizeKeywords(gateway.Keywords{word: kw})
		if err != nil && gateway.ErrorKind(err) != gateway.KindInvalid {
			t.Fatalf("error of kind %v", gateway.ErrorKind(err))
		}
		words := (&gateway.Tenant{Keywords: own}).InboundKeywords()
		got := words.Parse(body)
		switch got {
		case gateway.KeywordNone, gateway.KeywordReset, gateway.KeywordHelp, gateway.KeywordStop, gateway.KeywordStart:
		default:
			t.Fatalf("Parse(%q) = %q", body, got)
		}
		if isASCII(body) && words.Parse(strings.ToLower(body)) != got {
			t.Fatalf("case changes the reading of %q", body)
		}
		for _, m := range []string{"STOP", "stopall", "Unsubscribe", "cancel", "END", "quit"} {
			if words.Parse(m) != gateway.KeywordStop {
				t.Fatalf("%s lost its meaning with %v", m, own)
			}
		}
		if err == nil && own != nil && utf8.ValidString(word) {
			if w := strings.ToUpper(strings.TrimSpace(word)); words.Parse(w) != kw {
				t.Fatalf("own word %q reads as %q, want %q", w, words.Parse(w), kw)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
