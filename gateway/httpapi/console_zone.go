package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// The tenant's time zone, its own small form on the settings page: every
// console page shows times in it.

func (u *consoleUI) routesZone() {
	u.s.app.Post("/admin/settings/time-zone", u.auth, u.saveZone)
}

// commonZones are offered in the field's list; any IANA name is taken.
var commonZones = []string{"UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
	"America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "America/Toronto",
	"America/Vancouver", "America/Mexico_City", "Europe/London", "Europe/Madrid"}

func (u *consoleUI) saveZone(c *fiber.Ctx) error {
	tz := c.FormValue("time_zone")
	if tz == "UTC" {
		tz = ""
	}
	_, err := u.svc.UpdateSettings(c.UserContext(), session(c).Actor, tenantParam(c), gateway.SettingsPatch{TimeZone: &tz})
	if err != nil {
		if gateway.ErrorKind(err) == gateway.KindInvalid {
			f := refused(c, err)
			f.Fields["time_zone"], f.Error = errMessage(err), "Not saved: fix the field marked below."
			return u.redirect(c, "/admin/settings#time-zone", f)
		}
		return u.fail(c, err)
	}
	return u.redirect(c, "/admin/settings#time-zone", &flash{Notice: "Saved: times are shown in " + zoneNameOf(tz) + "."})
}

func zoneNameOf(tz string) string {
	if tz == "" {
		return "UTC"
	}
	return tz
}
