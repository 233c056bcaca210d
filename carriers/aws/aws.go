// Package aws sends texts through AWS End User Messaging SMS
// (SendTextMessage of the pinpointsmsvoicev2 API), with each route's own
// region, origination identity and keys, or the operator's default
// credentials where the operator allows them.
//
// AWS has no call to look a message up by anything we know before it
// answers, so a send whose answer was lost is never sent again: see
// classify.go and gateway.SendError.MayHaveSent.
package aws

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/netguard"
)

// DefaultTimeout bounds one SendTextMessage: a crew member is waiting.
const DefaultTimeout = 10 * time.Second

// DefaultRate is a lane's pace, in messages per second, when the tenant
// sets no sms_rate_per_second: AWS's lowest default for an origination
// identity (a US 10DLC or long code; a toll-free number takes 3, a short
// code 100). Going faster only makes AWS throttle.
const DefaultRate = 1

// TTL bounds AWS accepts for TimeToLive, in seconds.
const (
	minTTL = 5
	maxTTL = 259200
)

// Config builds a Sender.
type Config struct {
	// Timeout bounds one send; DefaultTimeout when zero.
	Timeout time.Duration
	// DefaultCredentials are the operator's (the SDK's default chain),
	// used by routes that give no access key; nil refuses such routes.
	DefaultCredentials awssdk.CredentialsProvider
	// TLS is the client's TLS setup (nil is the system's).
	TLS *tls.Config
}

// Sender sends through aws routes. It is safe for concurrent use.
type Sender struct {
	cfg Config
	// public dials only public addresses, checked at each connect; open
	// is for AWS's own endpoints and those the operator set.
	public, open *http.Client
	mu           sync.Mutex
	clients      map[string]*sms.Client
}

var (
	_ gateway.Sender = (*Sender)(nil)
	_ gateway.Laner  = (*Sender)(nil)
)

// New makes a Sender.
func New(cfg Config) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	client := func(control bool) *http.Client {
		d := &net.Dialer{Timeout: cfg.Timeout}
		if control {
			d.Control = netguard.CheckDial
		}
		tr := &http.Transport{DialContext: d.DialContext, ForceAttemptHTTP2: true, TLSHandshakeTimeout: cfg.Timeout,
			ResponseHeaderTimeout: cfg.Timeout, MaxIdleConnsPerHost: 8, IdleConnTimeout: 90 * time.Second}
		if cfg.TLS != nil {
			tr.TLSClientConfig = cfg.TLS.Clone()
		}
		return &http.Client{Transport: tr, Timeout: cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &Sender{cfg: cfg, public: client(true), open: client(false), clients: map[string]*sms.Client{}}
}

func route(m *gateway.Message) *gateway.SMSRoute {
	if m == nil || m.Tenant == nil {
		return nil
	}
	return m.Tenant.AWSRoute()
}

// Lane gives each (tenant, region, origination identity) its own lane:
// AWS paces texts per identity, and one tenant's throttling must not hold
// up another's texts.
func (s *Sender) Lane(m *gateway.Message) gateway.LaneSpec {
	spec := gateway.LaneSpec{Kind: "aws", Key: "aws:unconfigured", RatePerSecond: DefaultRate}
	if r := route(m); r != nil {
		spec.Key = "aws:" + strconv.FormatInt(m.Tenant.ID, 10) + ":" + r.Region + ":" + r.OriginationIdentity
	}
	if m != nil && m.Tenant != nil && m.Tenant.SMSRatePerSecond > 0 {
		spec.RatePerSecond = m.Tenant.SMSRatePerSecond
	}
	return spec
}

// MessageID names a delivery in the message's Context (which AWS passes
// to the configuration set's event destinations): the same on every
// attempt.
func MessageID(m *gateway.Message) string {
	return "msg_" + m.RequestID + "_" + strconv.FormatInt(m.DeliveryID, 10)
}

// Send sends the text and returns AWS's MessageId.
func (s *Sender) Send(ctx context.Context, m *gateway.Message) (string, error) {
	r := route(m)
	if r == nil || r.Region == "" || r.OriginationIdentity == "" {
		return "", configError("aws_unconfigured", "the tenant has no aws route",
			"add an aws route with its region and origination identity to the SMS routes")
	}
	if m.Unrecorded {
		return "", &gateway.SendError{Class: gateway.FailTransient, Code: CodeAnswerLost, MayHaveSent: true,
			Detail: "an earlier attempt left no outcome and AWS cannot look a text up: not sent again"}
	}
	client, err := s.client(r)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	in := &sms.SendTextMessageInput{
		DestinationPhoneNumber: awssdk.String(m.To),
		MessageBody:            awssdk.String(m.Text),
		OriginationIdentity:    awssdk.String(r.OriginationIdentity),
		MessageType:            types.MessageTypeTransactional,
		TimeToLive:             awssdk.Int32(ttl(m.Tenant)),
		Context:                map[string]string{"resetgw_id": MessageID(m)},
	}
	if r.ConfigurationSet != "" {
		in.ConfigurationSetName = awssdk.String(r.ConfigurationSet)
	}
	out, err := client.SendTextMessage(ctx, in)
	if err != nil {
		return "", classify(err)
	}
	return awssdk.ToString(out.MessageId), nil
}

// ttl is how long AWS may keep trying: the tenant's SMS validity, as for
// Twilio, within AWS's bounds.
func ttl(t *gateway.Tenant) int32 {
	v := gateway.DefaultSMSValidity
	if t != nil && t.SMSValiditySeconds > 0 {
		v = t.SMSValiditySeconds
	}
	return int32(min(max(v, minTTL), maxTTL))
}

// client is the SDK client of a route, made once per set of settings.
func (s *Sender) client(r *gateway.SMSRoute) (*sms.Client, error) {
	var creds awssdk.CredentialsProvider
	if r.UsesDefaultCredentials() {
		if s.cfg.DefaultCredentials == nil {
			return nil, configError("aws_no_credentials", "the aws route has no access key and the operator's credentials are not offered",
				"give the aws route an access key id and secret access key")
		}
		creds = s.cfg.DefaultCredentials
	} else {
		creds = credentials.NewStaticCredentialsProvider(r.AccessKeyID, r.SecretAccessKey, "")
	}
	httpClient := s.open
	if r.Endpoint != "" && !r.OperatorSet {
		u, err := url.Parse(r.Endpoint)
		if err != nil || netguard.CheckHost(u.Hostname()) != nil {
			return nil, configError("aws_endpoint_not_allowed", "the aws endpoint is not a public address",
				"use a public https endpoint, or ask the operator to set an internal one")
		}
		httpClient = s.public
	}
	h := sha256.New()
	for _, f := range []string{r.Region, r.Endpoint, r.AccessKeyID, r.SecretAccessKey, strconv.FormatBool(r.OperatorSet)} {
		h.Write([]byte(f + "\x00"))
	}
	key := hex.EncodeToString(h.Sum(nil))
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[key]; ok {
		return c, nil
	}
	if len(s.clients) >= maxClients {
		clear(s.clients) // settings changed many times: start over
	}
	opts := sms.Options{Region: r.Region, Credentials: creds, HTTPClient: httpClient,
		// The engine decides retries: an SDK retry after a lost answer
		// could text twice.
		Retryer: awssdk.NopRetryer{}}
	if r.Endpoint != "" {
		opts.BaseEndpoint = awssdk.String(r.Endpoint)
	}
	c := sms.New(opts)
	s.clients[key] = c
	return c, nil
}

// maxClients bounds the cache of SDK clients.
const maxClients = 1024
