package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
	"github.com/resetgw/resetgw/gateway"
)

// TestBulkCLI: a seasonal crew imported with tags, previewed, deactivated
// in bulk, then a bulk reset started, watched in plain lines and
// cancelled, all from the command line.
func TestBulkCLI(t *testing.T) {
	mailSrv := smtptest.Start(t, smtptest.Options{})
	dir := t.TempDir()
	env := envFunc([]string{"RESETGW_DB=" + filepath.Join(dir, "gw.db"), "RESETGW_SMTP_URL=" + mailSrv.URL(),
		"RESETGW_MAIL_FROM=reset@acme.example", "USER=ops"})
	cmd := func(args ...string) (string, error) {
		t.Helper()
		var out, errOut syncBuf
		err := run(context.Background(), args, env, strings.NewReader(""), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	csv := filepath.Join(dir, "crew.csv")
	if err := os.WriteFile(csv, []byte("name,email,tags\nAna,ana@acme.example,crew-a;spring-2027\n"+
		"Bo,bo@acme.example,crew-b;spring-2027\nCy,cy@acme.example,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := cmd("personnel", "import", csv); err != nil || !strings.Contains(out, "3 created") {
		t.Fatalf("import: %v %s", err, out)
	}
	if out, err := cmd("bulk", "reset", "--filter", "tag=spring-2027", "--dry-run"); err != nil ||
		!strings.Contains(out, "would change 2 people") || !strings.Contains(out, "bo@acme.example") {
		t.Fatalf("dry run: %v %s", err, out)
	}
	if out, err := cmd("bulk", "deactivate", "--filter", "tag=crew-a"); err != nil || !strings.Contains(out, "deactivate for 1 people") {
		t.Fatalf("deactivate: %v %s", err, out)
	}
	if out, err := cmd("bulk", "reset", "--filter", "tag=crew-a"); err == nil || !strings.Contains(err.Error(), "nobody matches") {
		t.Fatalf("reset of the deactivated: %v %s", err, out)
	}
	if _, err := cmd("bulk", "reset", "--filter", "crew-a"); err == nil || !strings.Contains(err.Error(), "key=value") {
		t.Fatalf("bad filter: %v", err)
	}
	out, err := cmd("bulk", "reset", "--filter", "status=active,tag=spring-2027", "--no-wait")
	id := regexp.MustCompile(`bj_[0-9a-z]+`).FindString(out)
	if err != nil || id == "" || !strings.Contains(out, "reset for 1 people") {
		t.Fatalf("reset: %v %s", err, out)
	}
	if out, err := cmd("bulk", "status", id); err != nil || !strings.Contains(out, id+" running: 0/1 sent") {
		t.Fatalf("status: %v %s", err, out)
	}
	if out, err := cmd("bulk", "cancel", id); err != nil || !strings.Contains(out, "cancelled") || !strings.Contains(out, "1 cancelled") {
		t.Fatalf("cancel: %v %s", err, out)
	}
	eta := 80 * time.Second
	line := progressLine(&gateway.BulkStatus{Job: &gateway.BulkJob{ID: "bj_x", State: gateway.BulkRunning},
		Counts: gateway.BulkCounts{Total: 8, Sent: 4, Failed: 2}, ETA: &eta}, true)
	if line != "[##################......] bj_x running: 4/8 sent, 0 delivered, 2 failed, 2 remaining, ETA 1m20s" {
		t.Fatalf("bar: %q", line)
	}
}
