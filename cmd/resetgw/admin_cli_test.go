package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/carriers/smtp/smtptest"
)

// TestAdminCLI runs each admin command as an operator would, against a
// database file and a real go-smtp server, with no gateway running.
func TestAdminCLI(t *testing.T) {
	mailSrv := smtptest.Start(t, smtptest.Options{})
	dir := t.TempDir()
	env := envFunc([]string{"RESETGW_DB=" + filepath.Join(dir, "gw.db"), "RESETGW_SMTP_URL=" + mailSrv.URL(),
		"RESETGW_MAIL_FROM=reset@acme.example", "RESETGW_SEND_TIMEOUT=2s", "USER=ops"})
	cmd := func(stdin string, args ...string) (string, string, error) {
		t.Helper()
		var out, errOut syncBuf
		err := run(context.Background(), args, env, strings.NewReader(stdin), &out, &errOut)
		return out.String(), errOut.String(), err
	}
	must := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, err := cmd(stdin, args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut)
		}
		return out
	}

	if _, _, err := cmd("short\n", "admin", "create", "--email", "ops@acme.example"); err == nil || !strings.Contains(err.Error(), "password_too_short") {
		t.Fatalf("weak admin password: %v", err)
	}
	if out := must("harbor-dispatch-2026\n", "admin", "create", "--email", "ops@acme.example"); !strings.Contains(out, "operator") {
		t.Fatalf("admin create: %s", out)
	}
	if out := must("", "admin", "list"); !strings.Contains(out, "ops@acme.example") {
		t.Fatalf("admin list: %s", out)
	}

	var carriers []map[string]any
	if err := json.Unmarshal([]byte(must("", "carriers", "list", "--json")), &carriers); err != nil || len(carriers) < 10 {
		t.Fatalf("carriers list: %v %d", err, len(carriers))
	}
	if out := must("", "carriers", "test", "verizon", "--phone", "(201) 555-0123", "--message", "CLI test"); !strings.Contains(out, "accepted: 250") {
		t.Fatalf("carriers test: %s", out)
	}
	if ms := mailSrv.Messages(); len(ms) != 1 || ms[0].To[0] != "2015550123@vtext.com" {
		t.Fatalf("test mail %+v", ms)
	}
	if out, _, err := cmd("", "carriers", "test", "att", "--phone", "+12015550123"); err == nil || !strings.Contains(out, "shut down") {
		t.Fatalf("retired carrier: %v %s", err, out)
	}

	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("name,email,phone\nAna Ruiz,ana@acme.example,2015550140\nBo,bo@,\n"), 0o600)
	if _, errOut, err := cmd("", "personnel", "import", bad); err == nil || !strings.Contains(errOut, "row 3:") {
		t.Fatalf("import with an error: %v %s", err, errOut)
	}
	if out := must("name,email,phone,carrier\nAna Ruiz,ana@acme.example,2015550140,att\n", "personnel", "import", "-"); !strings.Contains(out, "1 created") {
		t.Fatalf("import: %s", out)
	}
	if out := must("", "routes"); !strings.Contains(out, "ana@acme.example") && !strings.Contains(out, "Ana Ruiz") {
		t.Fatalf("routes: %s", out)
	}
	pw := strings.TrimSpace(must("", "password", "set", "--email", "ana@acme.example", "--generate", "--must-change"))
	if len(pw) != 10 {
		t.Fatalf("generated password %q", pw)
	}
	if out := must("blue-truck-seven-ladders\n", "password", "set", "--email", "ana@acme.example"); !strings.Contains(out, "password set") {
		t.Fatalf("password set: %s", out)
	}
	if _, _, err := cmd("password1234\n", "password", "set", "--email", "ana@acme.example"); err == nil || !strings.Contains(err.Error(), "password_common") {
		t.Fatalf("common password: %v", err)
	}

	csvPath := filepath.Join(dir, "log.csv")
	must("", "log", "export", "-o", csvPath, "--security")
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	actors := map[string]string{}
	for _, r := range recs[1:] {
		actors[r[6]] = r[4]
	}
	if actors["password_set"] != "cli:ops" || actors["admin_created"] != "cli:ops" || actors["personnel_imported"] != "cli:ops" {
		t.Fatalf("log actors %v", actors)
	}
	if strings.Contains(string(mustRead(t, csvPath)), pw) {
		t.Fatal("the generated password is in the log")
	}
	if out := must("", "resets", "list"); !strings.Contains(out, "REQUEST") {
		t.Fatalf("resets list: %s", out)
	}
}
