package gateway

import "github.com/nyaruka/phonenumbers"

// DisplayPhone is a stored number (E.164) as people write it: a North
// American one as "(201) 555-0127", any other in the international
// groups of its country ("+44 20 7946 0958"). What does not parse is
// shown as stored.
func DisplayPhone(e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return e164
	}
	if num.GetCountryCode() == 1 {
		return phonenumbers.Format(num, phonenumbers.NATIONAL)
	}
	return phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
}
