package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// smsRouteJSON is one link of sms_routes as an admin writes it. The aws
// fields are named so that such a route is refused for what it is (not
// offered by this gateway yet) rather than for a field name.
type smsRouteJSON struct {
	Kind   string `json:"kind"`
	URL    string `json:"url"`
	Secret string `json:"secret"`

	Region              string `json:"region"`
	OriginationIdentity string `json:"origination_identity"`
	AccessKeyID         string `json:"access_key_id"`
	SecretAccessKey     string `json:"secret_access_key"`
	Endpoint            string `json:"endpoint"`
}

func smsRoutes(in *[]smsRouteJSON) (*[]gateway.SMSRoute, error) {
	if in == nil {
		return nil, nil
	}
	out := make([]gateway.SMSRoute, 0, len(*in))
	for i, r := range *in {
		aws := r.Region != "" || r.OriginationIdentity != "" || r.AccessKeyID != "" || r.SecretAccessKey != "" || r.Endpoint != ""
		if aws && r.Kind != "aws" {
			return nil, gateway.Errorf(gateway.KindInvalid, "sms_route_field",
				"sms_routes[%d]: region, origination_identity, access_key_id, secret_access_key and endpoint belong to an aws route", i)
		}
		out = append(out, gateway.SMSRoute{Kind: gateway.Route(r.Kind), URL: r.URL, Secret: r.Secret})
	}
	return &out, nil
}

// routesJSON shows a tenant's own chain ([] when it uses the default one);
// a webhook's secret only as set.
func routesJSON(rs []gateway.SMSRoute) []fiber.Map {
	out := make([]fiber.Map, 0, len(rs))
	for _, r := range rs {
		m := fiber.Map{"kind": r.Kind}
		if r.Kind == gateway.RouteWebhook {
			m["url"], m["secret_set"] = r.URL, r.Secret != ""
		}
		out = append(out, m)
	}
	return out
}
