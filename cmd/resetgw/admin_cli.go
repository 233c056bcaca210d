package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/secret"
	"github.com/resetgw/resetgw/templates"
)

// The admin tools on the command line: the same Service methods as the
// console and the admin API, run against the database directly (the
// server may be running; SQLite's WAL lets both write). The actor is an
// operator named after the user running the command.

const adminUsage = `Admin commands (each takes --db, default RESETGW_DB):
  resetgw admin create --email E [--tenant SLUG]   make a console admin; the password is prompted
  resetgw admin list | disable --email E | enable --email E
  resetgw carriers list [--json]
  resetgw carriers test SLUG|twilio --phone P [--message M] [--tenant SLUG]
  resetgw carriers add SLUG --name N --country US --sms-domain D [--mms-domain D] [--status S]
  resetgw carriers set SLUG [--name N] [--sms-domain D] [--mms-domain D] [--status S] [--retired-on DATE] [--note T]
  resetgw carriers retire SLUG [--on DATE]
  resetgw personnel import FILE.csv [--tenant SLUG] [--dry-run]   (FILE - reads stdin)
  resetgw password set (--person ID | --email E) [--tenant SLUG] [--generate] [--must-change]
  resetgw resets list [--state rolled_back] [--tenant SLUG] | resets retry REQUEST_ID
  resetgw log export [-o FILE] [--type T,T] [--security] [--person ID] [--request ID] [--actor A]
                     [--since DATE] [--until DATE] [--tenant SLUG]
  resetgw routes [--tenant SLUG]                   who is texted through an ending carrier gateway
  resetgw email test --to ADDR [--tenant SLUG]
` + bulkUsage

// adminCommands are the subcommands runAdmin handles.
var adminCommands = map[string]bool{"admin": true, "carriers": true, "personnel": true, "password": true,
	"resets": true, "log": true, "routes": true, "email": true, "bulk": true}

// cli is an open store and service for one admin command.
type cli struct {
	ctx    context.Context
	svc    *gateway.Service
	actor  gateway.Actor
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	fs     *flag.FlagSet
	db     *string
}

func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 1 || (args[0] != "routes" && len(args) < 2) {
		fmt.Fprint(stderr, adminUsage)
		return errors.New("which admin command?")
	}
	name := args[0]
	rest := args[1:]
	if name != "routes" {
		name += " " + args[1]
		rest = args[2:]
	}
	c := &cli{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	c.fs = flag.NewFlagSet(name, flag.ContinueOnError)
	c.fs.SetOutput(stderr)
	db := getenv("RESETGW_DB")
	if db == "" {
		db = "resetgw.db"
	}
	c.db = c.fs.String("db", db, "SQLite database file, or a postgres:// URL (RESETGW_DB)")
	user := getenv("USER")
	if user == "" {
		user = "unknown"
	}
	c.actor = gateway.Actor{Kind: gateway.ActorAdmin, ID: "cli:" + user}
	cmd, ok := cliCommands[name]
	if !ok {
		fmt.Fprint(stderr, adminUsage)
		return fmt.Errorf("unknown command %q", name)
	}
	return cmd(c, rest, getenv)
}

var cliCommands = map[string]func(c *cli, args []string, getenv func(string) string) error{
	"admin create":     adminCreate,
	"admin list":       adminList,
	"admin disable":    func(c *cli, a []string, g func(string) string) error { return adminDisable(c, a, g, true) },
	"admin enable":     func(c *cli, a []string, g func(string) string) error { return adminDisable(c, a, g, false) },
	"carriers list":    carriersList,
	"carriers test":    carriersTest,
	"carriers add":     func(c *cli, a []string, g func(string) string) error { return carriersSave(c, a, g, true) },
	"carriers set":     func(c *cli, a []string, g func(string) string) error { return carriersSave(c, a, g, false) },
	"carriers retire":  carriersRetire,
	"personnel import": personnelImport,
	"password set":     passwordSet,
	"resets list":      resetsList,
	"resets retry":     resetsRetry,
	"log export":       logExport,
	"routes":           routesHealth,
	"email test":       emailTest,
	"bulk reset":       bulkCommand(gateway.BulkReset),
	"bulk activate":    bulkCommand(gateway.BulkActivate),
	"bulk deactivate":  bulkCommand(gateway.BulkDeactivate),
	"bulk mobile_on":   bulkCommand(gateway.BulkMobileOn),
	"bulk mobile_off":  bulkCommand(gateway.BulkMobileOff),
	"bulk status":      func(c *cli, a []string, g func(string) string) error { return bulkJob(c, a, g, false) },
	"bulk cancel":      func(c *cli, a []string, g func(string) string) error { return bulkJob(c, a, g, true) },
}

// parse reads the flags, allowing one positional argument before them
// ("carriers test verizon --phone ..."), which it returns.
func (c *cli) parse(args []string, wantPositional bool) (string, error) {
	pos := ""
	if wantPositional && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = args[0], args[1:]
	}
	if err := c.fs.Parse(args); err != nil {
		return "", err
	}
	if pos == "" && wantPositional && c.fs.NArg() > 0 {
		pos = c.fs.Arg(0)
	} else if c.fs.NArg() > 0 {
		return "", fmt.Errorf("%s: unexpected argument %q", c.fs.Name(), c.fs.Arg(0))
	}
	if wantPositional && pos == "" {
		return "", fmt.Errorf("%s: an argument is missing (see resetgw help)", c.fs.Name())
	}
	return pos, nil
}

// open opens the store and the service as serve does (same key, same
// templates, same senders for tests), and returns what closes it.
// parseOpen is parse (no positional argument) then open, the start of
// most subcommands.
func (c *cli) parseOpen(args []string, getenv func(string) string) (func(), error) {
	if _, err := c.parse(args, false); err != nil {
		return nil, err
	}
	return c.open(getenv)
}

func (c *cli) open(getenv func(string) string) (func(), error) {
	cfg, err := parseServe(nil, getenv, io.Discard)
	if err != nil {
		return nil, err
	}
	if *c.db != getenv("RESETGW_DB") {
		if err := checkDBArg(*c.db); err != nil {
			return nil, err
		}
	}
	cfg.DB = *c.db
	master, err := loadSecret(cfg, c.stderr)
	if err != nil {
		return nil, err
	}
	keys, err := secret.NewKeys(master)
	if err != nil {
		return nil, err
	}
	store, err := openStore(c.ctx, cfg.DB, keys, "")
	if err != nil {
		return nil, err
	}
	if err := seedCarriers(c.ctx, store); err != nil {
		store.Close()
		return nil, err
	}
	renderer, err := templates.New(templates.Config{Dir: cfg.TemplatesDir})
	if err != nil {
		store.Close()
		return nil, err
	}
	c.svc, err = gateway.New(gateway.Config{Store: store, Renderer: renderer, Keys: keys, Limits: cfg.Limits,
		Hasher: secret.NewHasher(secret.HasherConfig{}), DefaultTwilio: cfg.TwilioSID != "", TwilioUnshared: cfg.TwilioUnshared,
		AWSDefaultCredentials: cfg.AWSDefaultCredentials,
		DefaultRegion:         cfg.DefaultRegion, Tester: newProviderTester(cfg, nil),
		DefaultTwilioFrom: cfg.TwilioFrom, SMSCountries: cfg.SMSCountries, PublicURL: cfg.PublicURL})
	if err != nil {
		store.Close()
		return nil, err
	}
	if _, err := c.svc.EnsureTenant(c.ctx, gateway.DefaultSlug, "Default"); err != nil {
		store.Close()
		return nil, err
	}
	return func() { store.Close() }, nil
}

// readPassword asks for a password: twice without echo on a terminal,
// one line from a pipe (for scripts and tests).
func (c *cli) readPassword(prompt string) (string, error) {
	f, isFile := c.stdin.(*os.File)
	var restore func()
	tty := false
	if isFile {
		restore, tty = noEcho(f)
	}
	r := bufio.NewReader(c.stdin)
	read := func(p string) (string, error) {
		fmt.Fprint(c.stderr, p)
		line, err := r.ReadString('\n')
		if tty {
			fmt.Fprintln(c.stderr)
		}
		if err != nil && (err != io.EOF || line == "") {
			return "", errors.New("no password given")
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	if tty {
		defer restore()
	}
	pw, err := read(prompt)
	if err != nil || !tty {
		return pw, err
	}
	again, err := read("Again: ")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", errors.New("the two passwords differ")
	}
	return pw, nil
}

func adminCreate(c *cli, args []string, getenv func(string) string) error {
	email := c.fs.String("email", "", "the admin's email (their login)")
	tenant := c.fs.String("tenant", "", "the tenant they administer; none makes an operator, who sees every tenant")
	if _, err := c.parse(args, false); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("admin create: --email is required")
	}
	closeDB, err := c.open(getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	pw, err := c.readPassword("Password for " + *email + " (at least 12 characters): ")
	if err != nil {
		return err
	}
	a, err := c.svc.CreateAdmin(c.ctx, c.actor, gateway.AdminInput{Email: *email, Password: pw, Tenant: *tenant})
	if err != nil {
		return err
	}
	scope := "operator (all tenants)"
	if *tenant != "" {
		scope = "admin of tenant " + strings.ToLower(*tenant)
	}
	fmt.Fprintf(c.stdout, "created %s, %s; sign in at /admin\n", a.Email, scope)
	return nil
}

func adminList(c *cli, args []string, getenv func(string) string) error {
	closeDB, err := c.parseOpen(args, getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	as, err := c.svc.ListAdmins(c.ctx, c.actor)
	if err != nil {
		return err
	}
	for _, a := range as {
		state := "active"
		if a.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(c.stdout, "%s\ttenant %d\t%s\tlast login %s\n", a.Email, a.TenantID, state, when(a.LastLoginAt))
	}
	return nil
}

func adminDisable(c *cli, args []string, getenv func(string) string, disable bool) error {
	email := c.fs.String("email", "", "the admin's email")
	closeDB, err := c.parseOpen(args, getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := c.svc.SetAdminDisabled(c.ctx, c.actor, *email, disable); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, "done")
	return nil
}
