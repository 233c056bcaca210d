package httpapi

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// Verification links for the people who have none (added or imported
// before the company required verified emails): the settings page says
// how many, a second page asks to confirm that number, and only its POST
// with the number sends them.

func (u *consoleUI) routesVerifyLinks() {
	a := u.s.app
	a.Get("/admin/settings/verification-links", u.auth, u.confirmVerifyLinks)
	a.Post("/admin/settings/verification-links", u.auth, u.sendVerifyLinks)
}

// verifyLinksData is the confirmation step: how many people would get a
// link now.
type verifyLinksData struct{ Count int }

func (u *consoleUI) confirmVerifyLinks(c *fiber.Ctx) error {
	n, err := u.svc.VerificationBacklog(c.UserContext(), session(c).Actor, tenantParam(c))
	if err != nil {
		return u.fail(c, err)
	}
	p := u.page(c, "settings", "Send verification links", verifyLinksData{Count: n})
	return u.render(c, "verifylinks.html", p)
}

func (u *consoleUI) sendVerifyLinks(c *fiber.Ctx) error {
	n, err := strconv.Atoi(c.FormValue("count"))
	if !confirmed(c) || err != nil {
		return u.redirect(c, "/admin/settings/verification-links", nil)
	}
	res, err := u.svc.SendVerificationLinks(c.UserContext(), session(c).Actor, tenantParam(c), n)
	if code := gateway.ErrorCode(err); code == "verify_count_changed" || code == "verification_not_required" {
		return u.redirect(c, "/admin/settings/verification-links", &flash{Error: "Nothing was sent: " + domainError(err).Message + "."})
	} else if err != nil && res == nil {
		return u.fail(c, err)
	}
	msg := "Verification links sent to " + plural(res.Sent, "person", "people") + "."
	if res.Throttled > 0 {
		msg += " " + plural(res.Throttled, "person", "people") + " had 3 links in the last hour already: send theirs later."
	}
	if err != nil {
		return u.fail(c, err)
	}
	return u.redirect(c, "/admin/settings#verification-links", &flash{Notice: msg})
}
