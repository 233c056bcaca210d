package httpapi

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"testing"

	"github.com/twilio/twilio-go/client"

	"github.com/resetgw/resetgw/gateway"
)

// FuzzDecodeTwilioForm: any body either is refused as invalid input or
// decodes to the first value of each field, which is exactly what Twilio's
// request validator reads: a signature over the decoded fields validates
// the raw body.
func FuzzDecodeTwilioForm(f *testing.F) {
	for _, s := range []string{
		"Body=RESET&From=%2B12015550123&To=%2B15005550006&MessageSid=SM1",
		"Body=RESET&Body=STOP", "a=1;b=2", "%zz=1", "=", "&&&", "Body=%E2%82%AC+%F0%9F%98%80", "",
		"MessageStatus=undelivered&ErrorCode=30003&MessageSid=SMx&AccountSid=ACy",
	} {
		f.Add([]byte(s))
	}
	const (
		token = "0123456789abcdef0123456789abcdef"
		u     = "https://gw.example/v1/twilio/sms"
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		form, err := decodeTwilioForm(body)
		if err != nil {
			if gateway.ErrorKind(err) != gateway.KindInvalid {
				t.Fatalf("error of kind %v: %v", gateway.ErrorKind(err), err)
			}
			return
		}
		vals, err := url.ParseQuery(string(body))
		if err != nil || len(vals) != len(form) {
			t.Fatalf("decoded %v from a body ParseQuery reads as %v (%v)", form, vals, err)
		}
		for k, v := range vals {
			if form[k] != v[0] {
				t.Fatalf("field %q: %q, want the first value %q", k, form[k], v[0])
			}
		}
		v := client.NewRequestValidator(token)
		if !v.ValidateBody(u, body, signFields(token, u, form)) {
			t.Fatal("a signature over the decoded fields does not validate the body")
		}
	})
}

// signFields is Twilio's scheme: HMAC-SHA1 over the URL and each field's
// name and value, sorted by name.
func signFields(token, u string, fields map[string]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(u))
	for _, k := range keys {
		m.Write([]byte(k + fields[k]))
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
