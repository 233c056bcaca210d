package registry

import (
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func defaultBySlug(t *testing.T) map[string]*gateway.Carrier {
	t.Helper()
	list, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	m := map[string]*gateway.Carrier{}
	for _, c := range list {
		m[c.Slug] = c
	}
	return m
}

func TestDefaultFacts(t *testing.T) {
	carriers := defaultBySlug(t)
	if len(carriers) < 20 {
		t.Fatalf("embedded list has %d carriers, want the whole file", len(carriers))
	}
	tests := []struct {
		slug      string
		status    gateway.CarrierStatus
		retiredOn string // "" = no date
		sms       string
		country   string
	}{
		{"verizon", gateway.CarrierRetiring, "2027-03-31", "vtext.com", "US"},
		{"att", gateway.CarrierRetired, "2025-06-17", "txt.att.net", "US"},
		{"tmobile", gateway.CarrierRetired, "2024-12-31", "tmomail.net", "US"},
		{"rogers", gateway.CarrierRetired, "2023-07-01", "pcs.rogers.com", "CA"},
		{"uscellular", gateway.CarrierUnverified, "", "email.uscc.net", "US"},
		{"bell", gateway.CarrierUnverified, "", "txt.bell.ca", "CA"},
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			c := carriers[tt.slug]
			if c == nil {
				t.Fatalf("%s missing", tt.slug)
			}
			if c.Status != tt.status {
				t.Errorf("status = %q, want %q", c.Status, tt.status)
			}
			if c.SMSDomain != tt.sms || c.Country != tt.country {
				t.Errorf("domain/country = %q/%q, want %q/%q", c.SMSDomain, c.Country, tt.sms, tt.country)
			}
			if tt.retiredOn == "" {
				if !c.RetiredOn.IsZero() {
					t.Errorf("RetiredOn = %v, want zero", c.RetiredOn)
				}
				return
			}
			if !c.RetiredOn.Equal(date(tt.retiredOn)) || c.RetiredOn.Location() != time.UTC {
				t.Errorf("RetiredOn = %v, want %s UTC", c.RetiredOn, tt.retiredOn)
			}
		})
	}
}

// The notes carry commas inside quotes; a naive split would shift columns.
func TestDefaultQuotedNote(t *testing.T) {
	c := defaultBySlug(t)["fido"]
	if c == nil || !strings.Contains(c.Note, "Rogers, Fido and chatr") || c.Status != gateway.CarrierRetired {
		t.Fatalf("fido = %+v", c)
	}
}

func TestUsableOnWithRealData(t *testing.T) {
	carriers := defaultBySlug(t)
	tests := []struct {
		slug string
		on   string
		want bool
	}{
		{"verizon", "2026-11-23", true},
		{"verizon", "2027-03-30", true},
		{"verizon", "2027-03-31", false},
		{"att", "2025-01-01", false}, // retired is retired, whatever the date
		{"tmobile", "2026-11-23", false},
		{"uscellular", "2026-11-23", true},
		{"virgin", "2019-01-01", false},
	}
	for _, tt := range tests {
		if got := carriers[tt.slug].UsableOn(date(tt.on)); got != tt.want {
			t.Errorf("%s.UsableOn(%s) = %v, want %v", tt.slug, tt.on, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	const header = "slug,name,country,sms_domain,mms_domain,number_format,status,retired_on,note\n"
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty list"},
		{"reordered header", "name,slug,country,sms_domain,mms_domain,number_format,status,retired_on,note\n", `want "slug"`},
		{"short header", "slug,name\n", "header"},
		{"bad status", header + "x,X,US,x.com,,national10,dead,,\n", `status "dead" unknown`},
		{"bad date", header + "x,X,US,x.com,,national10,retired,31/03/2027,\n", "not a date"},
		{"retiring without date", header + "x,X,US,x.com,,national10,retiring,,\n", "needs retired_on"},
		{"bad format", header + "x,X,US,x.com,,e164,active,,\n", "number_format"},
		{"bad domain", header + "x,X,US,not a domain,,national10,active,,\n", "not a domain"},
		{"bad slug", header + "X Y,X,US,x.com,,national10,active,,\n", "slug"},
		{"bad country", header + "x,X,USA,x.com,,national10,active,,\n", "country"},
		{"duplicate", header + "x,X,US,x.com,,national10,active,,\nx,X,US,x.com,,national10,active,,\n", "already on line 2"},
		{"field count", header + "x,X,US\n", "wrong number of fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestParseOK(t *testing.T) {
	in := "\ufeffslug,name,country,sms_domain,mms_domain,number_format,status,retired_on,note\n" +
		"acme, Acme Mobile ,us,SMS.Acme.example,,national10,retired,2024-02-29,\n"
	list, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	c := list[0]
	if c.Name != "Acme Mobile" || c.Country != "US" || c.SMSDomain != "sms.acme.example" || !c.RetiredOn.Equal(date("2024-02-29")) {
		t.Fatalf("got %+v", c)
	}
}

func TestAddress(t *testing.T) {
	carriers := defaultBySlug(t)
	tests := []struct {
		slug, e164 string
		mms        bool
		want       string // "" = error expected
	}{
		{"verizon", "+12015550123", false, "2015550123@vtext.com"},
		{"verizon", "+12015550123", true, "2015550123@vzwpix.com"},
		{"bell", "+14165550199", false, "4165550199@txt.bell.ca"},
		{"ting", "+12015550123", true, ""},      // no MMS domain
		{"verizon", "+442071838750", false, ""}, // not +1
		{"verizon", "2015550123", false, ""},    // not E.164
		{"verizon", "+1201555012", false, ""},   // too short
		{"verizon", "+120155501234", false, ""}, // too long
		{"verizon", "+11015550123", false, ""},  // area code cannot start with 1
		{"verizon", "+12015550123;ext=1", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.slug+tt.e164, func(t *testing.T) {
			got, err := carriers[tt.slug].Address(tt.e164, tt.mms)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Address = %q, want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Address = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := (*gateway.Carrier)(nil).Address("+12015550123", false); err == nil {
		t.Error("nil carrier: want an error")
	}
	if _, err := (&gateway.Carrier{Slug: "x", NumberFormat: NumberNational10}).Address("+12015550123", false); err == nil {
		t.Error("no SMS domain: want an error")
	}
}
