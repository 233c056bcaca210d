package inbound

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(b, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatalf("%s: fixtures must have CRLF line ends only", name)
	}
	return b
}

func TestParseDSN(t *testing.T) {
	tests := []struct {
		file      string
		want      DSN
		permanent []bool
		transient []bool
	}{
		{
			file: "postfix_rfc822_headers.eml",
			want: DSN{
				ReportingMTA:      "mail.resetgw.example.com",
				OriginalMessageID: "d42.1795425301.a1b2c3@resetgw.example.com",
				OriginalDelivery:  "42",
				Recipients: []DSNRecipient{{
					FinalRecipient:    "jdoe@crew.example.net",
					OriginalRecipient: "JDoe@Crew.example.net",
					Action:            "failed",
					Status:            "5.1.1",
					DiagnosticCode:    "550 5.1.1 <jdoe@crew.example.net>: Recipient address rejected: User unknown in virtual mailbox table",
				}},
			},
			permanent: []bool{true},
			transient: []bool{false},
		},
		{
			file: "postfix_rfc822.eml",
			want: DSN{
				ReportingMTA:      "mail.resetgw.example.com",
				OriginalMessageID: "d43.1795428160.f00d@resetgw.example.com",
				OriginalDelivery:  "43",
				Recipients: []DSNRecipient{{
					FinalRecipient:    "2015550123@vtext.com",
					OriginalRecipient: "2015550123@vtext.com",
					Action:            "failed",
					Status:            "5.2.2",
					DiagnosticCode:    "552 5.2.2 Mailbox full",
				}, {
					FinalRecipient:    "mgarcia@crew.example.org",
					OriginalRecipient: "mgarcia@crew.example.org",
					Action:            "failed",
					Status:            "5.7.1",
					DiagnosticCode:    "550 5.7.1 Message rejected as spam",
				}},
			},
			permanent: []bool{true, true},
			transient: []bool{false, false},
		},
		{
			file: "exchange_o365.eml",
			want: DSN{
				ReportingMTA:      "DM6PR11MB4321.namprd11.prod.outlook.com",
				OriginalMessageID: "d44.1795425611.beef@resetgw.example.com",
				OriginalDelivery:  "44",
				Recipients: []DSNRecipient{{
					FinalRecipient: "mhernandez@acmemoving.example.com",
					Action:         "failed",
					Status:         "5.1.10",
					DiagnosticCode: "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient mhernandez@acmemoving.example.com not found by SMTP address lookup",
				}},
			},
			permanent: []bool{true},
			transient: []bool{false},
		},
		{
			file: "gmail.eml",
			want: DSN{
				ReportingMTA:      "googlemail.com",
				OriginalMessageID: "d45.1795425360.cafe@resetgw.example.com",
				OriginalDelivery:  "45",
				Recipients: []DSNRecipient{{
					FinalRecipient: "nobody.here@gmail.com",
					Action:         "failed",
					Status:         "5.1.1",
					DiagnosticCode: "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. For more information, go to https://support.google.com/mail/?p=NoSuchUser a1b2c3d4e5f6-1234567890abc.123 - gsmtp",
				}},
			},
			permanent: []bool{true},
			transient: []bool{false},
		},
		{
			file: "exchange_delayed.eml",
			want: DSN{
				ReportingMTA:      "SN7PR11MB6543.namprd11.prod.outlook.com",
				OriginalMessageID: "d46.1795439100.d00d@resetgw.example.com",
				OriginalDelivery:  "46",
				Recipients: []DSNRecipient{{
					FinalRecipient: "crew-lead@remote.example.org",
					Action:         "delayed",
					Status:         "4.4.7",
					DiagnosticCode: "400 4.4.7 Message delayed",
				}},
			},
			permanent: []bool{false},
			transient: []bool{true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readFixture(t, tt.file)
			got, err := ParseDSN(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
			for i, r := range got.Recipients {
				if r.Permanent() != tt.permanent[i] || r.Transient() != tt.transient[i] {
					t.Errorf("recipient %d: Permanent %v Transient %v", i, r.Permanent(), r.Transient())
				}
			}
			// The quoted original holds the password: nothing of its body
			// may come out.
			if strings.Contains(got.Recipients[0].DiagnosticCode, "Kp7wQx3m") {
				t.Error("password leaked into the result")
			}
			// The same report with LF line ends (a listener that
			// normalised them) reads the same.
			lf, err := ParseDSN(bytes.NewReader(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))))
			if err != nil {
				t.Fatalf("LF: %v", err)
			}
			if !reflect.DeepEqual(lf, got) {
				t.Errorf("LF: got %+v", *lf)
			}
		})
	}
}

func TestParseDSNNotADSN(t *testing.T) {
	for _, file := range []string{"out_of_office.eml", "feedback_report.eml", "vtext.eml", "vzwpix.eml"} {
		_, err := ParseDSN(bytes.NewReader(readFixture(t, file)))
		if !errors.Is(err, ErrNotDSN) {
			t.Errorf("%s: err = %v, want ErrNotDSN", file, err)
		}
		if gateway.ErrorKind(err) != gateway.KindInvalid {
			t.Errorf("%s: kind %v", file, gateway.ErrorKind(err))
		}
	}
}

func TestParseDSNMalformed(t *testing.T) {
	tests := []struct {
		name string
		in   string
		code string
	}{
		{"empty", "", "not_dsn"},
		{"garbage header", " leading space\r\n\r\nbody", "bad_mail"},
		{"no recipient", dsnWith("Reporting-MTA: dns; a.example\r\n"), "dsn_no_recipient"},
		{"empty status part", dsnWith(""), "dsn_no_recipient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDSN(strings.NewReader(tt.in))
			if gateway.ErrorCode(err) != tt.code {
				t.Errorf("err = %v, want code %s", err, tt.code)
			}
		})
	}
}

// dsnWith wraps a delivery-status body in a minimal report.
func dsnWith(status string) string {
	return "From: MAILER-DAEMON@a.example\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=XX\r\n\r\n" +
		"--XX\r\nContent-Type: text/plain\r\n\r\nsorry\r\n" +
		"--XX\r\nContent-Type: message/delivery-status\r\n\r\n" + status + "\r\n" +
		"--XX--\r\n"
}

func TestParseDSNSloppyStatus(t *testing.T) {
	tests := []struct {
		name   string
		status string
		want   []DSNRecipient
		mta    string
	}{
		{
			name:   "everything in one block",
			status: "Reporting-MTA: dns; a.example\r\nFinal-Recipient: rfc822; x@b.example\r\nAction: failed\r\nStatus: 5.0.0\r\n",
			mta:    "a.example",
			want:   []DSNRecipient{{FinalRecipient: "x@b.example", Action: "failed", Status: "5.0.0"}},
		},
		{
			name:   "blank lines with spaces, several in a row, prose between fields",
			status: "\r\n  \r\nReporting-MTA: dns;a.example\r\n\r\n\t\r\n\r\nFinal-Recipient: RFC822; <x@b.example>\r\nthis line is no field\r\nAction: FAILED (permanent)\r\nStatus: 5.1.1 (bad destination mailbox address)\r\n",
			mta:    "a.example",
			want:   []DSNRecipient{{FinalRecipient: "x@b.example", Action: "failed", Status: "5.1.1"}},
		},
		{
			name:   "status only in the diagnostic",
			status: "Reporting-MTA: dns; a.example\r\n\r\nFinal-Recipient: rfc822; x@b.example\r\nAction: failed\r\nStatus: bogus\r\nDiagnostic-Code: smtp; 554-5.7.1 Rejected\r\n",
			mta:    "a.example",
			want:   []DSNRecipient{{FinalRecipient: "x@b.example", Action: "failed", Status: "5.7.1", DiagnosticCode: "554 5.7.1 Rejected"}},
		},
		{
			name:   "no type on the fields, no enhanced code",
			status: "Reporting-MTA: a.example\r\n\r\nFinal-Recipient: x@b.example\r\nAction: delayed\r\nDiagnostic-Code: X-Postfix; connect to b.example[203.0.113.9]:25: Connection timed out\r\n",
			mta:    "a.example",
			want:   []DSNRecipient{{FinalRecipient: "x@b.example", Action: "delayed", DiagnosticCode: "connect to b.example[203.0.113.9]:25: Connection timed out"}},
		},
		{
			name:   "expired in the queue: failed with a 4.x.x status",
			status: "Reporting-MTA: dns; a.example\r\n\r\nFinal-Recipient: rfc822; x@b.example\r\nAction: failed\r\nStatus: 4.4.7\r\n",
			mta:    "a.example",
			want:   []DSNRecipient{{FinalRecipient: "x@b.example", Action: "failed", Status: "4.4.7"}},
		},
		{
			name:   "a success report",
			status: "Reporting-MTA: dns; a.example\r\n\r\nFinal-Recipient: rfc822; x@b.example\r\nAction: delivered\r\nStatus: 2.0.0\r\n",
			mta:    "a.example",
			want:   []DSNRecipient{{FinalRecipient: "x@b.example", Action: "delivered", Status: "2.0.0"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDSN(strings.NewReader(dsnWith(tt.status)))
			if err != nil {
				t.Fatal(err)
			}
			if got.ReportingMTA != tt.mta || !reflect.DeepEqual(got.Recipients, tt.want) {
				t.Errorf("got %+v", *got)
			}
		})
	}
}

func TestDSNRecipientClass(t *testing.T) {
	tests := []struct {
		action, status       string
		permanent, transient bool
	}{
		{"failed", "5.1.1", true, false},
		{"failed", "4.4.7", true, false},
		{"failed", "", true, false},
		{"", "5.2.2", true, false},
		{"delayed", "4.4.7", false, true},
		{"delayed", "", false, true},
		{"", "4.2.2", false, true},
		{"delivered", "2.0.0", false, false},
		{"relayed", "2.0.0", false, false},
		{"expanded", "", false, false},
		{"", "", false, false},
	}
	for _, tt := range tests {
		r := DSNRecipient{Action: tt.action, Status: tt.status}
		if r.Permanent() != tt.permanent || r.Transient() != tt.transient {
			t.Errorf("%s %s: Permanent %v Transient %v", tt.action, tt.status, r.Permanent(), r.Transient())
		}
	}
}

func TestDiagnostic(t *testing.T) {
	tests := []struct{ in, want string }{
		{"550 5.1.1 User unknown", "550 5.1.1 User unknown"},
		{"550-5.1.1 one\n 550-5.1.1 two\n 550 5.1.1 three", "550 5.1.1 one two three"},
		{"552-5.2.2 quota of 550 MB exceeded\n 552 5.2.2 try later", "552 5.2.2 quota of 550 MB exceeded try later"},
		{"421-Too many\n 421-connections\n 421 slow down", "421 Too many connections 421 slow down"},
		{"no code here", "no code here"},
		{"", ""},
		{strings.Repeat("é", 1000), strings.Repeat("é", 512)},
	}
	for _, tt := range tests {
		if got := diagnostic(tt.in); got != tt.want {
			t.Errorf("diagnostic(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestVERP(t *testing.T) {
	const bounce = "bounces@resetgw.example.com"
	tests := []struct {
		rcpt string
		id   int64
		tag  string
		ok   bool
	}{
		{"bounces+d42-9f2c4a1b7e@resetgw.example.com", 42, "9f2c4a1b7e", true},
		{"bounces+d42-9f2c4a1b7e@RESETGW.Example.COM", 42, "9f2c4a1b7e", true},
		{"Bounces+D42-9F2C4A1B7E@resetgw.example.com", 42, "9F2C4A1B7E", true},
		{"<bounces+d42-abc@resetgw.example.com>", 42, "abc", true},
		{" bounces+d9223372036854775807-x@resetgw.example.com ", 9223372036854775807, "x", true},
		{"bounces+d9223372036854775808-x@resetgw.example.com", 0, "", false}, // overflows
		{"bounces@resetgw.example.com", 0, "", false},
		{"bounces+d42@resetgw.example.com", 0, "", false},
		{"bounces+d42-@resetgw.example.com", 0, "", false},
		{"bounces+d-abc@resetgw.example.com", 0, "", false},
		{"bounces+d042-abc@resetgw.example.com", 0, "", false},
		{"bounces+d+42-abc@resetgw.example.com", 0, "", false},
		{"bounces+d0-abc@resetgw.example.com", 0, "", false},
		{"bounces+d-1-abc@resetgw.example.com", 0, "", false},
		{"bounces+d42-ab-c@resetgw.example.com", 0, "", false},
		{"bounces+d42-ab.c@resetgw.example.com", 0, "", false},
		{"bounces+x42-abc@resetgw.example.com", 0, "", false},
		{"bouncesX+d42-abc@resetgw.example.com", 0, "", false},
		{"other+d42-abc@resetgw.example.com", 0, "", false},
		{"bounces+d42-abc@other.example.com", 0, "", false},
		{"bounces+d42-abc@evil.resetgw.example.com", 0, "", false},
		{"bounces+d42-abc@resetgw.example.com.evil", 0, "", false},
		{"bounces+d42-abc", 0, "", false},
		{"", 0, "", false},
		{"@resetgw.example.com", 0, "", false},
	}
	for _, tt := range tests {
		id, tag, ok := ParseVERP(tt.rcpt, bounce)
		if id != tt.id || tag != tt.tag || ok != tt.ok {
			t.Errorf("ParseVERP(%q) = %d, %q, %v; want %d, %q, %v", tt.rcpt, id, tag, ok, tt.id, tt.tag, tt.ok)
		}
	}
}

func TestVERPAddress(t *testing.T) {
	tests := []struct {
		bounce string
		id     int64
		tag    string
		want   string
	}{
		{"bounces@resetgw.example.com", 42, "9f2c4a1b7e", "bounces+d42-9f2c4a1b7e@resetgw.example.com"},
		{"ops+bounces@resetgw.example.com", 7, "ab", "ops+bounces+d7-ab@resetgw.example.com"},
		// Unusable input: the plain bounce address, never a broken one.
		{"bounces@resetgw.example.com", 0, "ab", "bounces@resetgw.example.com"},
		{"bounces@resetgw.example.com", -3, "ab", "bounces@resetgw.example.com"},
		{"bounces@resetgw.example.com", 42, "", "bounces@resetgw.example.com"},
		{"bounces@resetgw.example.com", 42, "a-b", "bounces@resetgw.example.com"},
		{"bounces@resetgw.example.com", 42, "a@b", "bounces@resetgw.example.com"},
		{"no-at-sign", 42, "ab", "no-at-sign"},
		{"@resetgw.example.com", 42, "ab", "@resetgw.example.com"},
	}
	for _, tt := range tests {
		if got := VERPAddress(tt.bounce, tt.id, tt.tag); got != tt.want {
			t.Errorf("VERPAddress(%q, %d, %q) = %q, want %q", tt.bounce, tt.id, tt.tag, got, tt.want)
		}
	}
	// Round trip, including a bounce address that has a "+" itself.
	for _, bounce := range []string{"bounces@resetgw.example.com", "ops+bounces@resetgw.example.com"} {
		id, tag, ok := ParseVERP(VERPAddress(bounce, 123456789, "0a1b2c"), bounce)
		if !ok || id != 123456789 || tag != "0a1b2c" {
			t.Errorf("%s: round trip gave %d, %q, %v", bounce, id, tag, ok)
		}
	}
}

func FuzzParseDSN(f *testing.F) {
	for _, file := range []string{
		"postfix_rfc822_headers.eml", "postfix_rfc822.eml", "exchange_o365.eml",
		"gmail.eml", "exchange_delayed.eml", "out_of_office.eml", "feedback_report.eml",
	} {
		f.Add(readFixture(f, file))
	}
	f.Add([]byte(dsnWith("Reporting-MTA: dns; a\r\n\r\nFinal-Recipient: rfc822; b\r\nStatus: 5.1.1\r\n")))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, raw []byte) {
		dsn, err := ParseDSN(bytes.NewReader(raw))
		if err != nil {
			if dsn != nil {
				t.Fatal("a DSN and an error")
			}
			if gateway.ErrorKind(err) != gateway.KindInvalid {
				t.Fatalf("error of kind %v: %v", gateway.ErrorKind(err), err)
			}
			return
		}
		if len(dsn.Recipients) == 0 {
			t.Fatal("a DSN without recipients")
		}
		for _, r := range dsn.Recipients {
			if r.Permanent() && r.Transient() {
				t.Fatalf("both permanent and transient: %+v", r)
			}
			if len(r.DiagnosticCode) > maxDiagnosticBytes {
				t.Fatalf("diagnostic of %d bytes", len(r.DiagnosticCode))
			}
			if r.Status != "" && enhancedCode(r.Status) == "" {
				t.Fatalf("status %q", r.Status)
			}
		}
	})
}

func FuzzParseVERP(f *testing.F) {
	f.Add("bounces+d42-9f2c4a1b7e@resetgw.example.com", "bounces@resetgw.example.com")
	f.Add("a+b+d1-x@c", "a+b@c")
	f.Add("<x+d9223372036854775807-Z@Y>", "x@y")
	f.Add("@", "@")
	f.Fuzz(func(t *testing.T, rcpt, bounce string) {
		id, tag, ok := ParseVERP(rcpt, bounce)
		if !ok {
			if id != 0 || tag != "" {
				t.Fatalf("not ok but %d, %q", id, tag)
			}
			return
		}
		if id <= 0 || !validTag(tag) {
			t.Fatalf("ok with id %d, tag %q", id, tag)
		}
		// What parses is what VERPAddress builds, up to case.
		if want := VERPAddress(bounce, id, tag); !strings.EqualFold(want, strings.Trim(strings.TrimSpace(rcpt), "<>")) {
			t.Fatalf("ParseVERP(%q, %q) = %d, %q but VERPAddress gives %q", rcpt, bounce, id, tag, want)
		}
	})
}

// deepMultipart nests n multiparts, each with its own boundary.
func deepMultipart(n int, inner string) string {
	var b strings.Builder
	b.WriteString("From: a@b.example\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := range n {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i+1)
	}
	fmt.Fprintf(&b, "--b%d\r\n%s\r\n--b%d--\r\n", n, inner, n)
	for i := n - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.String()
}

func TestDeepNestingIsCutShort(t *testing.T) {
	status := "Content-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; x@b.example\r\nAction: failed\r\n"
	// Nested as deep as real mail: found.
	if _, err := ParseDSN(strings.NewReader(deepMultipart(3, status))); err != nil {
		t.Fatalf("depth 3: %v", err)
	}
	if tm, err := ParseTextMail(strings.NewReader(deepMultipart(3, "Content-Type: text/plain\r\n\r\nreset"))); err != nil || tm.Body != "reset" {
		t.Fatalf("depth 3: %v, %+v", err, tm)
	}
	// Nested by the thousand: refused at once, not after minutes of
	// quadratic reading. Each level reads through the levels above it, so
	// what bounds the work is the depth cut and how little of the mail is
	// read before it: the reader counts, and stops feeding the parser
	// once it has had far more than the cut needs (real mail of depth 8
	// fits in a few kilobytes), so a parser without the cut fails here
	// quickly instead of after minutes. A wall-clock bound would also
	// count the machine's load.
	for _, c := range []struct {
		name  string
		inner string
		parse func(io.Reader) error
	}{
		{"DSN", status, func(r io.Reader) error { _, err := ParseDSN(r); return err }},
		{"text mail", "Content-Type: text/plain\r\n\r\nreset", func(r io.Reader) error { _, err := ParseTextMail(r); return err }},
	} {
		mail := deepMultipart(50000, c.inner)
		r := &budgetReader{r: strings.NewReader(mail), left: 32 << 10}
		if err := c.parse(r); gateway.ErrorCode(err) != "bad_mail" {
			t.Errorf("%s: err = %v", c.name, err)
		}
		if r.over {
			t.Errorf("%s: read more than 32 KiB of a %d-byte mail before refusing it", c.name, len(mail))
		}
	}
}

// budgetReader reads r until left bytes have been read, then fails and
// notes that the reader wanted more.
type budgetReader struct {
	r    io.Reader
	left int
	over bool
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		b.over = true
		return 0, errors.New("read budget spent")
	}
	if len(p) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= n
	return n, err
}
