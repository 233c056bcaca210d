package gateway

import (
	"strings"
	"testing"
)

// Numbers here are in the fictional NPA-555-0100..0199 range, which is
// valid to the library; +1 555 ... is not (NOTES.md).
func TestParsePhone(t *testing.T) {
	tests := []struct {
		name, in, region string
		e164, gotRegion  string
		code             string // "" when it parses
	}{
		{"international", "+1 201 555 0123", "US", "+12015550123", "US", ""},
		{"international no default", "+1 201 555 0123", "", "+12015550123", "US", ""},
		{"national with punctuation", "(201) 555-0123", "US", "+12015550123", "US", ""},
		{"bare ten digits", "2015550123", "US", "+12015550123", "US", ""},
		{"lower-case region", "2015550123", "us", "+12015550123", "US", ""},
		{"padded", "  +1 (201) 555-0123 \t", "US", "+12015550123", "US", ""},
		{"already e164", "+12015550123", "US", "+12015550123", "US", ""},
		{"leading 1", "1 201 555 0123", "US", "+12015550123", "US", ""},
		{"canada", "+1 416 555 0123", "US", "+14165550123", "CA", ""},
		{"canada national", "(416) 555-0123", "CA", "+14165550123", "CA", ""},
		{"uk", "+44 20 7946 0958", "US", "+442079460958", "GB", ""},
		{"mexico", "+52 55 1234 5678", "US", "+525512345678", "MX", ""},
		{"ext dot", "+1 201 555 0123 ext. 12", "US", "", "", "phone_extension"},
		{"ext word", "201-555-0123 ext 12", "US", "", "", "phone_extension"},
		{"x", "2015550123 x12", "US", "", "", "phone_extension"},
		{"x no space", "2015550123x12", "US", "", "", "phone_extension"},
		{"rfc3966 ext", "+1-201-555-0123;ext=12", "US", "", "", "phone_extension"},
		{"555 area code", "+1 555 201 0123", "US", "", "", "phone_invalid"},
		{"seven digits", "555-2671", "US", "", "", "phone_invalid"},
		{"too many digits", "+1 201 5550 123 4", "US", "", "", "phone_invalid"},
		{"16 digits", "+49 201 00000000000", "US", "", "", "phone_invalid"},
		{"no region no plus", "2015550123", "", "", "", "phone_invalid"},
		{"letters", "call me maybe", "US", "", "", "phone_invalid"},
		{"empty", "", "US", "", "", "phone_required"},
		{"blank", "   ", "US", "", "", "phone_required"},
		{"length counted after trimming", "+1 201 555 0123" + strings.Repeat(" ", 50), "US", "+12015550123", "US", ""},
		{"too long", "+1 201 555 0123" + strings.Repeat("-", 50), "US", "", "", "phone_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e164, region, err := ParsePhone(tt.in, tt.region)
			if tt.code != "" {
				if err == nil {
					t.Fatalf("got %s %s, want %s", e164, region, tt.code)
				}
				if ErrorCode(err) != tt.code || ErrorKind(err) != KindInvalid {
					t.Fatalf("error %v, want %s", err, tt.code)
				}
				if e164 != "" || region != "" {
					t.Fatal("values returned along with an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e164 != tt.e164 || region != tt.gotRegion {
				t.Fatalf("got %s %s, want %s %s", e164, region, tt.e164, tt.gotRegion)
			}
		})
	}
}

func TestPhoneRegion(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+12015550123", "US"},
		{"+14165550123", "CA"},
		{"+442079460958", "GB"},
		{"+15552010123", ""},
		{"2015550123", ""},
		{"", ""},
		{"+", ""},
		{"+1" + strings.Repeat("2", 80), ""},
	}
	for _, tt := range tests {
		if got := PhoneRegion(tt.in); got != tt.want {
			t.Errorf("PhoneRegion(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{
		"+1 201 555 0123", "(201) 555-0123", "2015550123", "2015550123 x12",
		"+1 201 555 0123 ext. 12", "+1 555 201 0123", "555-2671", "", "+", "tel:+1-201-555-0123",
		"+44 20 7946 0958", "1-800-FLOWERS", "+١٢٠١٥٥٥٠١٢٣",
	} {
		f.Add(s, "US")
	}
	f.Add("2015550123", "")
	f.Add("020 7946 0958", "GB")
	f.Fuzz(func(t *testing.T, s, region string) {
		e164, got, err := ParsePhone(s, region)
		if err != nil {
			switch ErrorCode(err) {
			case "phone_required", "phone_invalid", "phone_extension":
			default:
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !strings.HasPrefix(e164, "+") || len(e164) > 16 || strings.Trim(e164[1:], "0123456789") != "" {
			t.Fatalf("%q is not E.164", e164)
		}
		if got == "" {
			t.Fatalf("no region for %s", e164)
		}
		// What we store parses back to itself, in any default region.
		again, region2, err := ParsePhone(e164, "")
		if err != nil || again != e164 || region2 != got {
			t.Fatalf("round trip %s %s -> %s %s %v", e164, got, again, region2, err)
		}
		if r := PhoneRegion(e164); r != got {
			t.Fatalf("PhoneRegion(%s) = %s, want %s", e164, r, got)
		}
	})
}
