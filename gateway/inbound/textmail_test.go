package inbound

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/resetgw/resetgw/gateway"
)

func TestParseTextMail(t *testing.T) {
	keywords := gateway.DefaultKeywords()
	tests := []struct {
		file    string
		want    TextMail
		keyword gateway.Keyword
	}{
		{"vtext.eml", TextMail{From: "2015550123@vtext.com", Body: "Reset"}, gateway.KeywordReset},
		{
			"vzwpix.eml",
			TextMail{From: "2015550187@vzwpix.com", Body: "¡Ayuda!\n\n--\nSent from my Verizon, Samsung Galaxy smartphone"},
			gateway.KeywordHelp,
		},
		{
			"quoted_printable.eml",
			TextMail{From: "2015550199@msg.fi.google.com", Body: "Contraseña\n--\nEnviado desde mi teléfono. Este mensaje puede contener información confidencial."},
			gateway.KeywordReset,
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readFixture(t, tt.file)
			got, err := ParseTextMail(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if *got != tt.want {
				t.Errorf("got  %+q\nwant %+q", *got, tt.want)
			}
			if k := keywords.Parse(got.Body); k != tt.keyword {
				t.Errorf("keyword %q, want %q", k, tt.keyword)
			}
		})
	}
}

func TestParseTextMailCases(t *testing.T) {
	const head = "From: 2015550123@vtext.com\r\nTo: reset@resetgw.example.com\r\n"
	tests := []struct {
		name string
		mail string
		want TextMail
		code string // error code, "" for success
	}{
		{
			name: "no content type is text/plain",
			mail: head + "\r\n  STOP  \r\n",
			want: TextMail{From: "2015550123@vtext.com", Body: "STOP"},
		},
		{
			name: "display name and upper case",
			mail: "From: \"Crew Phone\" <2015550123@VTEXT.COM>\r\n\r\nhelp\r\n",
			want: TextMail{From: "2015550123@vtext.com", Body: "help"},
		},
		{
			name: "first text/plain part without a named one",
			mail: head + "Content-Type: multipart/alternative; boundary=B\r\n\r\n" +
				"--B\r\nContent-Type: text/plain\r\n\r\nstart\r\n" +
				"--B\r\nContent-Type: text/html\r\n\r\n<p>ignored</p>\r\n--B--\r\n",
			want: TextMail{From: "2015550123@vtext.com", Body: "start"},
		},
		{
			name: "named text part wins over a banner",
			mail: head + "Content-Type: multipart/mixed; boundary=B\r\n\r\n" +
				"--B\r\nContent-Type: text/plain\r\n\r\nThis is a multimedia message.\r\n" +
				"--B\r\nContent-Type: text/plain; name=TEXT_1.TXT\r\n\r\nreset\r\n--B--\r\n",
			want: TextMail{From: "2015550123@vtext.com", Body: "reset"},
		},
		{
			name: "no text part",
			mail: head + "Content-Type: multipart/mixed; boundary=B\r\n\r\n" +
				"--B\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/\r\n--B--\r\n",
			want: TextMail{From: "2015550123@vtext.com"},
		},
		{
			name: "windows-1252",
			mail: head + "Content-Type: text/plain; charset=windows-1252\r\n\r\ncontrase\xf1a \x93ya\x94\r\n",
			want: TextMail{From: "2015550123@vtext.com", Body: "contraseña “ya”"},
		},
		{
			name: "unknown charset keeps the bytes, made valid",
			mail: head + "Content-Type: text/plain; charset=x-nope\r\n\r\nreset \xff\r\n",
			want: TextMail{From: "2015550123@vtext.com", Body: "reset \uFFFD"},
		},
		{
			name: "long text cut to 1 KiB on a rune boundary",
			mail: head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + strings.Repeat("\r\n", 2000) + "RESET " + strings.Repeat("ñ", 5000),
			want: TextMail{From: "2015550123@vtext.com", Body: "RESET " + strings.Repeat("ñ", (MaxTextBytes-6)/2)},
		},
		{
			name: "auto reply",
			mail: head + "Auto-Submitted: auto-replied\r\n\r\nI am away\r\n",
			code: "auto_submitted",
		},
		{
			name: "auto-submitted no is a person",
			mail: head + "Auto-Submitted: no\r\n\r\nreset\r\n",
			want: TextMail{From: "2015550123@vtext.com", Body: "reset"},
		},
		{
			name: "no From",
			mail: "To: reset@resetgw.example.com\r\n\r\nreset\r\n",
			code: "no_sender",
		},
		{
			name: "broken From",
			mail: "From: <<<\r\n\r\nreset\r\n",
			code: "no_sender",
		},
		{
			name: "garbage header",
			mail: " leading space\r\n\r\nreset\r\n",
			code: "bad_mail",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTextMail(strings.NewReader(tt.mail))
			if tt.code != "" {
				if gateway.ErrorCode(err) != tt.code {
					t.Fatalf("err = %v, want code %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != tt.want {
				t.Errorf("got  %+q\nwant %+q", *got, tt.want)
			}
		})
	}
}

func TestParseTextMailRefusesBounces(t *testing.T) {
	for _, file := range []string{"postfix_rfc822_headers.eml", "gmail.eml", "out_of_office.eml"} {
		if _, err := ParseTextMail(bytes.NewReader(readFixture(t, file))); err == nil {
			t.Errorf("%s: parsed as a text", file)
		}
	}
	// A report without Auto-Submitted is refused too.
	if _, err := ParseTextMail(bytes.NewReader(readFixture(t, "feedback_report.eml"))); gateway.ErrorCode(err) != "not_text_mail" {
		t.Errorf("report: err = %v", err)
	}
}

func FuzzParseTextMail(f *testing.F) {
	for _, file := range []string{"vtext.eml", "vzwpix.eml", "quoted_printable.eml", "gmail.eml"} {
		f.Add(readFixture(f, file))
	}
	f.Add([]byte("From: a@b\r\n\r\nreset"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, raw []byte) {
		tm, err := ParseTextMail(bytes.NewReader(raw))
		if err != nil {
			if gateway.ErrorKind(err) != gateway.KindInvalid {
				t.Fatalf("error of kind %v: %v", gateway.ErrorKind(err), err)
			}
			return
		}
		if tm.From == "" || tm.From != strings.ToLower(tm.From) {
			t.Fatalf("From %q", tm.From)
		}
		if len(tm.Body) > MaxTextBytes || !utf8.ValidString(tm.Body) || strings.TrimSpace(tm.Body) != tm.Body || strings.Contains(tm.Body, "\r") {
			t.Fatalf("Body %q", tm.Body)
		}
	})
}
