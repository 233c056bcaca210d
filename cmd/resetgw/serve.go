package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/resetgw/resetgw/carriers/devinbox"
	"github.com/resetgw/resetgw/carriers/registry"
	carriersmtp "github.com/resetgw/resetgw/carriers/smtp"
	carriertwilio "github.com/resetgw/resetgw/carriers/twilio"
	carrierwebhook "github.com/resetgw/resetgw/carriers/webhook"
	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/httpapi"
	"github.com/resetgw/resetgw/gateway/metrics"
	"github.com/resetgw/resetgw/gateway/postgres"
	"github.com/resetgw/resetgw/gateway/secret"
	"github.com/resetgw/resetgw/templates"
)

// serve wires the store, the service, the worker and the HTTP API, and
// runs them until ctx ends; then it stops taking requests, lets the sends
// in flight finish, and closes the store. Queued work stays in the store.
func serve(ctx context.Context, cfg *config, stdout, stderr io.Writer) error {
	log := newLogger(stderr, cfg.LogLevel)
	if cfg.MemoryLimit > 0 {
		// A soft limit: the collector works harder near it and hands
		// freed pages back, so a burst of logins does not leave the
		// process at its peak.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(cfg.MemoryLimit))
	}
	master, err := loadSecret(cfg, stderr)
	if err != nil {
		return err
	}
	keys, err := secret.NewKeys(master)
	if err != nil {
		return err
	}
	lease := cfg.SendTimeout + 15*time.Second
	ring, instance, err := outboxRing(cfg.DB, lease)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg.DB, keys, instance)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := seedCarriers(ctx, store); err != nil {
		return err
	}
	renderer, err := templates.New(templates.Config{Dir: cfg.TemplatesDir})
	if err != nil {
		return err
	}
	console, err := templates.LoadConsole(cfg.TemplatesDir)
	if err != nil {
		return err
	}
	defaultTwilio := &gateway.TwilioSettings{AccountSID: cfg.TwilioSID, AuthToken: cfg.TwilioToken}
	if strings.HasPrefix(cfg.TwilioFrom, "MG") {
		defaultTwilio.MessagingServiceSID = cfg.TwilioFrom
	} else {
		defaultTwilio.From = cfg.TwilioFrom
	}
	// The worker comes later; the lanes are read only at a scrape, once
	// everything is up.
	var worker *gateway.Worker
	mtr := metrics.New(metrics.Config{Process: true, Lanes: func() []gateway.LaneStatus { return worker.Lanes() }})
	svc, err := gateway.New(gateway.Config{
		Store: store, Renderer: renderer, Keys: keys, Ring: ring, Logger: log, Limits: cfg.Limits, Observer: mtr,
		Hasher: secret.NewHasher(secret.HasherConfig{MaxConcurrent: runtime.NumCPU(), Reclaim: true,
			OnWait: mtr.HashWait}),
		DefaultTwilio: defaultTwilio.Configured(), DefaultRegion: cfg.DefaultRegion, TwilioUnshared: cfg.TwilioUnshared,
		AWSDefaultCredentials: cfg.AWSDefaultCredentials,
		// Tenants' SMTP URLs are checked as they are saved with the rules
		// the sender applies when it sends.
		CheckSMTPURL:      carriersmtp.New(carriersmtp.Config{AllowHosts: cfg.SMTPAllowHosts}).CheckTenantURL,
		DefaultTwilioFrom: cfg.TwilioFrom, SMSCountries: cfg.SMSCountries, PublicURL: cfg.PublicURL,
	})
	if err != nil {
		return err
	}
	if _, err := svc.EnsureTenant(ctx, gateway.DefaultSlug, "Default"); err != nil {
		return err
	}

	senders := map[gateway.Route]gateway.Sender{}
	var inbox *devinbox.Inbox
	if cfg.SMTPURL != "" {
		smtpSender := carriersmtp.New(carriersmtp.Config{
			Default: gateway.SMTPProfile{URL: cfg.SMTPURL, From: cfg.MailFrom}, Timeout: cfg.SendTimeout,
			EnvelopeFrom: verpSender(cfg, keys), AllowHosts: cfg.SMTPAllowHosts, Connections: cfg.SMTPConnections,
		})
		defer smtpSender.Close()
		senders[gateway.RouteEmail], senders[gateway.RouteCarrier] = smtpSender, smtpSender
	} else {
		if !cfg.Demo {
			log.Warn("RESETGW_SMTP_URL is not set: email and carrier texts go nowhere; use --demo for the dev inbox")
		}
	}
	if cfg.Demo && cfg.SMTPURL == "" {
		inbox = devinbox.New(devinbox.Config{})
		senders[gateway.RouteEmail], senders[gateway.RouteCarrier] = inbox, inbox
	}
	twilioSender := carriertwilio.New(carriertwilio.Config{
		Default: defaultTwilio, APIURL: cfg.TwilioAPIURL, Timeout: cfg.SendTimeout,
		StatusCallback: cfg.PublicURL + httpapi.TwilioStatusPath,
	})
	senders[gateway.RouteTwilio] = twilioSender
	awsSender, err := newAWSSender(ctx, cfg)
	if err != nil {
		return err
	}
	senders[gateway.RouteAWS] = awsSender
	senders[gateway.RouteWebhook] = carrierwebhook.New(carrierwebhook.Config{Timeout: min(cfg.SendTimeout, carrierwebhook.DefaultTimeout)})
	// Texts Twilio accepted: polled when no final status came, and their
	// bodies (passwords) redacted at Twilio once it is done with them.
	poller := gateway.NewPoller(gateway.PollerConfig{Service: svc, Route: gateway.RouteTwilio,
		Fetcher: twilioSender, Redactor: twilioSender})
	tester := newProviderTester(cfg, inbox)
	tester.routes = map[gateway.Route]gateway.Sender{gateway.RouteAWS: senders[gateway.RouteAWS],
		gateway.RouteWebhook: senders[gateway.RouteWebhook]}
	svc.SetTester(tester)
	// Password-expiry reminders, for tenants with a maximum password age.
	reminders := gateway.NewReminders(gateway.RemindersConfig{Service: svc})

	// A claim lasts a little longer than a send may: a process killed
	// mid-send has its message retried soon after, and no sooner.
	// On PostgreSQL other instances may share the database: lanes then
	// take their pace from it, so that together they keep a sender's rate.
	worker = gateway.NewWorker(gateway.WorkerConfig{Service: svc, Senders: senders,
		SendTimeout: cfg.SendTimeout, Lease: lease, SharedPacing: postgres.IsURL(cfg.DB)})
	// A late failure of the sender's setup (a 30034 in a status
	// callback) pauses its lane like a refused send.
	svc.SetLateFailure(worker.LateFailure)
	var seeded *demoSeed
	if cfg.Demo {
		if cfg.AdminToken == "" {
			cfg.AdminToken = randomToken()
		}
		if seeded, err = seedDemo(ctx, svc); err != nil {
			return err
		}
	}
	httpCfg := httpapi.Config{
		Service: svc, Logger: log, AdminToken: cfg.AdminToken, Ready: store.Ping,
		ProxyHeader: cfg.ProxyHeader, TrustedProxies: cfg.TrustedProxies, Console: console,
		PublicURL: cfg.PublicURL, DefaultTwilio: defaultTwilio,
		// One JSON line per request, for the log pipeline to parse.
		AccessLog: slog.New(slog.NewJSONHandler(stderr, nil)).With("log", "access"),
		Metrics:   mtr.Handler(), ObserveRequest: mtr.ObserveRequest,
	}
	if inbox != nil {
		httpCfg.Inbox = inboxView{inbox}
	}
	api := httpapi.New(httpCfg)

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	mx, err := startInbound(cfg, svc, keys, log)
	if err != nil {
		ln.Close()
		return err
	}
	metricsSrv, err := startMetrics(cfg.MetricsListen, mtr.Handler(), log)
	if err != nil {
		ln.Close()
		mx.shutdown(context.Background())
		return err
	}
	defer metricsSrv.close()
	base := "http://" + ln.Addr().String()
	printBanner(stdout, cfg, base, seeded, inbox != nil)

	workerDone := make(chan error, 1)
	go func() { workerDone <- worker.Run(context.WithoutCancel(ctx)) }()
	// On PostgreSQL, work another instance leaves (a request it took in,
	// a retry, a lease of an instance that died) wakes this worker when
	// it is due, not at its next poll.
	if l, ok := store.(workListener); ok {
		listenCtx, stopListen := context.WithCancel(context.WithoutCancel(ctx))
		listenDone := make(chan struct{})
		go func() { defer close(listenDone); l.Listen(listenCtx, worker.Kick, log) }()
		defer func() { stopListen(); <-listenDone }()
	}
	pollerDone := make(chan error, 1)
	go func() { pollerDone <- poller.Run(context.WithoutCancel(ctx)) }()
	remindersDone := make(chan error, 1)
	go func() { remindersDone <- reminders.Run(context.WithoutCancel(ctx)) }()
	httpDone := make(chan error, 1)
	go func() { httpDone <- api.App().Listener(ln) }()

	select {
	case <-ctx.Done():
	case err = <-httpDone:
		err = fmt.Errorf("http server stopped: %w", err)
	case err = <-mx.stopped():
		err = fmt.Errorf("SMTP listener stopped: %w", err)
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if herr := api.App().ShutdownWithContext(shutdownCtx); herr != nil && err == nil {
		err = herr
	}
	if merr := mx.shutdown(shutdownCtx); merr != nil && err == nil {
		err = merr
	}
	if werr := worker.Shutdown(shutdownCtx); werr != nil && err == nil {
		err = werr
	}
	if werr := <-workerDone; werr != nil && !errors.Is(werr, gateway.ErrWorkerClosed) && err == nil {
		err = werr
	}
	if perr := poller.Shutdown(shutdownCtx); perr != nil && err == nil {
		err = perr
	}
	if perr := <-pollerDone; perr != nil && !errors.Is(perr, gateway.ErrWorkerClosed) && err == nil {
		err = perr
	}
	if rerr := reminders.Shutdown(shutdownCtx); rerr != nil && err == nil {
		err = rerr
	}
	if rerr := <-remindersDone; rerr != nil && !errors.Is(rerr, gateway.ErrWorkerClosed) && err == nil {
		err = rerr
	}
	return err
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// seedCarriers adds the carriers the store does not know yet; edits an
// admin made to known ones stay.
func seedCarriers(ctx context.Context, store gateway.CarrierStore) error {
	cs, err := registry.Default()
	if err != nil {
		return err
	}
	for _, c := range cs {
		if _, err := store.Carrier(ctx, c.Slug); gateway.IsNotFound(err) {
			if err := store.UpsertCarrier(ctx, c); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	return nil
}

// randomToken is the demo's admin token: 32 random bytes, 64 hex
// characters, well over the minimum.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}
