package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// routesOptOuts: the STOP and START texts that came by mail and were not
// applied (mail can be forged), and the admin's hand to apply one.
func (s *Server) routesOptOuts(a fiber.Router) {
	a.Get("/opt-out-requests", s.listOptOutRequests)
	a.Post("/opt-outs", s.setOptOut)
}

func (s *Server) listOptOutRequests(c *fiber.Ctx) error {
	limit, _ := paging(c)
	evs, err := s.svc.OptOutRequests(c.UserContext(), actor(c), c.Query("tenant"), limit)
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(evs))
	for _, e := range evs {
		m := eventJSON(e)
		m["phone"] = e.ActorID
		m["wants"] = "opt_out"
		if e.Type == gateway.EventOptInRequested {
			m["wants"] = "opt_in"
		}
		out = append(out, m)
	}
	return c.JSON(fiber.Map{"requests": out})
}

type optOutBody struct {
	Tenant   string `json:"tenant"`
	Phone    string `json:"phone"`
	OptedOut *bool  `json:"opted_out"`
}

// setOptOut refuses a field it does not take, as every admin call does: a
// misspelt opted_out must not read as "not given".
func (s *Server) setOptOut(c *fiber.Ctx) error {
	var b optOutBody
	if err := decodeStrict(c.Body(), &b); err != nil {
		return err
	}
	if b.OptedOut == nil {
		return gateway.Errorf(gateway.KindInvalid, "opted_out_required", "opted_out is true (no more texts) or false (texts again)")
	}
	tenant := b.Tenant
	if tenant == "" {
		tenant = c.Query("tenant")
	}
	if err := s.svc.SetOptOutByAdmin(c.UserContext(), actor(c), tenant, b.Phone, *b.OptedOut); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"phone_opted_out": *b.OptedOut})
}
