package gateway

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/resetgw/resetgw/gateway/netguard"
)

// The shapes AWS gives these values: a region name ("us-east-1"), an
// origination identity (a phone number, a sender id, a pool, or their
// ids and ARNs), a configuration set's name or ARN, an access key id.
var (
	awsRegionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	awsIdentityRE  = regexp.MustCompile(`^[A-Za-z0-9_:/+-]{1,256}$`)
	awsConfigSetRE = regexp.MustCompile(`^[A-Za-z0-9_:/-]{1,256}$`)
	awsKeyIDRE     = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
)

// hasAWSFields reports whether r carries any aws-only field.
func (r SMSRoute) hasAWSFields() bool {
	return r.Region != "" || r.OriginationIdentity != "" || r.ConfigurationSet != "" ||
		r.AccessKeyID != "" || r.SecretAccessKey != "" || r.Endpoint != ""
}

// AWSRoute is the tenant's aws route; nil when it has none.
func (t *Tenant) AWSRoute() *SMSRoute {
	for i := range t.SMSRoutes {
		if t.SMSRoutes[i].Kind == RouteAWS {
			return &t.SMSRoutes[i]
		}
	}
	return nil
}

// UsesDefaultCredentials reports whether an aws route sends with the
// operator's default credential chain (it gives no key pair).
func (r *SMSRoute) UsesDefaultCredentials() bool { return r.AccessKeyID == "" }

// checkAWSRoute checks an aws route as an admin saves it. A secret access
// key left empty keeps the one saved for the same access key id, as
// secrets are never shown back. An endpoint is the SDK's, so like a
// tenant's SMTP host it must be public unless the operator set it.
func (s *Service) checkAWSRoute(a Actor, old []SMSRoute, r SMSRoute) (SMSRoute, error) {
	if r.URL != "" || r.Secret != "" {
		return r, routeError("url and secret belong to a webhook route")
	}
	r.Region = strings.TrimSpace(r.Region)
	r.OriginationIdentity = strings.TrimSpace(r.OriginationIdentity)
	r.ConfigurationSet = strings.TrimSpace(r.ConfigurationSet)
	r.AccessKeyID = strings.TrimSpace(r.AccessKeyID)
	r.Endpoint = strings.TrimSpace(r.Endpoint)
	if !awsRegionRE.MatchString(r.Region) {
		return r, routeError("region must be an AWS region name such as us-east-1")
	}
	if !awsIdentityRE.MatchString(r.OriginationIdentity) {
		return r, routeError("origination_identity must be the phone number, sender id, pool id or ARN to send from")
	}
	if r.ConfigurationSet != "" && !awsConfigSetRE.MatchString(r.ConfigurationSet) {
		return r, routeError("configuration_set must be a configuration set name or ARN")
	}
	var was *SMSRoute
	for i := range old {
		if old[i].Kind == RouteAWS {
			was = &old[i]
		}
	}
	switch {
	case r.AccessKeyID == "" && r.SecretAccessKey != "":
		return r, routeError("secret_access_key needs its access_key_id")
	case r.AccessKeyID == "":
		if !s.awsDefault {
			return r, routeError("give access_key_id and secret_access_key: this gateway does not lend the operator's AWS credentials")
		}
	default:
		if !awsKeyIDRE.MatchString(r.AccessKeyID) {
			return r, routeError("access_key_id must be an AWS access key id (upper-case letters and digits)")
		}
		if r.SecretAccessKey == "" && was != nil && was.AccessKeyID == r.AccessKeyID {
			r.SecretAccessKey = was.SecretAccessKey
		}
		if n := len(r.SecretAccessKey); n < 16 || n > 128 || strings.ContainsAny(r.SecretAccessKey, " \t\r\n") {
			return r, routeError("secret_access_key must be 16 to 128 characters without spaces")
		}
	}
	// An internal endpoint the operator set stays the operator's when a
	// tenant admin saves the chain again.
	r.OperatorSet = a.TenantID == 0 || (was != nil && was.OperatorSet && was.Endpoint == r.Endpoint)
	if r.Endpoint != "" {
		u, err := url.Parse(r.Endpoint)
		if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || u.RawQuery != "" || len(r.Endpoint) > 2000 ||
			(u.Scheme != "https" && !(r.OperatorSet && u.Scheme == "http")) {
			return r, routeError("endpoint must be an https:// URL without credentials or query")
		}
		if !r.OperatorSet && netguard.CheckHost(u.Hostname()) != nil {
			return r, routeError("endpoint host is not a public address; only the operator may use internal ones")
		}
	}
	return r, nil
}
