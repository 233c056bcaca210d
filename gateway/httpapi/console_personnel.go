package httpapi

import (
	"bytes"
	"net/url"
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
	a.Get("/admin/personnel/:id/deactivate", u.auth, u.confirmDeactivate)
	a.Post("/admin/personnel/:id/deactivate", u.auth, u.deactivate)
	a.Post("/admin/personnel/:id/password", u.auth, u.setPassword)
	u.routesImport()
}

type personnelData struct {
	Q      string
	Tag    string // the filter as typed (shown back when refused)
	TagErr string // why the typed tag cannot be one
	Tags   []gateway.TagCount
	People []*gateway.Person
	Pager  pager
}

const pageSize = 50

func (u *consoleUI) personnel(c *fiber.Ctx) error {
	offset, _ := strconv.Atoi(c.Query("offset"))
	offset = max(offset, 0)
	d := personnelData{Q: strings.TrimSpace(c.Query("q")), Tag: strings.TrimSpace(c.Query("tag"))}
	ctx, a := c.UserContext(), session(c).Actor
	tags, err := u.svc.Tags(ctx, a, tenantParam(c))
	if err != nil {
		return u.fail(c, err)
	}
	d.Tags = tags
	pg := u.page(c, "personnel", "Personnel", nil)
	ps, total, err := u.svc.PersonnelPageTagged(ctx, a, tenantParam(c), d.Q, d.Tag, pageSize, offset)
	if err != nil && domainError(err).Code == "tag_invalid" {
		// A hand-edited or stale link: the page with the tag's field
		// marked, not an error page.
		d.TagErr, pg.Status, ps, total = domainError(err).Message, fiber.StatusBadRequest, nil, 0
	} else if err != nil {
		return u.fail(c, err)
	} else if d.Tag != "" {
		d.Tag, _ = gateway.NormalizeTag(d.Tag)
	}
	for _, p := range ps {
		d.People = append(d.People, safePerson(p))
	}
	vals := url.Values{}
	if d.Q != "" {
		vals.Set("q", d.Q)
	}
	if d.Tag != "" && d.TagErr == "" {
		vals.Set("tag", d.Tag)
	}
	if pg.Operator && pg.Tenant != "" {
		vals.Set("tenant", pg.Tenant)
	}
	d.Pager = newPager("/admin/personnel?"+vals.Encode(), offset, len(ps), total)
	pg.D = d
	return u.render(c, "personnel.html", pg)
}

// KnownTag is whether the filter's tag is one of the tenant's (a select
// can show it chosen; a tag nobody carries is typed in a box instead).
func (d personnelData) KnownTag() bool {
	for _, t := range d.Tags {
		if t.Tag == d.Tag {
			return true
		}
	}
	return false
}

// personData is the person page: the record (or the refused form as
// typed), its form's choices, each field's error, and a password
// generated just now (shown this once, from its flash).
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
	Errs        map[string]string
	Confirm     string // "deactivate", "password": the second step shown
	History     *gateway.PersonHistory
	Timeline    *chartView // the person's resets by day
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
		if d.History, err = u.svc.PersonHistory(c.UserContext(), cs.Actor, p.ID); err != nil {
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
	f := u.flash(c)
	d.Generated, d.Errs = f.Generated, f.Fields
	if f.Form != nil && f.Form.Has("name") {
		// A refused form comes back as it was typed.
		d.P.Name, d.P.Email = f.Form.Get("name"), f.Form.Get("email")
		d.P.Status, d.P.Locale = gateway.PersonStatus(f.Form.Get("status")), f.Form.Get("locale")
		d.P.MobileAccess, d.P.AllowMobileReset = f.Form.Get("mobile_access") != "", f.Form.Get("allow_mobile_reset") != ""
		d.P.Tags = gateway.SplitTags(f.Form.Get("tags"))
		nums, types, carriers := f.Form["phone_number"], f.Form["phone_type"], f.Form["phone_carrier"]
		d.Phones = nil
		for i, n := range nums {
			ph := gateway.Phone{Number: n, Type: gateway.PhoneSMS}
			if i < len(types) {
				ph.Type = gateway.PhoneType(types[i])
			}
			if i < len(carriers) {
				ph.Carrier = carriers[i]
			}
			d.Phones = append(d.Phones, ph)
		}
		if len(d.Phones) == 0 || d.Phones[len(d.Phones)-1].Number != "" {
			d.Phones = append(d.Phones, gateway.Phone{Type: gateway.PhoneSMS})
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

func (u *consoleUI) person(c *fiber.Ctx) error { return u.showPerson(c, "") }

// showPerson renders a person's page, asking to confirm the action named
// by confirm when it is not empty.
func (u *consoleUI) showPerson(c *fiber.Ctx, confirm string) error {
	p, err := u.loadPerson(c)
	if err != nil {
		return u.fail(c, err)
	}
	d, err := u.personData(c, p)
	if err != nil {
		return u.fail(c, err)
	}
	d.Confirm = confirm
	pg := u.page(c, "personnel", p.Name, nil)
	tl, err := u.svc.PersonTimeline(c.UserContext(), session(c).Actor, p.ID, u.zone(c))
	if err != nil {
		return u.fail(c, err)
	}
	v := timelineView(tl, pg.Zone)
	d.Timeline = &v
	pg.D = d
	return u.render(c, "person.html", pg)
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
// index maps each kept phone to its row in the form.
func phoneForm(c *fiber.Ctx) (out []gateway.PhoneInput, index []int) {
	args := c.Request().PostArgs()
	nums, types, carriers := args.PeekMulti("phone_number"), args.PeekMulti("phone_type"), args.PeekMulti("phone_carrier")
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
		out, index = append(out, in), append(index, i)
	}
	return out, index
}

func checked(c *fiber.Ctx, name string) bool { return c.FormValue(name) != "" }

// personProblems checks every field of the person form; a flash with
// all their errors (keyed by the form's rows) when any fails.
func (u *consoleUI) personProblems(c *fiber.Ctx, in gateway.PersonInput, index []int) (*flash, error) {
	fp, err := u.svc.PersonProblems(c.UserContext(), in)
	if err != nil || fp == nil {
		return nil, err
	}
	f := &flash{Form: formValues(c), Fields: map[string]string{}, Error: "Not saved: fix the fields marked below."}
	f.Form.Del("_csrf")
	for k, v := range fp {
		if n, ok := strings.CutPrefix(k, "phone."); ok {
			if i, err := strconv.Atoi(n); err == nil && i < len(index) {
				k = "phone." + strconv.Itoa(index[i])
			}
		}
		f.Fields[k] = v
	}
	return f, nil
}

func (u *consoleUI) personForm(c *fiber.Ctx) (gateway.PersonInput, []int) {
	mobile, allow := checked(c, "mobile_access"), checked(c, "allow_mobile_reset")
	phones, index := phoneForm(c)
	return gateway.PersonInput{Tenant: tenantParam(c), Name: c.FormValue("name"), Email: c.FormValue("email"),
		Status: c.FormValue("status"), MobileAccess: &mobile, AllowMobileReset: &allow, Locale: c.FormValue("locale"),
		Phones: phones, Tags: gateway.SplitTags(c.FormValue("tags"))}, index
}

func (u *consoleUI) createPerson(c *fiber.Ctx) error {
	in, index := u.personForm(c)
	if f, err := u.personProblems(c, in, index); err != nil {
		return u.fail(c, err)
	} else if f != nil {
		return u.redirect(c, "/admin/personnel/new", f)
	}
	p, err := u.svc.CreatePerson(c.UserContext(), session(c).Actor, in)
	if err != nil {
		return u.refusedForm(c, err, "/admin/personnel/new")
	}
	return u.redirect(c, personPath(p.ID), &flash{Notice: "Created."})
}

func personPath(id int64) string { return "/admin/personnel/" + strconv.FormatInt(id, 10) }

// refusedForm sends a refused form back to its page with its error (and
// what was typed), or shows any other error.
func (u *consoleUI) refusedForm(c *fiber.Ctx, err error, path string) error {
	switch gateway.ErrorKind(err) {
	case gateway.KindInvalid, gateway.KindUnprocessable, gateway.KindConflict:
		return u.redirect(c, path, refused(c, err))
	}
	return u.fail(c, err)
}

func (u *consoleUI) savePerson(c *fiber.Ctx) error {
	p, err := u.loadPerson(c)
	if err != nil {
		return u.fail(c, err)
	}
	in, index := u.personForm(c)
	if f, err := u.personProblems(c, in, index); err != nil {
		return u.fail(c, err)
	} else if f != nil {
		return u.redirect(c, personPath(p.ID), f)
	}
	patch := gateway.PersonPatch{Name: &in.Name, Email: &in.Email, Status: &in.Status, MobileAccess: in.MobileAccess,
		AllowMobileReset: in.AllowMobileReset, Locale: &in.Locale, Phones: &in.Phones}
	// A form without the tags field (one saved before it existed, or a
	// script's) leaves the tags alone rather than clearing them.
	if c.Request().PostArgs().Has("tags") {
		patch.Tags = &in.Tags
	}
	_, err = u.svc.UpdatePerson(c.UserContext(), session(c).Actor, "", p.ID, patch)
	if err != nil {
		return u.refusedForm(c, err, personPath(p.ID))
	}
	return u.redirect(c, personPath(p.ID), &flash{Notice: "Saved."})
}

// confirmed is whether a dangerous form came from its second step: the
// first answers with a page that asks, and only its button sends
// confirm=yes. Without script, this works in any browser.
func confirmed(c *fiber.Ctx) bool { return c.FormValue("confirm") == "yes" }

func (u *consoleUI) deactivate(c *fiber.Ctx) error {
	p, err := u.loadPerson(c)
	if err != nil {
		return u.fail(c, err)
	}
	if !confirmed(c) {
		return u.redirect(c, personPath(p.ID)+"/deactivate", nil)
	}
	inactive := string(gateway.StatusInactive)
	if _, err := u.svc.UpdatePerson(c.UserContext(), session(c).Actor, "", p.ID, gateway.PersonPatch{Status: &inactive}); err != nil {
		return u.fail(c, err)
	}
	return u.redirect(c, personPath(p.ID), &flash{Notice: noticeText("deactivated")})
}

// confirmDeactivate is deactivate's second step.
func (u *consoleUI) confirmDeactivate(c *fiber.Ctx) error { return u.showPerson(c, "deactivate") }

// setPassword is the manual override. It answers with a redirect; a
// generated password waits for that page in a single-read flash (never in
// a URL), so a reload shows the page without it and sets nothing.
func (u *consoleUI) setPassword(c *fiber.Ctx) error {
	p, err := u.loadPerson(c)
	if err != nil {
		return u.fail(c, err)
	}
	must := checked(c, "must_change")
	in := gateway.PasswordInput{Password: c.FormValue("password"), Generate: c.FormValue("mode") == "generate",
		MustChange: &must}
	res, err := u.svc.SetPassword(c.UserContext(), session(c).Actor, p.ID, in)
	if err != nil {
		switch gateway.ErrorKind(err) {
		case gateway.KindInvalid, gateway.KindUnprocessable, gateway.KindConflict:
			f := &flash{Error: "The password was not set.", Fields: map[string]string{"password": errMessage(err)}}
			return u.redirect(c, personPath(p.ID)+"#password", f)
		}
		return u.fail(c, err)
	}
	f := &flash{Notice: "Password set. " + p.Name + " gets an email saying so (without the password)."}
	if res.Generated != "" {
		f.Generated = res.Generated
		f.Notice = "Password generated and set. Give it to " + p.Name + " now: it is not shown again."
	}
	return u.redirect(c, personPath(p.ID), f)
}
