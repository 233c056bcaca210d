package gateway

import (
	"bytes"
	"encoding/csv"
	"strings"
)

// ImportColumn describes one column of the personnel CSV for the import
// page: whether it is required, what it takes, and a sample value.
type ImportColumn struct {
	Name     string
	Required bool
	Takes    string
	Sample   string
}

// ImportColumns are the import's columns, in the template's order.
var ImportColumns = []ImportColumn{
	{"name", true, "the person's full name, as the office writes it", "Ana Ruiz"},
	{"email", true, "their email address; it identifies the record (a known one updates it)", "ana.ruiz@example.com"},
	{"phone", false, "a phone that takes texts, written any usual way; a number without + uses the company's region", "(201) 555-0140"},
	{"carrier", false, "the phone's carrier, by slug or name (see Carriers); empty when unknown", "verizon"},
	{"status", false, "active or inactive (empty: active)", "active"},
	{"locale", false, "the language of their messages: " + strings.Join(locales, " or ") + " (empty: en)", "es"},
	{"phone_type", false, "sms, mobile, home or work (empty: sms); only sms and mobile get texts", "sms"},
}

// ImportTemplate is a CSV file to start an import from: the header and
// two rows of valid values (the second shows the optional columns left
// empty).
func ImportTemplate() []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	var head, sample []string
	for _, c := range ImportColumns {
		head, sample = append(head, c.Name), append(sample, c.Sample)
	}
	w.Write(head)
	w.Write(sample)
	w.Write([]string{"Kim Park", "kim.park@example.com", "+1 201 555 0141", "Verizon Wireless", "", "", ""})
	w.Flush()
	return buf.Bytes()
}
