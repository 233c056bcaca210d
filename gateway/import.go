package gateway

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// MaxImportRows bounds one CSV import; a bigger crew imports in parts.
const MaxImportRows = 5000

// importColumns are the columns a personnel CSV may have; name and email
// are required, the rest may be left out or left blank.
var importColumns = []string{"name", "email", "phone", "carrier", "status", "locale", "phone_type", "tags"}

// ImportError is a problem with one row. Row is the spreadsheet's row
// number: the header is row 1, the first person row 2.
type ImportError struct {
	Row     int    `json:"row"`
	Message string `json:"message"`
	// TooMany marks the error of a file over MaxImportRows.
	TooMany bool `json:"-"`
}

// ImportRow is what a row does (a preview) or did.
type ImportRow struct {
	Row      int    `json:"row"`
	Action   string `json:"action"` // create, update, unchanged, error
	PersonID int64  `json:"person_id,omitempty"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Phone    string `json:"phone,omitempty"`
	Carrier  string `json:"carrier,omitempty"`
	Status   string `json:"status,omitempty"`
	Locale   string `json:"locale,omitempty"`
	// Tags is the row's tags cell, separated by TagSeparator; with the
	// column in the file, the row's tags replace the person's.
	Tags  string `json:"tags,omitempty"`
	Error string `json:"error,omitempty"`

	person    *Person
	tagsGiven bool
}

// ImportResult is the outcome of an import. With any error nothing is
// written: Created and Updated are then 0 and Committed is false.
type ImportResult struct {
	Tenant    string        `json:"tenant"`
	Created   int           `json:"created"`
	Updated   int           `json:"updated"`
	Unchanged int           `json:"unchanged"`
	Errors    []ImportError `json:"errors"`
	Rows      []ImportRow   `json:"rows,omitempty"`
	Committed bool          `json:"committed"`
}

// ImportPersonnel reads a personnel CSV (header row naming its columns:
// name, email, phone, carrier, status, locale, and optionally phone_type)
// and creates or updates records by email. Every row is checked before
// anything is written; with commit false, or any row in error, nothing
// is: all or nothing. A row's phone becomes the person's SMS phone.
func (s *Service) ImportPersonnel(ctx context.Context, a Actor, tenant string, r io.Reader, commit bool) (*ImportResult, error) {
	t, err := s.scope(ctx, a, tenant)
	if err != nil {
		return nil, err
	}
	res := &ImportResult{Tenant: t.Slug, Errors: []ImportError{}}
	rows, err := readImport(r)
	if err != nil {
		var ie *ImportError
		if errors.As(err, &ie) {
			res.Errors = append(res.Errors, *ie)
			return res, nil
		}
		return nil, err
	}
	carriers, err := s.store.ListCarriers(ctx)
	if err != nil {
		return nil, err
	}
	emails, phones := map[string]int{}, map[string]int{}
	for i := range rows {
		row := &rows[i]
		if err := s.planRow(ctx, a, t, carriers, row, emails, phones); err != nil {
			if ErrorKind(err) != KindInvalid && ErrorKind(err) != KindConflict {
				return nil, err
			}
			row.Action, row.Error = "error", errMessage(err)
			res.Errors = append(res.Errors, ImportError{Row: row.Row, Message: row.Error})
		}
	}
	res.Rows = rows
	counts := map[string]int{}
	for _, row := range rows {
		counts[row.Action]++
	}
	if len(res.Errors) > 0 {
		return res, nil
	}
	res.Created, res.Updated, res.Unchanged = counts["create"], counts["update"], counts["unchanged"]
	if !commit {
		return res, nil
	}
	err = s.store.WithTx(ctx, func(st Store) error {
		for i := range rows {
			if err := s.commitRow(ctx, st, a, &rows[i]); err != nil {
				return err
			}
		}
		return s.adminEvent(ctx, st, a, Event{TenantID: t.ID, Type: "personnel_imported",
			Detail: fmt.Sprintf("created %d, updated %d, unchanged %d", res.Created, res.Updated, res.Unchanged)})
	})
	var rowErr *importRowError
	if errors.As(err, &rowErr) {
		// Another writer took an email or number between check and write.
		res.Created, res.Updated, res.Unchanged = 0, 0, 0
		res.Errors = append(res.Errors, ImportError{Row: rowErr.row, Message: errMessage(rowErr.err)})
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res.Committed = true
	s.kick()
	return res, nil
}

func (e *ImportError) Error() string { return fmt.Sprintf("row %d: %s", e.Row, e.Message) }

type importRowError struct {
	row int
	err error
}

func (e *importRowError) Error() string { return fmt.Sprintf("row %d: %v", e.row, e.err) }

func errMessage(err error) string {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.Message
	}
	return err.Error()
}

// readImport parses the CSV into rows with their spreadsheet row numbers.
// A structural problem (no header, unknown column, broken quoting) is an
// *ImportError.
func readImport(r io.Reader) ([]ImportRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &ImportError{Row: 1, Message: "the file is empty: the first row must name the columns (name, email, phone, carrier, status, locale)"}
	}
	if err != nil {
		return nil, csvError(err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(importColumns, h) {
			return nil, &ImportError{Row: 1, Message: fmt.Sprintf("unknown column %q (columns: %s)", Clip(h, 40), strings.Join(importColumns, ", "))}
		}
		if _, dup := col[h]; dup {
			return nil, &ImportError{Row: 1, Message: fmt.Sprintf("column %q appears twice", Clip(h, 40))}
		}
		col[h] = i
	}
	for _, need := range []string{"name", "email"} {
		if _, ok := col[need]; !ok {
			return nil, &ImportError{Row: 1, Message: "a " + need + " column is required"}
		}
	}
	var rows []ImportRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // blank lines spreadsheets leave at the end
		}
		if len(rows) == MaxImportRows {
			return nil, &ImportError{Row: line, Message: fmt.Sprintf("at most %d people per import", MaxImportRows), TooMany: true}
		}
		row := ImportRow{Row: line, Name: get("name"), Email: get("email"), Phone: get("phone"),
			Carrier: get("carrier"), Status: get("status"), Locale: get("locale"), Tags: get("tags")}
		_, row.tagsGiven = col["tags"]
		if len(rec) > len(header) {
			row.Action, row.Error = "error", fmt.Sprintf("%d cells, but the header has %d columns", len(rec), len(header))
		}
		row.person = &Person{Phones: []Phone{{Type: PhoneType(strings.ToLower(get("phone_type")))}}}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, &ImportError{Row: 2, Message: "no people in the file"}
	}
	return rows, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ImportError{Row: pe.Line, Message: "the file is not valid CSV here: " + pe.Err.Error()}
	}
	return Internal(err)
}

// planRow checks a row against the rules and the store, and says what it
// will do; row.person is then the record to write.
func (s *Service) planRow(ctx context.Context, a Actor, t *Tenant, carriers []*Carrier, row *ImportRow,
	emails, phones map[string]int) error {
	if row.Error != "" {
		return Errorf(KindInvalid, "row_invalid", "%s", row.Error)
	}
	if msgs := s.rowProblems(carriers, row); len(msgs) > 1 {
		return Errorf(KindInvalid, "row_invalid", "%s", strings.Join(msgs, "; "))
	}
	phoneType := row.person.Phones[0].Type
	name, err := normalizeName(row.Name)
	if err != nil {
		return err
	}
	email, err := NormalizeEmail(row.Email)
	if err != nil {
		return err
	}
	row.Name, row.Email = name, email
	if prev, dup := emails[email]; dup {
		return Errorf(KindInvalid, "email_duplicate", "%s is also on row %d", email, prev)
	}
	emails[email] = row.Row

	p, err := s.store.PersonByEmail(ctx, t.ID, email)
	switch {
	case IsNotFound(err):
		p = &Person{TenantID: t.ID, Email: email, MobileAccess: true, AllowMobileReset: true, Status: StatusActive, Locale: "en"}
		row.Action = "create"
	case err != nil:
		return err
	default:
		row.Action, row.PersonID = "unchanged", p.ID
	}
	before := *p
	p.Name = name
	if row.Status != "" {
		if p.Status, err = normalizeStatus(row.Status); err != nil {
			return err
		}
	}
	if row.Locale != "" {
		if p.Locale, err = normalizeLocale(row.Locale); err != nil {
			return err
		}
	}
	row.Status, row.Locale = string(p.Status), p.Locale
	if row.tagsGiven {
		if p.Tags, err = ParseTags(row.Tags); err != nil {
			return err
		}
		row.Tags = strings.Join(p.Tags, TagSeparator)
	}

	carrier := ""
	if row.Carrier != "" {
		if carrier = matchCarrier(carriers, row.Carrier); carrier == "" {
			return Errorf(KindInvalid, "carrier_unknown", "no carrier %q (use a slug like verizon, or leave it blank)", Clip(row.Carrier, 40))
		}
	}
	phonesBefore := slices.Clone(p.Phones)
	if row.Phone != "" {
		e164, _, err := ParsePhone(row.Phone, s.region)
		if err != nil {
			return err
		}
		if prev, dup := phones[e164]; dup {
			return Errorf(KindInvalid, "phone_duplicate", "%s is also on row %d", e164, prev)
		}
		phones[e164] = row.Row
		if ph, err := s.store.PhoneByNumber(ctx, e164); err == nil && (ph.PersonID != p.ID || p.ID == 0) {
			return s.phoneHeld(ctx, a, ph)
		} else if err != nil && !IsNotFound(err) {
			return err
		}
		if phoneType == "" {
			phoneType = PhoneSMS
		}
		var keep []PhoneInput
		for _, ph := range p.Phones {
			if ph.Number != e164 && ph.Type != phoneType {
				keep = append(keep, PhoneInput{Number: ph.Number, Type: string(ph.Type), Carrier: ph.Carrier})
			}
		}
		keep = append(keep, PhoneInput{Number: e164, Type: string(phoneType), Carrier: carrier})
		if p.Phones, err = s.phones(ctx, keep); err != nil {
			return err
		}
		row.Phone = e164
	} else if carrier != "" {
		i := slices.IndexFunc(p.Phones, func(ph Phone) bool { return ph.Type == PhoneSMS })
		if i < 0 {
			return Errorf(KindInvalid, "phone_required", "a carrier needs a phone number on the row")
		}
		p.Phones = slices.Clone(p.Phones)
		p.Phones[i].Carrier = carrier
	}
	row.Carrier = carrier
	if row.Action == "unchanged" && (p.Name != before.Name || p.Status != before.Status ||
		p.Locale != before.Locale || !samePhones(phonesBefore, p.Phones) || !slices.Equal(p.Tags, before.Tags)) {
		row.Action = "update"
	}
	row.person = p
	return nil
}

func samePhones(a, b []Phone) bool {
	return slices.EqualFunc(a, b, func(x, y Phone) bool {
		return x.Number == y.Number && x.Type == y.Type && x.Carrier == y.Carrier
	})
}

// matchCarrier finds a carrier by slug or by name, as office staff write
// either ("verizon", "Verizon Wireless").
func matchCarrier(cs []*Carrier, v string) string {
	v = strings.TrimSpace(v)
	for _, c := range cs {
		if strings.EqualFold(c.Slug, v) || strings.EqualFold(c.Name, v) {
			return c.Slug
		}
	}
	return ""
}

func (s *Service) commitRow(ctx context.Context, st Store, a Actor, row *ImportRow) error {
	p := row.person
	now := s.clock()
	var err error
	switch row.Action {
	case "create":
		p.CreatedAt, p.UpdatedAt = now, now
		if err = st.CreatePerson(ctx, p); err == nil {
			row.PersonID = p.ID
			err = s.adminEvent(ctx, st, a, Event{TenantID: p.TenantID, Type: "person_created", PersonID: p.ID, Detail: "import"})
		}
		if err == nil {
			// The same first link as a person added by hand gets.
			err = s.autoVerificationAt(ctx, st, a, p, PriorityBulk)
		}
	case "update":
		// The planned fields go onto the record as it is now: a login
		// since the check may have changed its password or pending reset.
		var cur *Person
		if cur, err = st.Person(ctx, p.TenantID, p.ID); err != nil {
			return err
		}
		before := *cur
		cur.Name, cur.Status, cur.Locale, cur.Phones, cur.Tags, cur.UpdatedAt = p.Name, p.Status, p.Locale, p.Phones, p.Tags, now
		if reason := endReason(cur, &before); reason != "" {
			if err = s.endPending(ctx, st, cur, reason); err != nil {
				return err
			}
		}
		if err = st.UpdatePerson(ctx, cur); err == nil {
			err = s.adminEvent(ctx, st, a, Event{TenantID: p.TenantID, Type: "person_updated", PersonID: p.ID, Detail: "import"})
		}
	}
	if err != nil && (ErrorKind(err) == KindConflict || ErrorKind(err) == KindInvalid) {
		if a.TenantID != 0 && ErrorCode(err) == "phone_taken" {
			err = errPhoneTaken
		}
		return &importRowError{row: row.Row, err: err}
	}
	return err
}
