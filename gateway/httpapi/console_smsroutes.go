package httpapi

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// The settings page's "SMS routes" card: the tenant's chain in the order
// texts try it (each link removable and movable), the aws route's form,
// and a test of the chain's links. Every change saves the whole chain
// through the same settings call the API makes, with the secrets the
// chain already holds: a secret is never sent to the page, so a form
// that leaves it empty keeps it.

func (u *consoleUI) routesSMSRoutes() {
	a := u.s.app
	a.Post("/admin/settings/sms-routes/aws", u.auth, u.saveAWSRoute)
	a.Post("/admin/settings/sms-routes/remove", u.auth, u.removeSMSRoute)
	a.Post("/admin/settings/sms-routes/move", u.auth, u.moveSMSRoute)
	a.Post("/admin/settings/sms-routes/test", u.auth, u.testSMSRoutes)
}

const smsRoutesPath = "/admin/settings#sms-routes"

// smsRoutesView is the card: the chain, the aws form and the last test.
type smsRoutesView struct {
	// Own is whether the tenant set its own chain (else it is the default
	// one, shown as such).
	Own   bool
	Links []routeLink
	// Places are the places the aws route may take; Full says the chain
	// has no room for one more route.
	Places []int
	Full   bool
	AWS    awsForm
	Test   routeTest
	// Carriers are the carriers the carrier link's test may go through,
	// when the chain has that link.
	Carriers []*gateway.Carrier
}

// routeLink is one link of the chain as the card lists it.
type routeLink struct {
	Place  int
	Kind   gateway.Route
	Label  string
	Target string
	// Skipped says why texts pass this link by, in words.
	Skipped string
	First   bool
	Last    bool
}

// awsForm is the aws route's form: the route as saved, or a refused
// form as typed (never its secret), with each field's error.
type awsForm struct {
	Set                 bool
	Region              string
	OriginationIdentity string
	ConfigurationSet    string
	AccessKeyID         string
	Endpoint            string
	HasSecret           bool
	Place               int
	Errs                map[string]string
}

// routeTest is the chain test's form and its results, link by link.
type routeTest struct {
	Phone   string
	Message string
	Link    string // "" is every link
	Carrier string // "" is the carrier on record for the phone
	Results []*gateway.ProviderTestResult
}

// awsFields are the aws form's fields, named as in the settings API.
var awsFields = []string{"region", "origination_identity", "configuration_set", "access_key_id", "endpoint", "place"}

// viewSMSRoutes builds the card for t, with what a refused form or a test
// left in the flash.
func (u *consoleUI) viewSMSRoutes(ctx context.Context, a gateway.Actor, t *gateway.Tenant, f *flash) (smsRoutesView, error) {
	links, err := u.svc.RouteChains(ctx, a, t.Slug)
	if err != nil {
		return smsRoutesView{}, err
	}
	v := smsRoutesView{Own: len(t.SMSRoutes) > 0}
	for i, l := range links {
		if l.Kind == gateway.RouteCarrier && v.Carriers == nil {
			if v.Carriers, err = u.svc.Carriers(ctx, a); err != nil {
				return smsRoutesView{}, err
			}
		}
		rl := routeLink{Place: l.Index + 1, Kind: l.Kind, Label: gateway.RouteLabel(l.Kind), Target: l.Target,
			First: i == 0, Last: i == len(links)-1}
		if l.Why != "" {
			rl.Skipped = "skipped: " + gateway.ReasonWords(l.Why)
		}
		v.Links = append(v.Links, rl)
	}
	v.AWS.Place = len(links) + 1
	if r := t.AWSRoute(); r != nil {
		v.AWS = awsForm{Set: true, Region: r.Region, OriginationIdentity: r.OriginationIdentity,
			ConfigurationSet: r.ConfigurationSet, AccessKeyID: r.AccessKeyID, Endpoint: r.Endpoint,
			HasSecret: r.SecretAccessKey != ""}
		for _, l := range v.Links {
			if l.Kind == gateway.RouteAWS {
				v.AWS.Place = l.Place
			}
		}
	}
	n := len(links)
	if !v.AWS.Set {
		n++
	}
	v.Full = n > gateway.MaxSMSRoutes
	for i := 1; i <= min(n, gateway.MaxSMSRoutes); i++ {
		v.Places = append(v.Places, i)
	}
	if fl := f.Form; fl != nil && fl.Get("form") == "aws" {
		v.AWS.Region, v.AWS.OriginationIdentity = fl.Get("region"), fl.Get("origination_identity")
		v.AWS.ConfigurationSet, v.AWS.AccessKeyID, v.AWS.Endpoint = fl.Get("configuration_set"), fl.Get("access_key_id"), fl.Get("endpoint")
		v.AWS.Place, _ = strconv.Atoi(fl.Get("place"))
		v.AWS.Errs = f.Fields
	}
	if f.RouteTest != nil {
		v.Test = *f.RouteTest
	}
	return v, nil
}

// chainNow is the tenant's chain as texts try it (the default one when it
// set none), with the secrets it holds.
func (u *consoleUI) chainNow(c *fiber.Ctx) (*gateway.Tenant, []gateway.SMSRoute, error) {
	t, err := u.svc.Settings(c.UserContext(), session(c).Actor, tenantParam(c))
	if err != nil {
		return nil, nil, err
	}
	return t, append([]gateway.SMSRoute(nil), u.svc.SMSChain(t)...), nil
}

// saveChain saves chain as the tenant's (an empty one goes back to the
// default chain).
func (u *consoleUI) saveChain(c *fiber.Ctx, chain []gateway.SMSRoute) error {
	if chain == nil {
		chain = []gateway.SMSRoute{}
	}
	_, err := u.svc.UpdateSettings(c.UserContext(), session(c).Actor, tenantParam(c), gateway.SettingsPatch{SMSRoutes: &chain})
	return err
}

// linkAt is the place the form names, checked against the kind the page
// showed there: a chain changed since the page was shown is not edited
// by places that now mean other routes.
func linkAt(c *fiber.Ctx, chain []gateway.SMSRoute) (int, error) {
	i, err := strconv.Atoi(c.FormValue("link"))
	if err != nil || i < 1 || i > len(chain) || string(chain[i-1].Kind) != c.FormValue("kind") {
		return 0, gateway.Errorf(gateway.KindConflict, "sms_routes_changed",
			"the SMS routes changed since this page was shown: look at them again, then retry")
	}
	return i - 1, nil
}

func (u *consoleUI) chainRefused(c *fiber.Ctx, err error) error {
	switch gateway.ErrorKind(err) {
	case gateway.KindInvalid, gateway.KindUnprocessable, gateway.KindConflict:
		return u.redirect(c, smsRoutesPath, &flash{Error: "Not saved: " + sentenceOf(errMessage(err))})
	}
	return u.fail(c, err)
}

func (u *consoleUI) removeSMSRoute(c *fiber.Ctx) error {
	_, chain, err := u.chainNow(c)
	if err != nil {
		return u.fail(c, err)
	}
	i, err := linkAt(c, chain)
	if err != nil {
		return u.chainRefused(c, err)
	}
	if err := u.saveChain(c, append(chain[:i:i], chain[i+1:]...)); err != nil {
		return u.chainRefused(c, err)
	}
	return u.redirect(c, smsRoutesPath, &flash{Notice: "Route removed. Texts now try the routes listed, in that order."})
}

func (u *consoleUI) moveSMSRoute(c *fiber.Ctx) error {
	_, chain, err := u.chainNow(c)
	if err != nil {
		return u.fail(c, err)
	}
	i, err := linkAt(c, chain)
	if err != nil {
		return u.chainRefused(c, err)
	}
	j := i + 1
	if c.FormValue("dir") == "up" {
		j = i - 1
	}
	if j < 0 || j >= len(chain) {
		return u.redirect(c, smsRoutesPath, nil)
	}
	chain[i], chain[j] = chain[j], chain[i]
	if err := u.saveChain(c, chain); err != nil {
		return u.chainRefused(c, err)
	}
	return u.redirect(c, smsRoutesPath, &flash{Notice: "Order saved."})
}

// saveAWSRoute adds, edits or (remove=1) removes the aws route, at the
// place the form names. A secret access key left empty keeps the saved
// one for the same access key id.
func (u *consoleUI) saveAWSRoute(c *fiber.Ctx) error {
	_, chain, err := u.chainNow(c)
	if err != nil {
		return u.fail(c, err)
	}
	at, rest := -1, chain[:0:0]
	for i, r := range chain {
		if r.Kind == gateway.RouteAWS {
			at = i
			continue
		}
		rest = append(rest, r)
	}
	if checked(c, "remove") {
		if at < 0 {
			return u.redirect(c, smsRoutesPath, nil)
		}
		if err := u.saveChain(c, rest); err != nil {
			return u.chainRefused(c, err)
		}
		return u.redirect(c, smsRoutesPath, &flash{Notice: "The AWS route is removed."})
	}
	field := func(k string) string { return strings.TrimSpace(c.FormValue(k)) }
	r := gateway.SMSRoute{Kind: gateway.RouteAWS, Region: field("region"), OriginationIdentity: field("origination_identity"),
		ConfigurationSet: field("configuration_set"), AccessKeyID: field("access_key_id"),
		SecretAccessKey: field("secret_access_key"), Endpoint: field("endpoint")}
	if at >= 0 && r.SecretAccessKey == "" && r.AccessKeyID == chain[at].AccessKeyID {
		r.SecretAccessKey = chain[at].SecretAccessKey
	}
	place, err := strconv.Atoi(field("place"))
	if err != nil || place < 1 {
		return u.awsRefused(c, "place", "Place is a number: 1 is tried first.")
	}
	place = min(place, len(rest)+1)
	next := append(append(append([]gateway.SMSRoute{}, rest[:place-1]...), r), rest[place-1:]...)
	if err := u.saveChain(c, next); err != nil {
		if gateway.ErrorKind(err) != gateway.KindInvalid {
			return u.fail(c, err)
		}
		f, words := awsFieldOf(errMessage(err))
		return u.awsRefused(c, f, words)
	}
	return u.redirect(c, smsRoutesPath, &flash{Notice: "The AWS route is saved at place " + strconv.Itoa(place) + "."})
}

// awsRefused shows the aws form again as typed, without its secret, with
// the error beside its field (or above the form when it is no field's).
func (u *consoleUI) awsRefused(c *fiber.Ctx, field, words string) error {
	all := formValues(c)
	v := url.Values{"form": {"aws"}}
	for _, k := range awsFields {
		if x, ok := all[k]; ok {
			v[k] = x
		}
	}
	f := &flash{Form: v, Fields: map[string]string{}, Error: "Not saved: fix the field marked below."}
	if field == "" {
		f.Error = "Not saved: " + words
	} else {
		f.Fields[field] = words
	}
	return u.redirect(c, "/admin/settings#aws-route", f)
}

// awsWords are the aws route's fields as the API names them in its
// errors, and as the form labels them.
var awsWords = []struct{ api, label string }{
	{"origination_identity", "origination identity"}, {"configuration_set", "configuration set"},
	{"secret_access_key", "secret access key"}, {"access_key_id", "access key ID"},
	{"region", "region"}, {"endpoint", "endpoint"},
}

// awsFieldOf is the field a refused aws route's error is about (the
// first the message names) and the message in the form's words.
func awsFieldOf(msg string) (field, words string) {
	if _, rest, ok := strings.Cut(msg, "]: "); ok && strings.HasPrefix(msg, "sms_routes[") {
		msg = rest
	}
	first := len(msg)
	for _, w := range awsWords {
		if i := strings.Index(msg, w.api); i >= 0 && i < first {
			first, field = i, w.api
		}
	}
	for _, w := range awsWords {
		msg = strings.ReplaceAll(msg, w.api, w.label)
	}
	return field, sentenceOf(msg)
}

// sentenceOf starts s with a capital and ends it with a full stop.
func sentenceOf(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// testSMSRoutes tests the link the form names, or every link, and shows
// each link's result in order on the settings page.
func (u *consoleUI) testSMSRoutes(c *fiber.Ctx) error {
	rt := routeTest{Phone: c.FormValue("phone"), Message: c.FormValue("message"), Link: c.FormValue("link"), Carrier: c.FormValue("carrier")}
	in := gateway.ChainTestInput{ProviderTestInput: gateway.ProviderTestInput{Tenant: tenantParam(c), Phone: rt.Phone, Message: rt.Message},
		Carrier: rt.Carrier}
	if rt.Link != "" {
		n, err := strconv.Atoi(rt.Link)
		if err != nil {
			return u.redirect(c, smsRoutesPath, &flash{Error: "Choose a route to test, or every route.", RouteTest: &rt})
		}
		in.Links = []int{n}
	}
	res, err := u.svc.TestChain(c.UserContext(), session(c).Actor, in)
	rt.Results = res
	f := &flash{RouteTest: &rt}
	if err != nil {
		switch gateway.ErrorKind(err) {
		case gateway.KindInvalid, gateway.KindUnprocessable, gateway.KindConflict, gateway.KindRateLimited:
			f.Error = errMessage(err)
		default:
			return u.fail(c, err)
		}
	}
	return u.redirect(c, "/admin/settings#route-test", f)
}
