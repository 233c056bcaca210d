package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// The login ceiling as an admin sees it, and the actions that clear it.
func (s *Server) routesAdminThrottles(a fiber.Router) {
	a.Post("/personnel/:id/unlock", s.unlockPerson)
	a.Post("/admins/:email/unlock", s.unlockAdmin)
}

func loginLockJSON(l gateway.LoginLock) fiber.Map {
	return fiber.Map{"failures": l.Failures, "ceiling": l.Ceiling, "locked": l.Locked}
}

func (s *Server) unlockPerson(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p, err := s.svc.UnlockPerson(c.UserContext(), actor(c), c.Query("tenant"), id)
	if err != nil {
		return err
	}
	return s.personWithLock(c, p)
}

// personWithLock answers a person with their login ceiling's state.
func (s *Server) personWithLock(c *fiber.Ctx, p *gateway.Person) error {
	lock, err := s.svc.PersonLoginLock(c.UserContext(), p)
	if err != nil {
		return err
	}
	m := personJSON(p)
	m["login"] = loginLockJSON(lock)
	return c.JSON(m)
}

func (s *Server) unlockAdmin(c *fiber.Ctx) error {
	ad, err := s.svc.UnlockAdmin(c.UserContext(), actor(c), c.Params("email"))
	if err != nil {
		return err
	}
	return s.adminWithLock(c, ad)
}

func (s *Server) adminWithLock(c *fiber.Ctx, ad *gateway.Admin) error {
	lock, err := s.svc.AdminLoginLock(c.UserContext(), ad)
	if err != nil {
		return err
	}
	m := adminJSON(ad)
	m["login"] = loginLockJSON(lock)
	return c.JSON(m)
}
