package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// smsRouteJSON is one link of sms_routes as an admin writes it.
type smsRouteJSON struct {
	Kind   string `json:"kind"`
	URL    string `json:"url"`
	Secret string `json:"secret"`

	Region              string `json:"region"`
	OriginationIdentity string `json:"origination_identity"`
	AccessKeyID         string `json:"access_key_id"`
	SecretAccessKey     string `json:"secret_access_key"`
	Endpoint            string `json:"endpoint"`
	ConfigurationSet    string `json:"configuration_set"`
}

func smsRoutes(in *[]smsRouteJSON) (*[]gateway.SMSRoute, error) {
	if in == nil {
		return nil, nil
	}
	out := make([]gateway.SMSRoute, 0, len(*in))
	for _, r := range *in {
		// The domain refuses fields of another kind (sms_route_field).
		out = append(out, gateway.SMSRoute{Kind: gateway.Route(r.Kind), URL: r.URL, Secret: r.Secret,
			Region: r.Region, OriginationIdentity: r.OriginationIdentity, AccessKeyID: r.AccessKeyID,
			SecretAccessKey: r.SecretAccessKey, Endpoint: r.Endpoint, ConfigurationSet: r.ConfigurationSet})
	}
	return &out, nil
}

// routesJSON shows a tenant's own chain ([] when it uses the default one);
// a webhook's secret and an aws secret access key only as set.
// A webhook shows where its provider posts statuses (status_url, or
// status_path without RESETGW_PUBLIC_URL); a route saved before routes
// had ids gets one when the chain is saved again.
func (s *Server) routesJSON(t *gateway.Tenant) []fiber.Map {
	out := make([]fiber.Map, 0, len(t.SMSRoutes))
	for i := range t.SMSRoutes {
		r := &t.SMSRoutes[i]
		m := fiber.Map{"kind": r.Kind}
		if r.Kind == gateway.RouteWebhook {
			m["url"], m["secret_set"] = r.URL, r.Secret != ""
			if name := gateway.RouteStatusName(t, r); name != "" {
				m["status_path"] = gateway.RouteStatusPath(name)
				if s.tw.publicURL != "" {
					m["status_url"] = s.tw.publicURL + gateway.RouteStatusPath(name)
				}
			}
		}
		if r.Kind == gateway.RouteAWS {
			m["region"], m["origination_identity"] = r.Region, r.OriginationIdentity
			m["access_key_id"], m["secret_access_key_set"] = r.AccessKeyID, r.SecretAccessKey != ""
			if r.ConfigurationSet != "" {
				m["configuration_set"] = r.ConfigurationSet
			}
			if r.Endpoint != "" {
				m["endpoint"] = r.Endpoint
			}
		}
		out = append(out, m)
	}
	return out
}
