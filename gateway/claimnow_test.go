package gateway_test

import (
	"github.com/resetgw/resetgw/gateway"
	"testing"
)

// A step claims the messages of the requests it has just resolved: on the
// real clock they are due from when they were made, which is after the
// step began. (A claim timed at the step's start left them all to the next
// step, a whole resolve batch later.)
func TestAPassSendsWhatItResolved(t *testing.T) {
	mail := newLiveSender()
	e := newLiveEnv(t, gateway.WorkerConfig{}, mail, newLiveSender())
	e.person("ana@acme.example", "", "")
	e.reset("ana@acme.example", "")
	if _, err := e.worker.Pass(e.ctx); err != nil {
		t.Fatal(err)
	}
	if sent, _, _ := mail.snapshot(); len(sent) != 1 {
		t.Fatalf("one pass sent %d mails, want the 1 it resolved", len(sent))
	}
}
