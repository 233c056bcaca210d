package gateway

import (
	"strings"
	"testing"
)

func TestGSM7Tables(t *testing.T) {
	// The default alphabet has 128 positions, one of which is the escape
	// to the extension table.
	if got := len(gsm7Basic); got != 127 {
		t.Errorf("basic set has %d runes, want 127", got)
	}
	for r := range gsm7Ext {
		if gsm7Basic[r] {
			t.Errorf("%q is in both tables", r)
		}
	}
}

func TestGSM7Len(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"empty", "", 0},
		{"ascii", "RESET", 5},
		{"ascii symbols", `!"#%&'()*+,-./:;<=>?@_$`, 23},
		{"newlines", "a\r\nb", 4},
		{"spanish in basic set", "¿Contraseña? ¡Sí!", -1}, // í is not GSM-7
		{"spanish written around accents", "¿Contraseña? ¡Listo!", 20},
		{"basic accents", "éèùìòÇØøÅåÄÖÑÜäöñüàÉß", 21},
		{"greek capitals", "ΔΦΓΛΩΠΨΣΘΞ", 10},
		{"currency", "£¥¤$", 4},
		{"extension", "{}[]~\\^|€", 18},
		{"form feed", "\f", 2},
		{"mixed", "a{b}", 6},
		{"acute a", "á", -1},
		{"acute i", "í", -1},
		{"acute o", "ó", -1},
		{"acute u", "ú", -1},
		{"lower c cedilla", "ç", -1},
		{"backtick", "`", -1},
		{"tab", "\t", -1},
		{"curly apostrophe", "Didn’t", -1},
		{"emoji", "ok 👍", -1},
		{"cjk", "株式会社", -1},
		{"greek lower", "δ", -1},
		{"invalid utf8", "a\xffb", -1},
		{"literal replacement char", "\uFFFD", -1},
		{"escape char itself", "\x1b", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := GSM7Len(tt.in); got != tt.want {
				t.Errorf("GSM7Len(%q) = %d, want %d", tt.in, got, tt.want)
			}
			if got, want := IsGSM7(tt.in), tt.want >= 0; got != want {
				t.Errorf("IsGSM7(%q) = %v, want %v", tt.in, got, want)
			}
		})
	}
}

func TestGSM7SegmentBoundary(t *testing.T) {
	if n := GSM7Len(strings.Repeat("a", SMSSegment)); n != SMSSegment {
		t.Fatalf("160 a's = %d septets", n)
	}
	// 80 braces are 160 septets: a segment holds fewer extension characters.
	if n := GSM7Len(strings.Repeat("{", 80)); n != SMSSegment {
		t.Fatalf("80 braces = %d septets", n)
	}
}

func TestIsGSM7RuneMatchesLen(t *testing.T) {
	for r := rune(0); r < 0x2100; r++ {
		if IsGSM7Rune(r) != (GSM7Len(string(r)) > 0) {
			t.Fatalf("IsGSM7Rune(%q) disagrees with GSM7Len", r)
		}
	}
}
