package gateway

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPasswordBlocklist(t *testing.T) {
	set := commonPasswords()
	if len(set) < 900 {
		t.Fatalf("blocklist has %d entries, want about 1000", len(set))
	}
	for pw := range set {
		if pw != strings.ToLower(pw) {
			t.Errorf("blocklist entry %q is not lower case", pw)
		}
		if !utf8.ValidString(pw) {
			t.Errorf("blocklist entry %q is not UTF-8", pw)
		}
	}
	for _, pw := range []string{"123456", "password", "qwerty", "iloveyou", "password1234", "1qaz2wsx3edc"} {
		if _, ok := set[pw]; !ok {
			t.Errorf("blocklist lacks %q", pw)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name     string
		pw       string
		minLen   int
		personal []string
		code     string // "" for accepted
	}{
		{"good passphrase", "correct horse battery", 0, nil, ""},
		{"exactly 15", "Tq7vLm2Rx9Pw4Kd", 0, nil, ""},
		{"14 chars default min", "Tq7vLm2Rx9Pw4K", 0, nil, "password_too_short"},
		{"negative min means 15", "Tq7vLm2Rx9Pw4K", -3, nil, "password_too_short"},
		{"tenant min 12", "Tq7vLm2Rx9Pw", 12, nil, ""},
		{"tenant min 8", "Tq7vLm2R", 8, nil, ""},
		{"tenant min 8 short", "Tq7vLm2", 8, nil, "password_too_short"},
		{"runes not bytes", strings.Repeat("é", 15), 0, nil, ""},
		{"runes short", strings.Repeat("é", 14), 0, nil, "password_too_short"},
		{"no composition rules", "alllowercaseletters", 0, nil, ""},
		{"128 bytes", strings.Repeat("a", 127) + "b", 0, nil, ""},
		{"129 bytes", strings.Repeat("a", 129), 0, nil, "password_too_long"},
		{"64 two-byte runes = 128 bytes", strings.Repeat("é", 64), 0, nil, ""},
		{"65 two-byte runes", strings.Repeat("é", 65), 0, nil, "password_too_long"},
		{"newline", "correct horse\nbattery", 0, nil, "password_invalid_chars"},
		{"tab", "correct\thorse battery", 0, nil, "password_invalid_chars"},
		{"nul", "correct horse\x00battery", 0, nil, "password_invalid_chars"},
		{"del", "correct horse\x7fbattery", 0, nil, "password_invalid_chars"},
		{"c1 control", "correct horse\u0085battery", 0, nil, "password_invalid_chars"},
		{"invalid utf-8", "correct horse\xffbattery", 0, nil, "password_invalid_chars"},
		{"inner spaces fine", "  spaces  around  ", 0, nil, ""},
		{"common", "password", 8, nil, "password_common"},
		{"common upper case", "PASSWORD", 8, nil, "password_common"},
		{"common long", "Password1234", 0, nil, "password_common"},
		{"common keyboard walk", "1qaz2wsx3edc", 0, nil, "password_common"},
		{"email", "Jane.Doe@Example.com", 0, []string{"jane.doe@example.com", "Jane Doe"}, "password_personal"},
		{"name", "JANE DOE ROBERTS", 0, []string{"jane@example.com", "Jane Doe Roberts"}, "password_personal"},
		{"name padded in list", "jane doe roberts", 0, []string{" Jane Doe Roberts "}, "password_personal"},
		{"local part given", "jane.doe.roberts", 0, []string{"jane.doe.roberts"}, "password_personal"},
		{"contains local part", "MyJaneDoe2024!!", 0, []string{"janedoe@example.com"}, "password_personal"},
		{"contains short local part", "my bob is a builder", 0, []string{"bob@example.com"}, ""},
		{"contains 4-char local part", "my jake is a builder", 0, []string{"jake@example.com"}, "password_personal"},
		{"name inside is fine", "jane doe rocks hard", 0, []string{"Jane Doe"}, ""},
		{"empty personal ignored", "correct horse battery", 0, []string{"", "  "}, ""},
		{"empty password", "", 0, nil, "password_too_short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword(tt.pw, tt.minLen, tt.personal...)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("want nil, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want %s, got nil", tt.code)
			}
			var ge *Error
			if !errors.As(err, &ge) {
				t.Fatalf("error %T is not *Error", err)
			}
			if ge.Code != tt.code || ge.Kind != KindUnprocessable {
				t.Fatalf("got %s/%v, want %s/unprocessable", ge.Code, ge.Kind, tt.code)
			}
		})
	}
}

// Whatever rule fails, the error never quotes the password.
func TestCheckPasswordNoEcho(t *testing.T) {
	for _, pw := range []string{
		"Zq8", "Zq8Zq8Zq8Zq8\nZq8", strings.Repeat("Zq8", 50), "Password1234",
		"xJaneDoe99x longer", "jane.doe@example.com",
	} {
		err := CheckPassword(pw, 0, "jane.doe@example.com", "janedoe@example.com")
		if err == nil {
			t.Fatalf("want an error for a %d-byte password", len(pw))
		}
		if strings.Contains(strings.ToLower(err.Error()), strings.ToLower(pw)) {
			t.Fatalf("error %q quotes the password", ErrorCode(err))
		}
	}
}

func FuzzCheckPassword(f *testing.F) {
	for _, s := range []string{"", "password", "correct horse battery", "x\x00y", "\xff\xfe", strings.Repeat("é", 70)} {
		f.Add(s, 12, "jane.doe@example.com")
	}
	f.Fuzz(func(t *testing.T, pw string, minLen int, email string) {
		err := CheckPassword(pw, minLen, email, "Jane Doe")
		if err == nil {
			if len(pw) > maxPasswordBytes || !utf8.ValidString(pw) {
				t.Fatalf("accepted a password breaking the byte rules")
			}
			want := minLen
			if want <= 0 {
				want = DefaultMinPasswordLength
			}
			if utf8.RuneCountInString(pw) < want {
				t.Fatalf("accepted a short password")
			}
			return
		}
		var ge *Error
		if !errors.As(err, &ge) || ge.Kind != KindUnprocessable || ge.Code == "" {
			t.Fatalf("unexpected error shape: %v", err)
		}
	})
}
