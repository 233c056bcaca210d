package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// The email verification page (/v/{token}): a GET only shows a button,
// so a mail scanner that opens every link verifies nothing; the button's
// POST verifies. The page names no person or address.

func (s *Server) verifyPage(c *fiber.Ctx) error {
	info, err := s.svc.CheckVerification(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	return s.verifyAnswer(c, s.newPage(c, info.Locale), info, "")
}

func (s *Server) verifyAnswer(c *fiber.Ctx, d *pageData, info *gateway.VerifyInfo, errMsg string) error {
	d.Company = info.Company
	switch {
	case info.Done:
		d.Heading, d.Message, d.OK = d.T["verify_done_title"], d.T["verify_done"], true
		return s.page(c, fiber.StatusOK, "message", d)
	case info.State != gateway.VerifyValid:
		d.Heading, d.Message = d.T["verify_gone_title"], d.T["verify_"+string(info.State)]
		status := fiber.StatusGone
		if info.State == gateway.VerifyUnknown {
			status = fiber.StatusNotFound
		}
		return s.page(c, status, "message", d)
	}
	d.Action, d.Error = "/v/"+c.Params("token"), errMsg
	status := fiber.StatusOK
	if errMsg != "" {
		status = fiber.StatusForbidden
	}
	return s.page(c, status, "verify", d)
}

func (s *Server) verifyPost(c *fiber.Ctx) error {
	token := c.Params("token")
	if !csrfOK(c) {
		info, err := s.svc.CheckVerification(c.UserContext(), token)
		if err != nil {
			return err
		}
		d := s.newPage(c, info.Locale)
		return s.verifyAnswer(c, d, info, d.T["err_csrf"])
	}
	info, err := s.svc.VerifyEmail(c.UserContext(), token, clientIP(c))
	if err != nil {
		return err
	}
	return s.verifyAnswer(c, s.newPage(c, info.Locale), info, "")
}
