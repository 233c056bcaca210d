package gateway

import (
	"context"
	"strconv"
	"strings"
)

// FieldProblems are a form's or a row's errors by field, so that each is
// shown beside its field and all of them at once: an admin fixing two
// fields should not learn of the second only after fixing the first.
type FieldProblems map[string]string

// PersonProblems checks every field of a person form on its own and
// returns each field's error (nil when all pass). Phones are keyed
// "phone.N" by their row in the form. What needs the store beyond the
// carrier list (an email or number another record holds) is found on
// saving, as before.
func (s *Service) PersonProblems(ctx context.Context, in PersonInput) (FieldProblems, error) {
	fp := FieldProblems{}
	note := func(field string, err error) {
		if err != nil {
			fp[field] = errMessage(err)
		}
	}
	_, err := normalizeName(in.Name)
	note("name", err)
	_, err = NormalizeEmail(in.Email)
	note("email", err)
	_, err = normalizeStatus(in.Status)
	note("status", err)
	_, err = normalizeLocale(in.Locale)
	note("locale", err)
	_, err = NormalizeTags(in.Tags)
	note("tags", err)
	seen := map[string]int{}
	for i, ph := range in.Phones {
		key := "phone." + strconv.Itoa(i)
		got, err := s.phones(ctx, []PhoneInput{ph})
		if err != nil {
			if ErrorKind(err) != KindInvalid {
				return nil, err
			}
			fp[key] = strings.TrimPrefix(errMessage(err), "phones[0]: ")
			continue
		}
		if prev, dup := seen[got[0].Number]; dup {
			fp[key] = "this number is also in row " + strconv.Itoa(prev+1)
			continue
		}
		seen[got[0].Number] = i
	}
	if len(in.Phones) > 10 {
		fp["phone.10"] = "at most 10 phones per person"
	}
	if len(fp) == 0 {
		return nil, nil
	}
	return fp, nil
}

// rowProblems is every problem of an import row that needs no store: the
// row then reports them all, not the first.
func (s *Service) rowProblems(carriers []*Carrier, row *ImportRow) []string {
	var msgs []string
	add := func(err error) {
		if err != nil {
			msgs = append(msgs, errMessage(err))
		}
	}
	_, err := normalizeName(row.Name)
	add(err)
	_, err = NormalizeEmail(row.Email)
	add(err)
	if row.Status != "" {
		_, err = normalizeStatus(row.Status)
		add(err)
	}
	if row.Locale != "" {
		_, err = normalizeLocale(row.Locale)
		add(err)
	}
	if row.tagsGiven {
		_, err = ParseTags(row.Tags)
		add(err)
	}
	if row.Carrier != "" && matchCarrier(carriers, row.Carrier) == "" {
		msgs = append(msgs, "no carrier \""+Clip(row.Carrier, 40)+"\" (use a slug like verizon, or leave it blank)")
	}
	if row.Phone != "" {
		_, _, err = ParsePhone(row.Phone, s.region)
		add(err)
	}
	return msgs
}
