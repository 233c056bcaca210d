package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Secrets never come from argv: every user of the machine can read a
// process's command line (ps, /proc), and shells keep it in their
// history. Each secret is an environment variable, or a file named by a
// --NAME-file flag or a NAME_FILE variable (Docker and systemd secrets).

// secretSetting is one secret the server reads.
type secretSetting struct {
	env  string  // RESETGW_ADMIN_TOKEN
	flag string  // admin-token: the refused flag; "admin-token-file" reads a file
	what string  // for -h
	out  *string // where the value goes
	file *string // the --NAME-file flag's value
}

func (c *config) secretSettings() []*secretSetting {
	return []*secretSetting{
		{env: "RESETGW_ADMIN_TOKEN", flag: "admin-token", what: "bearer token for /admin/api, at least 32 characters", out: &c.AdminToken},
		{env: "RESETGW_SMTP_URL", flag: "smtp-url", what: "default SMTP profile, smtp://[user:pass@]host:port or smtps://", out: &c.SMTPURL},
		{env: "RESETGW_TWILIO_AUTH_TOKEN", flag: "twilio-auth-token", what: "default Twilio auth token", out: &c.TwilioToken},
		{env: "RESETGW_SECRET_KEY", flag: "secret-key", what: "server key, 64 hex chars; default: a key file", out: &c.SecretKey},
	}
}

// registerSecretFlags adds the --NAME-file flag of each secret.
func registerSecretFlags(fs *flag.FlagSet, secrets []*secretSetting, getenv func(string) string) {
	for _, s := range secrets {
		s.file = fs.String(s.flag+"-file", getenv(s.env+"_FILE"),
			fmt.Sprintf("file holding the %s (%s_FILE; or set %s)", s.what, s.env, s.env))
	}
}

// refuseSecretArgs stops a secret given as a flag before the flag
// package can echo it back in an error. It names the flag, never the
// value.
func refuseSecretArgs(args []string, secrets []*secretSetting) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		name, ok := strings.CutPrefix(a, "-")
		if !ok {
			continue
		}
		name = strings.TrimPrefix(name, "-")
		name, _, _ = strings.Cut(name, "=")
		for _, s := range secrets {
			if name == s.flag {
				return fmt.Errorf("--%s is not accepted: a secret on the command line is visible to every user of the machine; "+
					"set %s in the environment, or put it in a file and pass --%s-file", s.flag, s.env, s.flag)
			}
		}
	}
	return nil
}

// maxSecretFile bounds what a secret file may hold: no secret here is
// longer than a URL.
const maxSecretFile = 64 << 10

// loadSecrets fills each secret from its variable or its file; both at
// once is refused, as it is not clear which one the operator meant.
func loadSecrets(secrets []*secretSetting, getenv func(string) string) error {
	for _, s := range secrets {
		env := getenv(s.env)
		if *s.file == "" {
			*s.out = env
			continue
		}
		if env != "" {
			return fmt.Errorf("both %s and a file for it (--%s-file / %s_FILE) are set: keep one", s.env, s.flag, s.env)
		}
		v, err := readSecretFile(*s.file)
		if err != nil {
			return fmt.Errorf("--%s-file: %w", s.flag, err)
		}
		*s.out = v
	}
	return nil
}

func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		// The path is the operator's own and no secret; the error says
		// whether it is missing or unreadable.
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d bytes", path, maxSecretFile)
	}
	v := strings.TrimSpace(string(b)) // editors and echo add a newline
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}

// minAdminToken is the shortest admin token served: a bearer token is
// the whole of the admin API's protection, so it must be long enough
// that guessing it (at any rate) is hopeless.
const minAdminToken = 32

func checkAdminToken(tok string) error {
	if tok != "" && len(tok) < minAdminToken {
		return errors.New("RESETGW_ADMIN_TOKEN must be at least 32 characters (it is shorter); " +
			"make one with: openssl rand -hex 32")
	}
	return nil
}
