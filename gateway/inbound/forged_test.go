package inbound_test

import (
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/inbound"
)

// Over real SMTP: a mail whose header From is Maria's carrier address but
// whose envelope sender is anyone else's is refused as no text; one with
// both alike is taken, and its STOP is only a request the admin sees.
func TestHardening02_ForgedMailOptOutNotAppliedOverSMTP(t *testing.T) {
	w := newWorld(t, inbound.ListenerConfig{})
	stop := []byte("From: 2015550124@vtext.com\r\nTo: " + resetAddr + "\r\nSubject: \r\n\r\nSTOP\r\n")
	if code, enh := smtpCode(w.send("attacker@evil.example", []string{resetAddr}, stop)); code != 550 || enh != (smtp.EnhancedCode{5, 7, 1}) {
		t.Fatalf("forged header From: %d %v", code, enh)
	}
	if out, _ := w.store.OptOutsOf(w.ctx, "+12015550124"); len(out) != 0 {
		t.Fatalf("opted out by a forged header: %+v", out)
	}
	if err := w.send("2015550124@vtext.com", []string{resetAddr}, stop); err != nil {
		t.Fatal(err)
	}
	if out, _ := w.store.OptOutsOf(w.ctx, "+12015550124"); len(out) != 0 {
		t.Fatalf("a STOP by mail was applied: %+v", out)
	}
	evs, _ := w.store.ListEvents(w.ctx, gateway.EventFilter{Types: []string{gateway.EventOptOutRequested}})
	if len(evs) != 1 || evs[0].ActorID != "+12015550124" {
		t.Fatalf("requests %+v", evs)
	}
	w.drain()
	if msgs := w.carrier.Messages(); len(msgs) != 0 {
		t.Fatalf("a mailed STOP was answered: %+v", msgs)
	}
}
