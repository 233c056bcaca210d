package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"

	carriersmtp "github.com/resetgw/resetgw/carriers/smtp"
	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/httpapi"
)

// maxSMTPConnections bounds RESETGW_SMTP_LANE_CONNECTIONS: a relay counts
// connections per client and refuses those past its allowance, so the
// bound keeps a typo from opening hundreds.
const maxSMTPConnections = 64

// config is everything serve reads from flags and the environment; a flag
// wins over its variable. Secrets come only from the environment or from
// files (secretflags.go).
type config struct {
	Listen     string
	DB         string
	AdminToken string
	SMTPURL    string
	// SMTPAllowHosts are internal relay hosts tenants may use
	// (RESETGW_SMTP_ALLOW_HOSTS, comma-separated).
	SMTPAllowHosts []string
	MailFrom       string
	TwilioSID      string
	TwilioToken    string
	TwilioFrom     string
	TwilioAPIURL   string
	// TwilioUnshared keeps the operator's Twilio to the default tenant
	// (RESETGW_TWILIO_SHARED=false).
	TwilioUnshared bool
	// AWSDefaultCredentials lets aws routes without keys send with the
	// AWS SDK's default chain of this process
	// (RESETGW_AWS_DEFAULT_CREDENTIALS, off by default).
	AWSDefaultCredentials bool
	PublicURL             string
	SecretKey             string
	ConfigDir             string // the user's config folder, for the default key file
	Limits                gateway.Limits
	TemplatesDir          string
	LogLevel              string
	// MetricsListen serves /metrics without a token (a private address).
	MetricsListen string
	Demo          bool
	DefaultRegion string
	ProxyHeader   string
	Trusted       string
	// TrustedProxies is Trusted, parsed.
	TrustedProxies []netip.Prefix
	SendTimeout    time.Duration
	// SMTPConnections is how many connections each SMTP relay endpoint's
	// lane keeps and sends on at once (RESETGW_SMTP_LANE_CONNECTIONS).
	SMTPConnections int
	// MemoryLimit is the runtime's soft memory limit in bytes; 0 leaves
	// the runtime's own (GOMEMLIMIT, or none).
	MemoryLimit int64
	// SMSCountries is the operator's list of regions texts may go to; a
	// tenant's own list only narrows it.
	SMSCountries []string
	// The SMTP listener (inbound texts and bounces); off without an
	// address to listen on.
	SMTPListen, ResetAddress, BounceAddress string
	SMTPTLSCert, SMTPTLSKey                 string
}

func parseServe(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	c := &config{}
	secrets := c.secretSettings()
	if err := refuseSecretArgs(args, secrets); err != nil {
		return nil, err
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	registerSecretFlags(fs, secrets, getenv)
	fs.StringVar(&c.Listen, "listen", env("RESETGW_LISTEN", "127.0.0.1:8080"), "HTTP listen address (RESETGW_LISTEN)")
	fs.StringVar(&c.DB, "db", env("RESETGW_DB", "resetgw.db"), "SQLite database file, or a postgres:// URL (RESETGW_DB)")
	fs.StringVar(&c.MailFrom, "mail-from", env("RESETGW_MAIL_FROM", "resetgw@localhost"), "From address of the default profile (RESETGW_MAIL_FROM)")
	fs.StringVar(&c.TwilioSID, "twilio-account-sid", env("RESETGW_TWILIO_ACCOUNT_SID", ""), "default Twilio account SID (RESETGW_TWILIO_ACCOUNT_SID)")
	fs.StringVar(&c.TwilioFrom, "twilio-from", env("RESETGW_TWILIO_FROM", ""), "default Twilio From number or MG... Messaging Service SID (RESETGW_TWILIO_FROM)")
	fs.StringVar(&c.TwilioAPIURL, "twilio-api-url", env("RESETGW_TWILIO_API_URL", ""), "Twilio API base URL, for a regional edge, proxy or test server (RESETGW_TWILIO_API_URL)")
	fs.StringVar(&c.PublicURL, "public-url", env("RESETGW_PUBLIC_URL", ""), "URL the gateway is reached at from outside (RESETGW_PUBLIC_URL)")
	awsDefault := fs.String("aws-default-credentials", env("RESETGW_AWS_DEFAULT_CREDENTIALS", "false"), "let aws SMS routes without an access key send with this process's AWS credentials: environment, shared config, instance or task role (RESETGW_AWS_DEFAULT_CREDENTIALS)")
	shared := fs.String("twilio-shared", env("RESETGW_TWILIO_SHARED", "true"), "let tenants without their own Twilio account text through the operator's (RESETGW_TWILIO_SHARED)")
	c.ConfigDir = userConfigDir(getenv)
	def := gateway.DefaultLimits()
	rate := fs.String("rate-limit-ip", env("RESETGW_RATE_LIMIT_IP", strconv.Itoa(def.PerIP)), "reset requests per IP per hour, 0 = off (RESETGW_RATE_LIMIT_IP)")
	ratePersonIP := fs.String("rate-limit-person-ip", env("RESETGW_RATE_LIMIT_PERSON_IP", strconv.Itoa(def.PerPersonIP)), "resets of one person asked from one IP per hour, counted once matched, 0 = off (RESETGW_RATE_LIMIT_PERSON_IP)")
	ratePerson := fs.String("rate-limit-person", env("RESETGW_RATE_LIMIT_PERSON", strconv.Itoa(def.PerPerson)), "resets of one person per hour from anywhere, counted once matched, 0 = off (RESETGW_RATE_LIMIT_PERSON)")
	rateTenant := fs.String("rate-limit-tenant", env("RESETGW_RATE_LIMIT_TENANT", strconv.Itoa(def.PerTenant)), "resets per tenant per hour, 0 = off (RESETGW_RATE_LIMIT_TENANT)")
	fs.StringVar(&c.TemplatesDir, "templates", env("RESETGW_TEMPLATES_DIR", ""), "folder whose templates override the embedded ones (RESETGW_TEMPLATES_DIR)")
	fs.StringVar(&c.LogLevel, "log-level", env("RESETGW_LOG_LEVEL", "info"), "debug, info, warn or error (RESETGW_LOG_LEVEL)")
	fs.StringVar(&c.MetricsListen, "metrics-listen", env("RESETGW_METRICS_LISTEN", ""), "address serving /metrics without a token, e.g. 127.0.0.1:9090; empty = only on the main listener to the admin token (RESETGW_METRICS_LISTEN)")
	fs.BoolVar(&c.Demo, "demo", false, "seed a demo tenant and deliver into the dev inbox unless SMTP/Twilio are set")
	fs.StringVar(&c.DefaultRegion, "default-region", env("RESETGW_DEFAULT_REGION", "US"), "region of numbers given without +country code (RESETGW_DEFAULT_REGION)")
	fs.StringVar(&c.ProxyHeader, "proxy-header", env("RESETGW_PROXY_HEADER", ""), "header holding the client IP behind a proxy, e.g. X-Forwarded-For (RESETGW_PROXY_HEADER)")
	fs.StringVar(&c.Trusted, "trusted-proxies", env("RESETGW_TRUSTED_PROXIES", ""), "comma-separated proxy IPs/CIDRs allowed to set the proxy header (RESETGW_TRUSTED_PROXIES)")
	memLimit := fs.String("memory-limit", env("RESETGW_MEMORY_LIMIT", ""), "soft memory limit of the process, e.g. 64MiB or 1GiB, 0 = none; default 20MiB a core + 8MiB (at least 48MiB) unless GOMEMLIMIT is set (RESETGW_MEMORY_LIMIT)")
	countries := fs.String("sms-countries", env("RESETGW_SMS_COUNTRIES", "US,CA"), "comma-separated ISO regions any tenant's texts may go to (RESETGW_SMS_COUNTRIES)")
	smtpConns := fs.String("smtp-lane-connections", env("RESETGW_SMTP_LANE_CONNECTIONS", strconv.Itoa(carriersmtp.DefaultConnections)), "connections each SMTP relay endpoint's lane sends on at once, 1 to 64 (RESETGW_SMTP_LANE_CONNECTIONS)")
	timeout := fs.String("send-timeout", env("RESETGW_SEND_TIMEOUT", "30s"), "bound on one send to a provider; a crashed send is retried after it (RESETGW_SEND_TIMEOUT)")
	fs.StringVar(&c.SMTPListen, "smtp-listen", env("RESETGW_SMTP_LISTEN", ""), "address of the SMTP listener for texts by mail and bounces, e.g. :25; empty = none (RESETGW_SMTP_LISTEN)")
	fs.StringVar(&c.ResetAddress, "reset-address", env("RESETGW_RESET_ADDRESS", ""), "address phones text RESET/HELP/STOP/START to through their carrier (RESETGW_RESET_ADDRESS)")
	fs.StringVar(&c.BounceAddress, "bounce-address", env("RESETGW_BOUNCE_ADDRESS", ""), "envelope sender of outgoing mail, VERP-tagged per delivery, where bounces come back (RESETGW_BOUNCE_ADDRESS)")
	fs.StringVar(&c.SMTPTLSCert, "smtp-tls-cert", env("RESETGW_SMTP_TLS_CERT", ""), "PEM certificate file for STARTTLS on the SMTP listener (RESETGW_SMTP_TLS_CERT)")
	fs.StringVar(&c.SMTPTLSKey, "smtp-tls-key", env("RESETGW_SMTP_TLS_KEY", ""), "PEM key file for STARTTLS on the SMTP listener (RESETGW_SMTP_TLS_KEY)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	var dbErr error
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "db" {
			dbErr = checkDBArg(c.DB)
		}
	})
	if dbErr != nil {
		return nil, dbErr
	}
	if err := loadSecrets(secrets, getenv); err != nil {
		return nil, err
	}
	if err := checkAdminToken(c.AdminToken); err != nil {
		return nil, err
	}
	c.Limits = def
	for _, l := range []struct {
		name string
		in   *string
		out  *int
	}{
		{"RESETGW_RATE_LIMIT_IP", rate, &c.Limits.PerIP},
		{"RESETGW_RATE_LIMIT_PERSON_IP", ratePersonIP, &c.Limits.PerPersonIP},
		{"RESETGW_RATE_LIMIT_PERSON", ratePerson, &c.Limits.PerPerson},
		{"RESETGW_RATE_LIMIT_TENANT", rateTenant, &c.Limits.PerTenant},
	} {
		n, err := strconv.Atoi(strings.TrimSpace(*l.in))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%s must be a whole number ≥ 0", l.name)
		}
		*l.out = n
	}
	for _, gone := range []string{"RESETGW_RATE_LIMIT_EMAIL", "RESETGW_RATE_LIMIT_PHONE"} {
		if getenv(gone) != "" {
			// Counting per typed email or phone let strangers use up
			// someone's resets; silently ignoring the setting would hide
			// that it no longer means anything.
			return nil, fmt.Errorf("%s is gone: reset limits now count requests that matched a person; use RESETGW_RATE_LIMIT_PERSON_IP and RESETGW_RATE_LIMIT_PERSON", gone)
		}
	}
	for _, r := range strings.Split(*countries, ",") {
		if r = strings.TrimSpace(r); r != "" {
			c.SMSCountries = append(c.SMSCountries, r)
		}
	}
	sh, err := strconv.ParseBool(strings.TrimSpace(*shared))
	if err != nil {
		return nil, errors.New("RESETGW_TWILIO_SHARED must be true or false")
	}
	c.TwilioUnshared = !sh
	if c.AWSDefaultCredentials, err = strconv.ParseBool(strings.TrimSpace(*awsDefault)); err != nil {
		return nil, errors.New("RESETGW_AWS_DEFAULT_CREDENTIALS must be true or false")
	}
	if c.MemoryLimit, err = parseMemoryLimit(*memLimit, getenv("GOMEMLIMIT")); err != nil {
		return nil, err
	}
	if c.SMTPConnections, err = strconv.Atoi(strings.TrimSpace(*smtpConns)); err != nil ||
		c.SMTPConnections < 1 || c.SMTPConnections > maxSMTPConnections {
		return nil, fmt.Errorf("RESETGW_SMTP_LANE_CONNECTIONS must be a whole number from 1 to %d", maxSMTPConnections)
	}
	if c.SendTimeout, err = time.ParseDuration(*timeout); err != nil || c.SendTimeout < time.Second {
		return nil, errors.New("RESETGW_SEND_TIMEOUT must be a duration of at least 1s, like 30s")
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Listen
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if (c.TwilioSID == "") != (c.TwilioToken == "") {
		return nil, errors.New("RESETGW_TWILIO_ACCOUNT_SID and RESETGW_TWILIO_AUTH_TOKEN go together")
	}
	if c.TwilioSID != "" && c.TwilioFrom == "" {
		return nil, errors.New("RESETGW_TWILIO_FROM is required with a Twilio account")
	}
	if c.TrustedProxies, err = httpapi.ParseTrustedProxies(c.proxies()); err != nil {
		return nil, fmt.Errorf("RESETGW_TRUSTED_PROXIES: %w", err)
	}
	if err := httpapi.CheckProxyConfig(c.ProxyHeader, c.TrustedProxies); err != nil {
		return nil, err
	}
	if err := c.checkInbound(); err != nil {
		return nil, err
	}
	if err := c.checkSMTP(getenv); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *config) proxies() []string {
	var out []string
	for _, p := range strings.Split(c.Trusted, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// checkInbound checks the SMTP listener's settings: it needs an address
// to take mail for, and a certificate comes with its key.
func (c *config) checkInbound() error {
	for _, a := range []struct{ name, v string }{
		{"RESETGW_RESET_ADDRESS", c.ResetAddress}, {"RESETGW_BOUNCE_ADDRESS", c.BounceAddress},
	} {
		if a.v == "" {
			continue
		}
		if e, err := gateway.NormalizeEmail(a.v); err != nil || e != strings.ToLower(a.v) || strings.Contains(a.v, "+") {
			return fmt.Errorf("%s must be a plain address like reset@example.com", a.name)
		}
	}
	if (c.SMTPTLSCert == "") != (c.SMTPTLSKey == "") {
		return errors.New("RESETGW_SMTP_TLS_CERT and RESETGW_SMTP_TLS_KEY go together")
	}
	if c.SMTPListen != "" && c.ResetAddress == "" && c.BounceAddress == "" {
		return errors.New("RESETGW_SMTP_LISTEN needs RESETGW_RESET_ADDRESS, RESETGW_BOUNCE_ADDRESS or both")
	}
	return nil
}

// defaultMemoryLimit keeps a login burst from holding on to memory: every
// argon2id call allocates its 19 MiB afresh, and without a limit the heap
// grows to twice what is live before a collection returns any of it. The
// limit is what the hashes in flight (one per core) need plus a little,
// so the collector runs as soon as a finished hash's memory is garbage:
// 48 MiB on two cores. That memory holds no pointers, so those
// collections are cheap.
func defaultMemoryLimit() int64 {
	return max(48<<20, int64(runtime.NumCPU())*20<<20+8<<20)
}

// parseMemoryLimit reads sizes like 64MiB, 1GiB, 500MB or a byte count.
// With none given, an operator's GOMEMLIMIT wins over the default.
func parseMemoryLimit(v, gomemlimit string) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		if gomemlimit != "" {
			return 0, nil
		}
		return defaultMemoryLimit(), nil
	}
	num := strings.TrimRight(v, "KMGTiBkmgtib")
	unit := strings.ToLower(v[len(num):])
	mult, ok := map[string]int64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}[unit]
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if !ok || err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("RESETGW_MEMORY_LIMIT must be a size like 64MiB, 1GiB or 0 for none, not %q", v)
	}
	if n > 0 && n*mult < 16<<20 {
		return 0, errors.New("RESETGW_MEMORY_LIMIT below 16MiB leaves too little for one password hash")
	}
	return n * mult, nil
}
