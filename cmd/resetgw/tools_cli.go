package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.DateOnly)
}

func carriersList(c *cli, args []string, getenv func(string) string) error {
	asJSON := c.fs.Bool("json", false, "print JSON, as GET /admin/api/carriers")
	closeDB, err := c.parseOpen(args, getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	cs, err := c.svc.Carriers(c.ctx, c.actor)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]map[string]any, 0, len(cs))
		for _, cr := range cs {
			m := map[string]any{"slug": cr.Slug, "name": cr.Name, "sms_domain": cr.SMSDomain,
				"mms_domain": cr.MMSDomain, "status": cr.Status, "retired_on": nil}
			if !cr.RetiredOn.IsZero() {
				m["retired_on"] = day(cr.RetiredOn)
			}
			out = append(out, m)
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tNAME\tSMS DOMAIN\tMMS DOMAIN\tSTATUS\tENDS")
	for _, cr := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cr.Slug, cr.Name, cr.SMSDomain, cr.MMSDomain, cr.Status, day(cr.RetiredOn))
	}
	return tw.Flush()
}

func carriersTest(c *cli, args []string, getenv func(string) string) error {
	phone := c.fs.String("phone", "", "the phone to text")
	msg := c.fs.String("message", "", "the text (the test template when empty)")
	tenant := c.fs.String("tenant", "", "whose SMTP profile or Twilio account to use")
	slug, err := c.parse(args, true)
	if err != nil {
		return err
	}
	closeDB, err := c.open(getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	res, err := c.svc.TestProvider(c.ctx, c.actor, slug, gateway.ProviderTestInput{Tenant: *tenant, Phone: *phone, Message: *msg})
	if err != nil {
		return err
	}
	return printTest(c, res)
}

func printTest(c *cli, res *gateway.ProviderTestResult) error {
	fmt.Fprintf(c.stdout, "to:     %s (%s)\n", res.To, res.Route)
	fmt.Fprintf(c.stdout, "answer: %s\n", res.Detail)
	if !res.OK {
		return errors.New("not delivered")
	}
	return nil
}

func emailTest(c *cli, args []string, getenv func(string) string) error {
	to := c.fs.String("to", "", "the address to mail")
	tenant := c.fs.String("tenant", "", "whose SMTP profile to use")
	closeDB, err := c.parseOpen(args, getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	res, err := c.svc.TestEmail(c.ctx, c.actor, *tenant, *to)
	if err != nil {
		return err
	}
	return printTest(c, res)
}

func carriersSave(c *cli, args []string, getenv func(string) string, create bool) error {
	in := gateway.CarrierInput{}
	fields := map[string]**string{"name": &in.Name, "country": &in.Country, "sms-domain": &in.SMSDomain,
		"mms-domain": &in.MMSDomain, "status": &in.Status, "retired-on": &in.RetiredOn, "note": &in.Note}
	vals := map[string]*string{}
	for name := range fields {
		vals[name] = c.fs.String(name, "", name)
	}
	slug, err := c.parse(args, true)
	if err != nil {
		return err
	}
	// Only the flags given change anything.
	c.fs.Visit(func(f *flag.Flag) {
		if p, ok := fields[f.Name]; ok {
			*p = vals[f.Name]
		}
	})
	in.Slug = slug
	closeDB, err := c.open(getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	cr, err := c.svc.SaveCarrier(c.ctx, c.actor, in, create)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %s, sms %s, status %s %s\n", cr.Slug, cr.Name, cr.SMSDomain, cr.Status, day(cr.RetiredOn))
	return nil
}

func carriersRetire(c *cli, args []string, getenv func(string) string) error {
	on := c.fs.String("on", "", "the day the gateway ends or ended, 2006-01-02 (today when empty)")
	slug, err := c.parse(args, true)
	if err != nil {
		return err
	}
	var d time.Time
	if *on != "" {
		if d, err = time.Parse(time.DateOnly, *on); err != nil {
			return errors.New("--on must be a date like 2027-03-31")
		}
	}
	closeDB, err := c.open(getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	cr, err := c.svc.RetireCarrier(c.ctx, c.actor, slug, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %s from %s\n", cr.Slug, cr.Status, day(cr.RetiredOn))
	return nil
}

func personnelImport(c *cli, args []string, getenv func(string) string) error {
	tenant := c.fs.String("tenant", "", "the tenant to import into")
	dry := c.fs.Bool("dry-run", false, "check and show what would change, write nothing")
	file, err := c.parse(args, true)
	if err != nil {
		return err
	}
	var r io.Reader = c.stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	closeDB, err := c.open(getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	res, err := c.svc.ImportPersonnel(c.ctx, c.actor, *tenant, r, !*dry)
	if err != nil {
		return err
	}
	for _, e := range res.Errors {
		fmt.Fprintf(c.stderr, "row %d: %s\n", e.Row, e.Message)
	}
	if len(res.Errors) > 0 {
		return fmt.Errorf("%d row(s) in error: nothing imported", len(res.Errors))
	}
	verb := "imported"
	if !res.Committed {
		verb = "would import (dry run)"
	}
	fmt.Fprintf(c.stdout, "%s into %s: %d created, %d updated, %d unchanged\n", verb, res.Tenant, res.Created, res.Updated, res.Unchanged)
	return nil
}

func passwordSet(c *cli, args []string, getenv func(string) string) error {
	person := c.fs.Int64("person", 0, "the person's id")
	email := c.fs.String("email", "", "or the person's email (in --tenant)")
	tenant := c.fs.String("tenant", "", "the person's tenant")
	generate := c.fs.Bool("generate", false, "generate the password and print it once")
	must := c.fs.Bool("must-change", false, "must be changed at next login (default: the tenant's setting, on unless turned off)")
	if _, err := c.parse(args, false); err != nil {
		return err
	}
	if (*person == 0) == (*email == "") {
		return errors.New("password set: give --person ID or --email E")
	}
	closeDB, err := c.open(getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	id := *person
	if id == 0 {
		addr, err := gateway.NormalizeEmail(*email)
		if err != nil {
			return err
		}
		ps, err := c.svc.ListPersonnel(c.ctx, c.actor, *tenant, addr, 10, 0)
		if err != nil {
			return err
		}
		t, err := c.svc.Tenant(c.ctx, *tenant)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.Email == addr && p.TenantID == t.ID {
				id = p.ID
			}
		}
		if id == 0 {
			return fmt.Errorf("nobody with email %s in tenant %s", addr, t.Slug)
		}
	}
	in := gateway.PasswordInput{Tenant: *tenant, Generate: *generate}
	c.fs.Visit(func(f *flag.Flag) {
		if f.Name == "must-change" {
			in.MustChange = must // given, true or false; else the tenant's
		}
	})
	if !*generate {
		if in.Password, err = c.readPassword("New password: "); err != nil {
			return err
		}
	}
	res, err := c.svc.SetPassword(c.ctx, c.actor, id, in)
	if err != nil {
		return err
	}
	if res.Generated != "" {
		fmt.Fprintf(c.stdout, "%s\n", res.Generated)
		fmt.Fprintln(c.stderr, "generated and set (shown this once); the person is notified by email")
		return nil
	}
	fmt.Fprintln(c.stdout, "password set; the person is notified by email")
	return nil
}

func resetsList(c *cli, args []string, getenv func(string) string) error {
	state := c.fs.String("state", "rolled_back", "received, rejected, delivering, delivered or rolled_back (empty: all)")
	tenant := c.fs.String("tenant", "", "one tenant only")
	closeDB, err := c.parseOpen(args, getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	rs, err := c.svc.ListResets(c.ctx, c.actor, *tenant, gateway.ResetState(*state), 500, 0)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUEST\tCREATED\tSTATE\tPERSON\tREASON\tERRORS")
	for _, r := range rs {
		var errs []string
		for _, d := range r.Deliveries {
			if d.ErrorCode != "" {
				errs = append(errs, string(d.Channel)+": "+d.ErrorCode+" "+d.ErrorDetail)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, when(r.CreatedAt), r.State, r.PersonID, r.Reason, strings.Join(errs, "; "))
	}
	return tw.Flush()
}

func resetsRetry(c *cli, args []string, getenv func(string) string) error {
	id, err := c.parse(args, true)
	if err != nil {
		return err
	}
	closeDB, err := c.open(getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	newID, err := c.svc.RetryReset(c.ctx, c.actor, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s (a running gateway delivers it)\n", newID)
	return nil
}

func logExport(c *cli, args []string, getenv func(string) string) error {
	out := c.fs.String("o", "-", "the CSV file to write (- for stdout)")
	types := c.fs.String("type", "", "event types, comma-separated")
	security := c.fs.Bool("security", false, "the security events preset")
	person := c.fs.Int64("person", 0, "one person's id")
	request := c.fs.String("request", "", "one request id")
	actor := c.fs.String("actor", "", "actor kind (admin, crew, system) or id (an admin's email)")
	since := c.fs.String("since", "", "from this day (2006-01-02) or time (RFC 3339)")
	until := c.fs.String("until", "", "to this day, included, or time")
	tenant := c.fs.String("tenant", "", "one tenant only")
	if _, err := c.parse(args, false); err != nil {
		return err
	}
	q := gateway.EventQuery{Tenant: *tenant, Security: *security, PersonID: *person, RequestID: *request, Actor: *actor}
	for _, t := range strings.Split(*types, ",") {
		if t = strings.TrimSpace(t); t != "" {
			q.Types = append(q.Types, t)
		}
	}
	var err error
	if q.Since, err = gateway.ParseTimeBound(*since, false, time.Local); err != nil {
		return err
	}
	if q.Until, err = gateway.ParseTimeBound(*until, true, time.Local); err != nil {
		return err
	}
	closeDB, err := c.open(getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	exp, err := c.svc.ExportEvents(c.ctx, c.actor, q)
	if err != nil {
		return err
	}
	w := c.stdout
	if *out != "-" {
		f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	if err := exp.WriteCSV(c.ctx, bw); err != nil {
		return err
	}
	return bw.Flush()
}

func routesHealth(c *cli, args []string, getenv func(string) string) error {
	tenant := c.fs.String("tenant", "", "one tenant only")
	closeDB, err := c.parseOpen(args, getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	rh, err := c.svc.RouteHealth(c.ctx, c.actor, *tenant)
	if err != nil {
		return err
	}
	if len(rh.People) == 0 {
		fmt.Fprintln(c.stdout, "nobody depends on an ending carrier gateway")
		return nil
	}
	for _, t := range rh.Tenants {
		fmt.Fprintf(c.stdout, "tenant %s: %d people on ending gateways (%d unreachable by text now), no Twilio\n", t.Slug, t.People, t.Ended)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tPERSON\tNAME\tPHONE\tCARRIER\tSTATUS\tENDS\tDAYS LEFT")
	for _, r := range rh.People {
		left := strconv.Itoa(r.DaysLeft)
		if r.Ended() {
			left = "ended"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Tenant, r.PersonID, r.Name, r.Phone, r.Carrier, r.Status, day(r.RetiredOn), left)
	}
	return tw.Flush()
}
