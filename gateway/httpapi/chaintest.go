package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// testSMSRoutes tests the links of the tenant's SMS chain the body names
// (every link without "links"), one text each, and answers 200 with each
// link's result in the chain's order: a refusal is an answer, as for a
// single Test Provider.
func (s *Server) testSMSRoutes(c *fiber.Ctx) error {
	var b struct {
		Phone   string `json:"phone"`
		Message string `json:"message"`
		Tenant  string `json:"tenant"`
		Links   []int  `json:"links"`
		Carrier string `json:"carrier"`
	}
	if err := decodeStrict(c.Body(), &b); err != nil {
		return err
	}
	res, err := s.svc.TestChain(c.UserContext(), actor(c), gateway.ChainTestInput{
		ProviderTestInput: gateway.ProviderTestInput{Tenant: firstOf(b.Tenant, c.Query("tenant")), Phone: b.Phone, Message: b.Message},
		Links:             b.Links, Carrier: b.Carrier})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"results": res})
}
