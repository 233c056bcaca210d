package inbound

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzBounceOutcome runs what the listener does with a bounce after
// parsing it: picking the recipient and the error code never panics, a
// picked recipient is failed, delayed or delivered, and the code stays a
// short line.
func FuzzBounceOutcome(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; a@b\r\nAction: failed\r\nDiagnostic-Code: smtp; 550-5.1.1 no\r\n\r\n--b--\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dsn, err := ParseDSN(bytes.NewReader(data))
		if err != nil {
			return
		}
		r, ok := reportedRecipient(dsn)
		if !ok {
			return
		}
		if !r.Permanent() && !r.Transient() && r.Action != "delivered" {
			t.Fatalf("picked %+v", r)
		}
		code := bounceCode(r)
		if len(code) > 64 || bytes.ContainsAny([]byte(code), "\r\n") {
			t.Fatalf("code %q", code)
		}
	})
}
