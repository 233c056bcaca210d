package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

const usage = `resetgw: an SMS/email-first password reset gateway.

Usage:
  resetgw serve [flags]     run the HTTP API and the delivery worker
  resetgw serve --demo      the same, with a seeded demo tenant and a dev inbox
  resetgw healthcheck       exit 0 when the local gateway answers /healthz (for Docker)
  resetgw version
  resetgw admin create --email E [--tenant SLUG]   a console admin (/admin); "resetgw help" lists every admin command

Run "resetgw serve -h" for the flags; each has an environment variable.
`

var version = "dev"

// run is the whole program but for the process: tests call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("a subcommand is required")
	}
	switch args[0] {
	case "serve":
		cfg, err := parseServe(args[1:], getenv, stderr)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, args[1:], getenv, stdout)
	case "version":
		fmt.Fprintln(stdout, "resetgw", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		fmt.Fprint(stdout, adminUsage)
		return nil
	}
	if adminCommands[args[0]] {
		return runAdmin(ctx, args, getenv, stdin, stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown subcommand %q", args[0])
}

// healthcheck asks the gateway at RESETGW_LISTEN for /healthz, so that a
// container needs no curl.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	def := getenv("RESETGW_LISTEN")
	if def == "" {
		def = "127.0.0.1:8080"
	}
	addr := fs.String("listen", def, "address the gateway listens on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	host := *addr
	if strings.HasPrefix(host, "0.0.0.0:") || strings.HasPrefix(host, ":") {
		host = "127.0.0.1:" + host[strings.LastIndex(host, ":")+1:]
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz answered %s", resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
