package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// neutral is the one answer to every accepted reset request, whatever
// happens next: it must not tell whether the account exists.
const neutral = "If the details match an account that may reset its password, a new password is on its way by text and email."

func (s *Server) routesPublic() {
	v1 := s.app.Group("/v1")
	v1.Post("/password-resets", s.requestReset)
	v1.Post("/login", s.login)
	v1.Post("/password", s.changePassword)
}

// requestReset: 202 with the request id once the request is in the store.
func (s *Server) requestReset(c *fiber.Ctx) error {
	b, err := decodeReset(c.Body())
	if err != nil {
		return err
	}
	id, err := s.svc.RequestReset(c.UserContext(), gateway.ResetInput{
		Email: b.Email, Phone: b.Phone, Tenant: b.Tenant, IP: clientIP(c), Source: gateway.SourceAPI,
	})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"request_id": id, "message": neutral})
}

func (s *Server) login(c *fiber.Ctx) error {
	b, err := decodeLogin(c.Body())
	if err != nil {
		return err
	}
	res, err := s.svc.Login(c.UserContext(), gateway.LoginInput{
		Tenant: b.Tenant, Email: b.Email, Password: b.Password, IP: clientIP(c),
	})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"must_change": res.MustChange})
}

func (s *Server) changePassword(c *fiber.Ctx) error {
	var b changeBody
	if err := decodeJSON(c.Body(), &b); err != nil {
		return err
	}
	if b.Email == "" || b.OldPassword == "" || b.NewPassword == "" {
		return gateway.Errorf(gateway.KindInvalid, "fields_required", "email, old_password and new_password are required")
	}
	err := s.svc.ChangePassword(c.UserContext(), gateway.ChangeInput{
		Tenant: b.Tenant, Email: b.Email, OldPassword: b.OldPassword, NewPassword: b.NewPassword, IP: clientIP(c),
	})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"changed": true})
}
