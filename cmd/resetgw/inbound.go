package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/inbound"
	"github.com/resetgw/resetgw/gateway/secret"
)

// verpSender gives each outgoing mail the envelope sender that names its
// delivery (VERP on RESETGW_BOUNCE_ADDRESS, tagged so it cannot be forged),
// so that a bounce finds its delivery even when it quotes nothing of the
// original. Nil without a bounce address: the From address then.
func verpSender(cfg *config, keys *secret.Keys) func(*gateway.Message) string {
	if cfg.BounceAddress == "" {
		return nil
	}
	return func(m *gateway.Message) string {
		if m.DeliveryID <= 0 {
			return "" // a test mail: no delivery to report on
		}
		return inbound.VERPAddress(cfg.BounceAddress, m.DeliveryID, keys.VERPTag(m.DeliveryID))
	}
}

// inboundServer is the running SMTP listener.
type inboundServer struct {
	l      *inbound.Listener
	failed chan error    // Serve stopped by itself
	served chan struct{} // Serve returned
}

// startInbound opens the SMTP listener (RESETGW_SMTP_LISTEN) for texts by
// mail and bounces; nil when it is not configured.
func startInbound(cfg *config, svc *gateway.Service, keys *secret.Keys, log *slog.Logger) (*inboundServer, error) {
	if cfg.SMTPListen == "" {
		if cfg.BounceAddress != "" {
			log.Warn("RESETGW_BOUNCE_ADDRESS is set but RESETGW_SMTP_LISTEN is not: bounces must reach this gateway's listener to count")
		}
		return nil, nil
	}
	var tlsCfg *tls.Config
	if cfg.SMTPTLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.SMTPTLSCert, cfg.SMTPTLSKey)
		if err != nil {
			return nil, fmt.Errorf("SMTP listener certificate: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	l, err := inbound.NewListener(inbound.ListenerConfig{
		Handler: svc, Keys: keys, ResetAddress: cfg.ResetAddress, BounceAddress: cfg.BounceAddress,
		TLSConfig: tlsCfg, Logger: log.With("component", "smtp-listener"),
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.SMTPListen)
	if err != nil {
		return nil, fmt.Errorf("SMTP listener: %w", err)
	}
	s := &inboundServer{l: l, failed: make(chan error, 1), served: make(chan struct{})}
	go func() {
		defer close(s.served)
		if err := l.Serve(ln); err != nil {
			s.failed <- err
		}
	}()
	log.Info("SMTP listener up", "addr", ln.Addr().String(), "reset_address", cfg.ResetAddress,
		"bounce_address", cfg.BounceAddress, "starttls", tlsCfg != nil)
	return s, nil
}

// stopped reports an SMTP listener that stopped by itself; a nil server's
// never does.
func (s *inboundServer) stopped() <-chan error {
	if s == nil {
		return nil
	}
	return s.failed
}

// shutdown ends the listener: idle sessions at once, a message in hand
// after its reply.
func (s *inboundServer) shutdown(ctx context.Context) error {
	if s == nil {
		return nil
	}
	err := s.l.Shutdown(ctx)
	select {
	case <-s.served:
	case <-ctx.Done():
	}
	return err
}
