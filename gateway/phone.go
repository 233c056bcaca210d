package gateway

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// maxPhoneInput bounds what is handed to the parser. Real numbers with
// their punctuation fit in well under 64 bytes; the library's own cap is
// 250, and it does regexp work on whatever it gets.
const maxPhoneInput = 64

// maxE164Digits is E.164's limit, country code included.
const maxE164Digits = 15

// ParsePhone parses a phone number as a person or an admin typed it and
// returns it in E.164 ("+12015550123") with its ISO region ("US", "CA").
// defaultRegion ("US") applies to numbers written without a country code.
//
// Errors (KindInvalid): phone_required for an empty value, phone_extension
// for a number with an extension ("ext. 12", "x12", ";ext=12", "#12", ",12"):
// phones are unique across tenants as E.164 and a text cannot reach an
// extension, so it is refused rather than silently dropped; phone_invalid
// for anything that does not parse or is not a valid number (the library
// happily parses "555-2671" into "+15552671", so validity is checked too).
func ParsePhone(s, defaultRegion string) (e164, region string, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", Errorf(KindInvalid, "phone_required", "phone number is required")
	}
	if len(s) > maxPhoneInput {
		return "", "", Errorf(KindInvalid, "phone_invalid", "phone number is too long")
	}
	num, perr := phonenumbers.Parse(s, strings.ToUpper(strings.TrimSpace(defaultRegion)))
	if perr != nil {
		// The library's error may quote the input; the caller gets ours.
		return "", "", Errorf(KindInvalid, "phone_invalid", "not a valid phone number")
	}
	if num.GetExtension() != "" {
		return "", "", Errorf(KindInvalid, "phone_extension", "phone number must not have an extension")
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", "", Errorf(KindInvalid, "phone_invalid", "not a valid phone number")
	}
	e164 = phonenumbers.Format(num, phonenumbers.E164)
	// E.164 allows 15 digits; the library's metadata validates a few
	// longer ones (German numbers up to 16 digits), which no SMS API takes.
	if len(e164) > 1+maxE164Digits {
		return "", "", Errorf(KindInvalid, "phone_invalid", "not a valid phone number")
	}
	return e164, phonenumbers.GetRegionCodeForNumber(num), nil
}

// PhoneRegion returns the ISO region of an E.164 number ("US", "CA"), or
// "" when it is not a valid one. It serves the SMS country allow-list.
func PhoneRegion(e164 string) string {
	if len(e164) > maxPhoneInput || !strings.HasPrefix(e164, "+") {
		return ""
	}
	num, err := phonenumbers.Parse(e164, "")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(num)
}
