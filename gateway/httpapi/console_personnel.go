package httpapi

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

func (u *consoleUI) routesPersonnel() {
	a := u.s.app
	a.Get("/admin/personnel", u.auth, u.personnel)
	a.Get("/admin/personnel/new", u.auth, u.newPerson)
	a.Post("/admin/personnel/new", u.auth, u.createPerson)
	a.Get("/admin/personnel/:id", u.auth, u.person)
	a.Post("/admin/personnel/:id", u.auth, u.savePerson)
	a.Post("/admin/personnel/:id/deactivate", u.auth, u.deactivate)
	a.Post("/admin/personnel/:id/password", u.auth, u.setPassword)
	a.Get("/admin/import", u.auth, u.importPage)
	a.Post("/admin/import", u.auth, u.importCSV)
}

type personnelData struct {
	Q      string
	People []*gateway.Person
	Offset int
	Next   int // offset of the next page, 0 when none
}

const pageSize = 50

func (u *consoleUI) personnel(c *fiber.Ctx) error {
	offset, _ := strconv.Atoi(c.Query("offset"))
	offset = max(offset, 0)
	d := personnelData{Q: strings.TrimSpace(c.Query("q")), Offset: offset}
	ps, err := u.svc.ListPersonnel(c.UserContext(), session(c).Actor, tenantParam(c), d.Q, pageSize+1, offset)
	if err != nil {
		return u.fail(c, err)
	}
	if len(ps) > pageSize {
		ps, d.Next = ps[:pageSize], offset+pageSize
	}
	for _, p := range ps {
		d.People = append(d.People, safePerson(p))
	}
	return u.render(c, "personnel.html", u.page(c, "personnel", "Personnel", d))
}

// personData is the person page: the record, its form's choices, and
// a password generated just now (shown this once).
type personData struct {
	P           *gateway.Person
	New         bool
	Carriers    []*gateway.Carrier
	Phones      []gateway.Phone // the record's, plus one blank row to add
	Events      []*gateway.Event
	Generated   string
	HasPassword bool
	MinLength   int
	MustChange  bool // the tenant's default for a password set here
}

// safePerson is a copy of p without its password hash: a page gets no
// secret it could print, whatever its template says.
func safePerson(p *gateway.Person) *gateway.Person {
	cp := *p
	cp.PasswordHash = ""
	return &cp
}

func (u *consoleUI) personData(c *fiber.Ctx, p *gateway.Person) (personData, error) {
	cs := session(c)
	d := personData{P: safePerson(p), HasPassword: p.PasswordHash != "", MinLength: gateway.DefaultMinPasswordLength,
		MustChange: true}
	var err error
	if d.Carriers, err = u.svc.Carriers(c.UserContext(), cs.Actor); err != nil {
		return d, err
	}
	d.Phones = append(append([]gateway.Phone(nil), p.Phones...), gateway.Phone{Type: gateway.PhoneSMS})
	if p.ID != 0 {
		if d.Events, err = u.svc.Events(c.UserContext(), cs.Actor, gateway.EventQuery{PersonID: p.ID, Limit: 20}); err != nil {
			return d, err
		}
		// The tenant of the record, not the one picked, sets the rules.
		if ts, err := u.svc.Tenants(c.UserContext(), cs.Actor); err == nil {
			for _, t := range ts {
				if t.ID == p.TenantID {
					d.MinLength, d.MustChange = t.MinPasswordLength, t.MustChange
				}
			}
		}
	}
	return d, nil
}

func (u *consoleUI) loadPerson(c *fiber.Ctx) (*gateway.Person, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	// No tenant filter beyond the actor's own: an operator opens any
	// record by id, a tenant admin only theirs (others answer 404).
	return u.svc.Person(c.UserContext(), session(c).Actor, "", id)
}

func (u *consoleUI) person(c *fiber.Ctx) error {
	p, err := u.loadPerson(c)
	if err != nil {
		return u.fail(c, err)
	}
	d, err := u.personData(c, p)
	if err != nil {
		return u.fail(c, err)
	}
	return u.render(c, "person.html", u.page(c, "personnel", p.Name, d))
}

func (u *consoleUI) newPerson(c *fiber.Ctx) error {
	d, err := u.personData(c, &gateway.Person{Status: gateway.StatusActive, MobileAccess: true, AllowMobileReset: true, Locale: "en"})
	if err != nil {
		return u.fail(c, err)
	}
	d.New = true
	return u.render(c, "person.html", u.page(c, "personnel", "Add a person", d))
}

// phoneForm reads the repeated phone rows of the person form; a row
// without a number is dropped, so clearing a number removes the phone.
func phoneForm(c *fiber.Ctx) []gateway.PhoneInput {
	args := c.Request().PostArgs()
	nums, types, carriers := args.PeekMulti("phone_number"), args.PeekMulti("phone_type"), args.PeekMulti("phone_carrier")
	var out []gateway.PhoneInput
	for i, n := range nums {
		if len(bytes.TrimSpace(n)) == 0 {
			continue
		}
		in := gateway.PhoneInput{Number: string(n)}
		if i < len(types) {
			in.Type = string(types[i])
		}
		if i < len(carriers) {
			in.Carrier = string(carriers[i])
		}
		out = append(out, in)
	}
	return out
}

func checked(c *fiber.Ctx, name string) bool { return c.FormValue(name) != "" }

func (u *consoleUI) createPerson(c *fiber.Ctx) error {
	cs := session(c)
	mobile, allow := checked(c, "mobile_access"), checked(c, "allow_mobile_reset")
	in := gateway.PersonInput{Tenant: tenantParam(c), Name: c.FormValue("name"), Email: c.FormValue("email"),
		Status: c.FormValue("status"), MobileAccess: &mobile, AllowMobileReset: &allow, Locale: c.FormValue("locale"),
		Phones: phoneForm(c)}
	p, err := u.svc.CreatePerson(c.UserContext(), cs.Actor, in)
	if err != nil {
		back := &gateway.Person{Name: in.Name, Email: in.Email, Status: gateway.PersonStatus(in.Status),
			MobileAccess: mobile, AllowMobileReset: allow, Locale: in.Locale}
		d, derr := u.personData(c, back)
		if derr != nil {
			return u.fail(c, derr)
		}
		d.New = true
		return u.formError(c, err, "person.html", u.page(c, "personnel", "Add a person", d))
	}
	return u.done(c, "/admin/personnel/"+strconv.FormatInt(p.ID, 10), "created")
}

func (u *consoleUI) savePerson(c *fiber.Ctx) error {
	p, err := u.loadPerson(c)
	if err != nil {
		return u.fail(c, err)
	}
	name, email, st, loc := c.FormValue("name"), c.FormValue("email"), c.FormValue("status"), c.FormValue("locale")
	mobile, allow := checked(c, "mobile_access"), checked(c, "allow_mobile_reset")
	phones := phoneForm(c)
	_, err = u.svc.UpdatePerson(c.UserContext(), session(c).Actor, "", p.ID, gateway.PersonPatch{Name: &name, Email: &email,
		Status: &st, MobileAccess: &mobile, AllowMobileReset: &allow, Locale: &loc, Phones: &phones})
	if err != nil {
		d, derr := u.personData(c, p)
		if derr != nil {
			return u.fail(c, derr)
		}
		return u.formError(c, err, "person.html", u.page(c, "personnel", p.Name, d))
	}
	return u.done(c, "/admin/personnel/"+strconv.FormatInt(p.ID, 10), "saved")
}

func (u *consoleUI) deactivate(c *fiber.Ctx) error {
	p, err := u.loadPerson(c)
	if err != nil {
		return u.fail(c, err)
	}
	inactive := string(gateway.StatusInactive)
	if _, err := u.svc.UpdatePerson(c.UserContext(), session(c).Actor, "", p.ID, gateway.PersonPatch{Status: &inactive}); err != nil {
		return u.fail(c, err)
	}
	return u.done(c, "/admin/personnel/"+strconv.FormatInt(p.ID, 10), "deactivated")
}

// setPassword is the manual override. A generated password is shown in
// this answer only (never stored, never redirected through a URL).
func (u *consoleUI) setPassword(c *fiber.Ctx) error {
	p, err := u.loadPerson(c)
	if err != nil {
		return u.fail(c, err)
	}
	must := checked(c, "must_change")
	in := gateway.PasswordInput{Password: c.FormValue("password"), Generate: c.FormValue("mode") == "generate",
		MustChange: &must}
	res, err := u.svc.SetPassword(c.UserContext(), session(c).Actor, p.ID, in)
	d, derr := u.personData(c, p)
	if derr != nil {
		return u.fail(c, derr)
	}
	pg := u.page(c, "personnel", p.Name, d)
	if err != nil {
		return u.formError(c, err, "person.html", pg)
	}
	d.Generated = res.Generated
	pg.D = d
	pg.Notice = "Password set. " + p.Name + " gets an email saying so (without the password)."
	if res.Generated != "" {
		pg.Notice = "Password generated and set. Give it to " + p.Name + " now: it is not shown again."
	}
	return u.render(c, "person.html", pg)
}

type importData struct {
	CSV    string
	Result *gateway.ImportResult
}

func (u *consoleUI) importPage(c *fiber.Ctx) error {
	return u.render(c, "import.html", u.page(c, "personnel", "Import personnel", importData{}))
}

// importCSV previews an uploaded file (or pasted text); the preview page
// carries the same text in a hidden field, and "Import" commits exactly
// what was previewed.
func (u *consoleUI) importCSV(c *fiber.Ctx) error {
	text := c.FormValue("csv")
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err != nil {
			return u.fail(c, gateway.Internal(err))
		}
		var buf bytes.Buffer
		_, err = buf.ReadFrom(f)
		f.Close()
		if err != nil {
			return u.fail(c, gateway.Internal(err))
		}
		text = buf.String()
	}
	commit := c.FormValue("commit") != ""
	res, err := u.svc.ImportPersonnel(c.UserContext(), session(c).Actor, tenantParam(c), strings.NewReader(text), commit)
	if err != nil {
		return u.fail(c, err)
	}
	p := u.page(c, "personnel", "Import personnel", importData{CSV: text, Result: res})
	if res.Committed {
		p.Notice = "Imported: " + strconv.Itoa(res.Created) + " created, " + strconv.Itoa(res.Updated) + " updated."
	} else if len(res.Errors) > 0 {
		p.Error = "Nothing was imported: fix the rows below and upload the file again."
	}
	return u.render(c, "import.html", p)
}
