package gateway

// SMSSegment is how many GSM-7 septets fit in one SMS. A longer text is
// split into 153-septet parts that phones reassemble, but carrier
// email-to-SMS gateways often truncate or drop them, and every part is
// billed: DESIGN.md rule 6 wants every text to fit one segment.
const SMSSegment = 160

// gsm7Basic is the GSM 03.38 default alphabet (one septet each). Any rune
// outside it and outside gsm7Ext makes a carrier switch the whole text to
// UCS-2, which leaves room for only 70 characters.
var gsm7Basic = func() map[rune]bool {
	m := make(map[rune]bool, 128)
	for _, r := range "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà" {
		m[r] = true
	}
	return m
}()

// gsm7Ext is the extension table: each is sent as ESC plus one septet, so
// it costs two. Form feed (page break) is part of the table too.
var gsm7Ext = map[rune]bool{
	'\f': true, '^': true, '{': true, '}': true, '\\': true,
	'[': true, '~': true, ']': true, '|': true, '€': true,
}

// gsm7RuneLen returns the septets r costs, 0 when it is not GSM-7.
func gsm7RuneLen(r rune) int {
	switch {
	case r < 0x80 && asciiBasic[r]:
		return 1
	case gsm7Basic[r]:
		return 1
	case gsm7Ext[r]:
		return 2
	}
	return 0
}

// asciiBasic answers the common case (plain ASCII) without a map lookup.
var asciiBasic = func() (t [0x80]bool) {
	for r := range gsm7Basic {
		if r < 0x80 {
			t[r] = true
		}
	}
	return t
}()

// IsGSM7Rune reports whether r can be sent in a GSM-7 text (basic set or
// extension table).
func IsGSM7Rune(r rune) bool { return gsm7RuneLen(r) > 0 }

// IsGSM7 reports whether every rune of s is in the GSM 03.38 basic set or
// its extension table. Invalid UTF-8 is not GSM-7.
func IsGSM7(s string) bool { return GSM7Len(s) >= 0 }

// GSM7Len returns how many septets s takes in GSM-7, counting extension
// characters ({}[]~\^|€ and form feed) as two; -1 when s holds a rune
// GSM-7 cannot carry (or invalid UTF-8).
func GSM7Len(s string) int {
	n := 0
	for _, r := range s {
		// An invalid byte decodes as U+FFFD, which is not in either table.
		l := gsm7RuneLen(r)
		if l == 0 {
			return -1
		}
		n += l
	}
	return n
}
