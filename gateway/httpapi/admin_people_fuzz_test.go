package httpapi_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

type personKeys struct {
	Tenant           any `json:"tenant"`
	Name             any `json:"name"`
	Email            any `json:"email"`
	Status           any `json:"status"`
	MobileAccess     any `json:"mobile_access"`
	AllowMobileReset any `json:"allow_mobile_reset"`
	Password         any `json:"password"`
	MustChange       any `json:"must_change"`
	Locale           any `json:"locale"`
	Phones           any `json:"phones"`
	Tags             any `json:"tags"`
}

type personAnswer struct {
	ID     int64    `json:"id"`
	Name   string   `json:"name"`
	Email  string   `json:"email"`
	Status string   `json:"status"`
	Locale string   `json:"locale"`
	Tags   []string `json:"tags"`
	Phones []struct {
		Number, Type, Carrier string
	} `json:"phones"`
}

func decodePerson(t *testing.T, raw []byte) personAnswer {
	t.Helper()
	var p personAnswer
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("person answer %s: %v", raw, err)
	}
	return p
}

// FuzzAdminPersonCreate: a created person reads back as created, with an
// email and tags already in their normal form; the same body again is a
// conflict (the email is taken), never a second record; an unknown field
// is refused.
func FuzzAdminPersonCreate(f *testing.F) {
	for _, s := range []string{
		`{"name":"Dana Cruz","email":"Dana@Acme.example","phones":[{"number":"(201) 555-0123","type":"sms","carrier":"verizon"}],"tags":["Crew-A","crew-a"]}`,
		`{"name":"Lee","email":"lee@acme.example","status":"inactive","locale":"es"}`,
		`{"name":"Lee","email":"lee@acme.example","emial":"x"}`, `{"name":"","email":"a@acme.example"}`,
		`{"name":"A","email":"not-an-email"}`, `{"name":"A","email":"b@acme.example","tags":["bad tag"]}`,
		`{"name":"A","email":"c@acme.example","tags":["a","b","c","d","e","f","g","h","i","j","k"]}`,
		`{"name":"A","email":"d@acme.example","phones":[{"number":"+12015550124","type":"fax"}]}`,
		`{"name":"A","email":"e@acme.example","phones":[{"number":"+12015550125","type":"sms","carrier":"pigeon"}]}`,
		`{"name":"A","email":"f@acme.example","phones":[{"number":"2015550126"},{"number":"201-555-0126"}]}`,
		`{"name":"A","email":"g@acme.example","password":"short"}`, `{"name":"A","email":"h@acme.example","tenant":"nobody"}`,
		`{"name":"A","email":"i@acme.example","phones":[{"number":"+12015550127","bogus":1}]}`,
		`{"name":"A","email":"j@acme.example","status":"ACTIVE ","locale":"xx-YY"}`, `{"name":1}`, `[]`, `{}`,
	} {
		f.Add([]byte(s))
	}
	api := newFuzzAPI(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		code, raw := api.call(t, "POST", "/admin/api/personnel", "application/json", body)
		if k, ok := unknownTopKey(body, personKeys{}); ok && code != 400 {
			t.Fatalf("%q: unknown field %q answered %d: %s", body, k, code, raw)
		}
		if code != 201 {
			return
		}
		p := decodePerson(t, raw)
		if n, err := gateway.NormalizeEmail(p.Email); err != nil || n != p.Email {
			t.Fatalf("%q: stored email %q is not normal (%q, %v)", body, p.Email, n, err)
		}
		if n, err := gateway.NormalizeTags(p.Tags); err != nil || !slices.Equal(n, p.Tags) {
			t.Fatalf("%q: stored tags %q are not normal (%q, %v)", body, p.Tags, n, err)
		}
		_, got := api.call(t, "GET", "/admin/api/personnel/"+strconv.FormatInt(p.ID, 10), "application/json", nil)
		if g := decodePerson(t, got); g.Name != p.Name || g.Email != p.Email || g.Status != p.Status ||
			g.Locale != p.Locale || !slices.Equal(g.Tags, p.Tags) || len(g.Phones) != len(p.Phones) {
			t.Fatalf("%q: created %s, reads back %s", body, raw, got)
		}
		if code, raw := api.call(t, "POST", "/admin/api/personnel", "application/json", body); code != 409 {
			t.Fatalf("%q created twice: %d %s", body, code, raw)
		}
	})
}

// FuzzAdminPersonPatch: a patch refused leaves the person as they were;
// one accepted, sent again, leaves them as the first time did.
func FuzzAdminPersonPatch(f *testing.F) {
	for _, s := range []string{
		`{"name":"Dana R. Cruz"}`, `{"email":"DANA2@acme.example"}`, `{"status":"inactive"}`, `{"status":"gone"}`,
		`{"tags":["crew-b","Crew-B"]}`, `{"tags":[]}`, `{"tags":null}`, `{"tags":["-x"]}`, `{"locale":"es"}`,
		`{"phones":[{"number":"+12015550150","type":"sms"}]}`, `{"phones":[]}`, `{"phones":[{"number":"911"}]}`,
		`{"mobile_access":false,"allow_mobile_reset":true}`, `{"password":"x"}`, `{"name":null}`, `{"name":""}`, `{}`,
	} {
		f.Add([]byte(s))
	}
	api := newFuzzAPI(f)
	code, raw := api.callF(f, "POST", "/admin/api/personnel",
		`{"name":"Dana Cruz","email":"dana@acme.example","phones":[{"number":"+12015550123","type":"sms"}]}`)
	if code != 201 {
		f.Fatalf("create: %d %s", code, raw)
	}
	var p personAnswer
	_ = json.Unmarshal(raw, &p)
	id := strconv.FormatInt(p.ID, 10)
	f.Fuzz(func(t *testing.T, body []byte) {
		path := "/admin/api/personnel/" + id
		_, before := api.call(t, "GET", path, "application/json", nil)
		code, raw := api.call(t, "PATCH", path, "application/json", body)
		if code != 200 {
			if _, after := api.call(t, "GET", path, "application/json", nil); !sameSettings(before, after) {
				t.Fatalf("%q refused (%d %s) but the person changed:\n%s\n%s", body, code, raw, before, after)
			}
			return
		}
		_, first := api.call(t, "GET", path, "application/json", nil)
		if code, raw := api.call(t, "PATCH", path, "application/json", body); code != 200 {
			t.Fatalf("%q accepted, then refused the second time: %d %s", body, code, raw)
		}
		if _, second := api.call(t, "GET", path, "application/json", nil); !sameSettings(first, second) {
			t.Fatalf("%q sent twice does not settle:\n%s\n%s", body, first, second)
		}
	})
}

type bulkKeys struct {
	Tenant any `json:"tenant"`
	Action any `json:"action"`
	Filter any `json:"filter"`
	DryRun any `json:"dry_run"`
}

// FuzzAdminBulk: a bulk action never takes everyone by default, so a body
// whose filter names nothing (blank values included) is refused with
// filter_required; a preview's sample is never larger than its count.
func FuzzAdminBulk(f *testing.F) {
	for _, s := range []string{
		`{"action":"reset","filter":{"tag":"crew-a"},"dry_run":true}`, `{"action":"reset","dry_run":true}`,
		`{"action":"deactivate","filter":{"status":" "},"dry_run":true}`, `{"action":"activate","filter":{"status":"inactive"}}`,
		`{"action":"reset","filter":{"emails":[]},"dry_run":true}`, `{"action":"reset","filter":{"emails":[""]},"dry_run":true}`,
		`{"action":"mobile_off","filter":{"last_login_before":"2027-03-01"},"dry_run":true}`,
		`{"action":"mobile_on","filter":{"last_login_before":"yesterday"},"dry_run":true}`,
		`{"action":"reset","filter":{"emails":["dana@acme.example","DANA@acme.example"]},"dry_run":true}`,
		`{"action":"explode","filter":{"tag":"crew-a"}}`, `{"action":"reset","filter":{"tag":"crew-a","colour":"red"}}`,
		`{"action":"reset","filter":{"tag":"\t"},"dry_run":true}`, `{"action":"reset","filter":null,"dry_run":true}`,
	} {
		f.Add([]byte(s))
	}
	api := newFuzzAPI(f)
	for i := range 3 {
		api.callF(f, "POST", "/admin/api/personnel", `{"name":"P`+strconv.Itoa(i)+`","email":"p`+strconv.Itoa(i)+
			`@acme.example","tags":["crew-a"]}`)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code, raw := api.call(t, "POST", "/admin/api/bulk", "application/json", body)
		if k, ok := unknownTopKey(body, bulkKeys{}); ok && code != 400 {
			t.Fatalf("%q: unknown field %q answered %d: %s", body, k, code, raw)
		}
		var b struct {
			Filter struct {
				Status          string   `json:"status"`
				Tag             string   `json:"tag"`
				LastLoginBefore string   `json:"last_login_before"`
				Emails          []string `json:"emails"`
			}
		}
		if json.Unmarshal(body, &b) == nil && code < 400 {
			fl := b.Filter
			if strings.TrimSpace(fl.Status+fl.Tag+fl.LastLoginBefore) == "" && len(fl.Emails) == 0 {
				t.Fatalf("%q: a filter naming nothing answered %d: %s", body, code, raw)
			}
		}
		if code == 200 {
			var p struct {
				Count  int
				Sample []any
			}
			if err := json.Unmarshal(raw, &p); err != nil || p.Count < len(p.Sample) {
				t.Fatalf("%q: preview %s", body, raw)
			}
		}
	})
}
