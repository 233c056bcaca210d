package gateway

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestKeywordsParse(t *testing.T) {
	k := DefaultKeywords()
	tests := []struct {
		in   string
		want Keyword
	}{
		{"RESET", KeywordReset},
		{"reset", KeywordReset},
		{"Reset", KeywordReset},
		{"  reset  ", KeywordReset},
		{"\n\n\tRESET\r\n", KeywordReset},
		{"RESET!", KeywordReset},
		{"reset.", KeywordReset},
		{`"reset"`, KeywordReset},
		{"*RESET*", KeywordReset},
		{"Reset please", KeywordReset},
		{"reset, please", KeywordReset},
		{"RESET\n--\nSent from my phone", KeywordReset},
		{"RESET\r\n-- \r\nSent from my Verizon, Samsung Galaxy smartphone", KeywordReset},
		{"\r\n\r\nRESET\r\n\r\n--\r\nThis message was sent using the Text Messaging service", KeywordReset},
		{"Forgot", KeywordReset},
		{"password", KeywordReset},
		{"clave", KeywordReset},
		{"Contraseña", KeywordReset},
		{"CONTRASEÑA", KeywordReset},
		{"contrasena", KeywordReset},
		{"contrasen\u0303a", KeywordReset}, // decomposed ñ
		{"Restablecer", KeywordReset},
		{"HELP", KeywordHelp},
		{"help?", KeywordHelp},
		{"¡Ayuda!", KeywordHelp},
		{"¿ayuda?", KeywordHelp},
		{"info", KeywordHelp},
		{"STOP", KeywordStop},
		{"Stop.", KeywordStop},
		{"stopall", KeywordStop},
		{"UNSUBSCRIBE", KeywordStop},
		{"cancel", KeywordStop},
		{"End", KeywordStop},
		{"quit", KeywordStop},
		{"revoke", KeywordStop},
		{"optout", KeywordStop},
		{"Alto", KeywordStop},
		{"PARAR", KeywordStop},
		{"START", KeywordStart},
		{"unstop", KeywordStart},
		{"Yes", KeywordStart},
		{"comenzar", KeywordStart},
		{"ＲＥＳＥＴ", KeywordNone}, // full-width letters: not folded on purpose
		{"please reset", KeywordNone},
		{"resetting", KeywordNone},
		{"re set", KeywordNone},
		{"", KeywordNone},
		{"   \n\t ", KeywordNone},
		{"--\n", KeywordNone},
		{"👍", KeywordNone},
		{"👍 reset", KeywordReset}, // an emoji is no word
		{"--\nSent from my phone", KeywordNone},
		{"hello\nRESET", KeywordNone}, // only the first line with a word counts
		{"\xff\xfeRESET", KeywordReset},
		{"RESET\xff", KeywordReset},
		{"RES\xffET", KeywordNone},
		{"1234", KeywordNone},
		{strings.Repeat("A", 5000), KeywordNone},
		{strings.Repeat(" ", 1020) + "RESET", KeywordNone}, // past the scan limit
		{strings.Repeat(" ", 1000) + "RESET", KeywordReset},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			if got := k.Parse(tt.in); got != tt.want {
				t.Errorf("Parse(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestKeywordsCustom(t *testing.T) {
	k := DefaultKeywords()
	k["OLVIDE"] = KeywordReset
	delete(k, "YES")
	if got := k.Parse("olvide"); got != KeywordReset {
		t.Errorf("custom word: got %q", got)
	}
	if got := k.Parse("yes"); got != KeywordNone {
		t.Errorf("removed word: got %q", got)
	}
	if got := (Keywords(nil)).Parse("RESET"); got != KeywordNone {
		t.Errorf("nil map: got %q", got)
	}
}

func TestDefaultKeywordsAreCanonical(t *testing.T) {
	for w := range DefaultKeywords() {
		if w != strings.ToUpper(w) || strings.TrimSpace(w) != w || w == "" {
			t.Errorf("key %q is not an upper-case word", w)
		}
	}
}

func TestKeywordsParseLargeBodyIsCheap(t *testing.T) {
	k := DefaultKeywords()
	huge := "RESET " + strings.Repeat("x", 64<<20)
	start := time.Now()
	for range 1000 {
		if k.Parse(huge) != KeywordReset {
			t.Fatal("huge body: no keyword")
		}
	}
	// Scanning 64 MiB a thousand times would take minutes; bounded, the
	// loop takes well under a second even under -race.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("1000 parses of a 64 MiB body took %v", d)
	}
}

func FuzzParseKeyword(f *testing.F) {
	for _, s := range []string{
		"RESET", "reset please", "¡Ayuda!", "RESET\n--\nSent from my phone",
		"contrasen\u0303a", "STOP", "\xff", "", strings.Repeat("a", 2000),
	} {
		f.Add(s)
	}
	k := DefaultKeywords()
	valid := map[Keyword]bool{KeywordNone: true, KeywordReset: true, KeywordHelp: true, KeywordStop: true, KeywordStart: true}
	f.Fuzz(func(t *testing.T, body string) {
		got := k.Parse(body)
		if !valid[got] {
			t.Fatalf("Parse(%q) = %q, not a known keyword", body, got)
		}
		// Whatever follows the first 1 KiB cannot change the answer.
		if len(body) > keywordScanLimit {
			if again := k.Parse(body[:keywordScanLimit]); again != got {
				t.Fatalf("answer depends on bytes past the limit: %q vs %q", got, again)
			}
		}
		// Case never matters. (Checked on ASCII only: a few combining
		// marks upper-case to letters, U+0345 to U+0399, which may rightly
		// change the word.)
		if isASCII(body) {
			if up := k.Parse(strings.ToUpper(body)); up != got {
				t.Fatalf("Parse(%q) = %q but upper case gives %q", body, got, up)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
