package gateway_test

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/gatewaytest"
	"github.com/resetgw/resetgw/gateway/secret"
)

// sealedCopy is what an attacker wants from an outbox row: its sealed
// body, its wrapped data key, and the associated data that opens them.
type sealedCopy struct {
	body, key, aad []byte
}

// An attacker with copies of the database files and the master key,
// taken after a reset was delivered, finds neither the temporary password
// nor anything that still opens: not the sealed bodies, not their data
// keys, not at any offset.
func TestHardening05_WipedBodiesUnrecoverable(t *testing.T) {
	e := newEnv(t, true)
	e.person("wes@acme.example", phoneA, "")
	// Both channels fail once, so the sealed rows can be read while
	// pending, as they sit in the files for a while in production.
	busy := &gateway.SendError{Class: gateway.FailTransient, Code: "unavailable"}
	e.twilio.set(busy)
	e.email.set(busy)
	id := e.reset("wes@acme.example", phoneA)
	e.drain()
	var copies []sealedCopy
	for _, d := range e.request(id).Deliveries {
		if d.Status != gateway.DeliveryPending || len(d.Body) == 0 || len(d.BodyKey) != secret.WrappedKeyLen {
			t.Fatalf("pending %s: status %s body %d bytes key %d bytes", d.Channel, d.Status, len(d.Body), len(d.BodyKey))
		}
		copies = append(copies, sealedCopy{body: d.Body, key: d.BodyKey,
			aad: []byte(d.RequestID + "\x00" + string(d.Channel) + "\x00" + d.To)})
	}
	if len(copies) != 2 {
		t.Fatalf("%d deliveries, want 2", len(copies))
	}
	e.twilio.set(nil)
	e.email.set(nil)
	e.advance(time.Hour)
	e.drain()
	pw := e.email.password(t)
	if e.twilio.password(t) != pw {
		t.Fatal("channels carry different passwords")
	}
	// The text's delivery ends with its provider's final report: until
	// then it keeps its body for a late failover.
	for _, d := range e.request(id).Deliveries {
		if d.Channel == gateway.ChannelSMS {
			if err := e.svc.DeliveryOutcome(e.ctx, gateway.OutcomeInput{DeliveryID: d.ID,
				Status: gateway.OutcomeDelivered, Source: gateway.OutcomeSourceTwilio}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, d := range e.request(id).Deliveries {
		if !d.Status.Accepted() || d.Body != nil || d.BodyKey != nil {
			t.Fatalf("%s: status %s, body or key kept", d.Channel, d.Status)
		}
	}
	// The wiper checkpoints on its own after the batch of wipes; wait for
	// it (no timing is asserted, the deadline is only a bound).
	deadline := time.Now().Add(30 * time.Second)
	for n, _ := e.store.Checkpoints(); n == 0; n, _ = e.store.Checkpoints() {
		if time.Now().After(deadline) {
			_, err := e.store.Checkpoints()
			t.Fatalf("no checkpoint after the wipes: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	keys := gatewaytest.Keys(t)
	for _, name := range []string{e.dbPath, e.dbPath + "-wal", e.dbPath + "-shm"} {
		raw, err := os.ReadFile(name)
		if os.IsNotExist(err) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(pw)) {
			t.Fatalf("%s holds the temporary password in clear", name)
		}
		for i, c := range copies {
			// Any 16 bytes of a sealed body or a wrapped key left behind
			// is a copy that survived the wipe.
			for _, b := range [][]byte{c.body, c.key} {
				for off := 0; off+16 <= len(b); off += 16 {
					if bytes.Contains(raw, b[off:off+16]) {
						t.Fatalf("%s still holds part of delivery %d's sealed body or data key", name, i)
					}
				}
			}
			// And whatever the attacker does not know the place of: try
			// every offset as a wrapped data key.
			for off := 0; off+secret.WrappedKeyLen <= len(raw); off++ {
				if keys.UnwrapsDataKey(raw[off:off+secret.WrappedKeyLen], c.aad) {
					t.Fatalf("%s: a data key of delivery %d unwraps at offset %d", name, i, off)
				}
			}
		}
	}
}

// Rows sealed before bodies had data keys (body_key NULL) are still sent.
func TestHardening05_LegacySealedBodyStillDelivers(t *testing.T) {
	e := newEnv(t, true)
	e.person("liv@acme.example", phoneA, "")
	e.email.set(&gateway.SendError{Class: gateway.FailTransient, Code: "unavailable"})
	id := e.reset("liv@acme.example", phoneA)
	e.drain()
	keys := gatewaytest.Keys(t)
	for _, d := range e.request(id).Deliveries {
		if d.Channel != gateway.ChannelEmail {
			continue
		}
		aad := []byte(d.RequestID + "\x00" + string(d.Channel) + "\x00" + d.To)
		plain, err := keys.OpenEnvelope(d.BodyKey, d.Body, aad)
		if err != nil {
			t.Fatal(err)
		}
		if d.Body, err = keys.SealOutbox(plain, aad); err != nil {
			t.Fatal(err)
		}
		d.BodyKey = nil
		if err := e.store.UpdateDelivery(e.ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	e.email.set(nil)
	e.advance(time.Hour)
	e.drain()
	if e.email.password(t) != e.twilio.password(t) {
		t.Fatal("the legacy row did not carry the same password")
	}
}
