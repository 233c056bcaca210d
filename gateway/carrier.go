package gateway

import (
	"errors"
	"fmt"
	"regexp"
)

// nanpRE is a North American number as E.164: area code and exchange both
// start with 2-9. Anything else cannot be a gateway mailbox.
var nanpRE = regexp.MustCompile(`^\+1([2-9][0-9]{2}[2-9][0-9]{6})$`)

// Address returns the gateway mailbox that texts e164 through the carrier:
// the ten-digit national number at its SMS domain (or MMS domain when mms
// is set). It only formats: whether the gateway still delivers is
// UsableOn's question.
func (c *Carrier) Address(e164 string, mms bool) (string, error) {
	if c == nil {
		return "", errors.New("carriers: no carrier")
	}
	domain, kind := c.SMSDomain, "SMS"
	if mms {
		domain, kind = c.MMSDomain, "MMS"
	}
	if domain == "" {
		return "", fmt.Errorf("carriers: %s has no %s gateway domain", c.Slug, kind)
	}
	switch c.NumberFormat {
	case "national10", "":
		m := nanpRE.FindStringSubmatch(e164)
		if m == nil {
			return "", fmt.Errorf("carriers: %s gateway takes North American (+1) numbers only", c.Slug)
		}
		return m[1] + "@" + domain, nil
	}
	return "", fmt.Errorf("carriers: %s: number format %q unknown", c.Slug, c.NumberFormat)
}
