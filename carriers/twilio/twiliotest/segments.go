package twiliotest

import "strings"

// gsm7 is the GSM 03.38 basic character set; gsm7Ext the extension table,
// whose characters take two septets.
const (
	gsm7    = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Ext = "^{}\\[~]|€\f"
)

// Segments counts the SMS segments Twilio would bill for body: 160 GSM-7
// septets (153 each when split), or 70 UCS-2 characters (67 when split).
func Segments(body string) int {
	septets, gsm := 0, true
	for _, r := range body {
		switch {
		case strings.ContainsRune(gsm7, r):
			septets++
		case strings.ContainsRune(gsm7Ext, r):
			septets += 2
		default:
			gsm = false
		}
	}
	if gsm {
		return split(septets, 160, 153)
	}
	// UCS-2 counts UTF-16 code units: a character outside the BMP takes two.
	units := 0
	for _, r := range body {
		units++
		if r > 0xFFFF {
			units++
		}
	}
	return split(units, 70, 67)
}

func split(n, single, multi int) int {
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}
